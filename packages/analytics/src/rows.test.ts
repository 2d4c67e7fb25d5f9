import { describe, expect, it } from 'vitest';
import { EnvelopeSchema } from '@playloop/contracts';
import { toEventsLogJsonLine, toEventsLogRow } from './rows.ts';
import { makeEnvelope } from './test-envelopes.ts';

const USER = '0190a6b2-0000-7000-8000-000000000001';

describe('toEventsLogRow', () => {
  it.each([
    ['with milliseconds', '2026-11-29T23:59:58.123Z', '2026-11-29', '2026-11-29 23:59:58'],
    ['with microseconds', '2026-02-28T00:00:01.123456Z', '2026-02-28', '2026-02-28 00:00:01'],
    ['with whole seconds', '2026-11-29T10:15:07Z', '2026-11-29', '2026-11-29 10:15:07'],
  ])('takes the UTC day and second of a ts %s', (_name, ts, day, second) => {
    const envelope = makeEnvelope('user.login', USER, ts);
    expect(EnvelopeSchema.safeParse(envelope).success).toBe(true);
    const row = toEventsLogRow(envelope);
    expect(row.event_date).toBe(day);
    expect(row.ts).toBe(second);
  });

  it('keeps the payload as JSON text and lifts the fields the KPIs group by', () => {
    const envelope = makeEnvelope('shop.purchase.succeeded', USER, '2026-11-29T10:15:07.001Z', { currency_type: 'premium', total_price: 40 });
    const row = toEventsLogRow(envelope);
    expect(JSON.parse(row.payload_json)).toEqual(envelope.payload);
    expect([row.currency, row.amount, row.game_type]).toEqual(['premium', 40, '']);
    const line = JSON.parse(toEventsLogJsonLine(envelope, '2026-11-29 10:15:08'));
    expect(line).toMatchObject({ event_id: envelope.event_id, inserted_at: '2026-11-29 10:15:08', ts: '2026-11-29 10:15:07' });
  });
});
