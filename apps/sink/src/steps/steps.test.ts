import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { examplePayloads, newEventId, type Envelope } from '@playloop/contracts';
import type { AnalyticsStore } from '@playloop/analytics';
import { createDeadLetterMemory, createMessagePipeline } from '../consumer.ts';
import type { SinkMessage } from '../results.ts';
import { createWriteEventsStep } from './write-events-step.ts';

const userId = randomUUID();
const envelope: Envelope = {
  event_id: newEventId(),
  event_type: 'game.session.end',
  user_id: userId,
  ts: '2026-11-28T12:00:00.000Z',
  trace_id: randomUUID(),
  payload: examplePayloads['game.session.end'],
  version: 1,
};
const message = (overrides: Partial<SinkMessage> = {}): SinkMessage => ({
  topic: 'pl.gameplay.v1',
  partition: 2,
  offset: '41',
  key: Buffer.from(userId),
  value: Buffer.from(JSON.stringify(envelope)),
  headers: {},
  ...overrides,
});
const run = createMessagePipeline('pl');

describe('sink steps', () => {
  it('passes a valid envelope on its topic and key', () => {
    expect(run([message()])).toEqual({ envelopes: [envelope], letters: [], dropped: 0 });
  });

  it.each([
    ['bytes that are not JSON', { value: Buffer.from('{"event_id":') }, 'validate-envelope', 'invalid_json'],
    ['bytes that are not UTF-8', { value: Buffer.from([0xc3, 0x28]) }, 'validate-envelope', 'invalid_json'],
    ['JSON that is not an envelope', { value: Buffer.from('{"hello":"world"}') }, 'validate-envelope', 'invalid_envelope'],
    [
      'a payload that breaks its schema',
      { value: Buffer.from(JSON.stringify({ ...envelope, payload: { ...envelope.payload, score: 'high' } })) },
      'validate-envelope',
      'invalid_envelope',
    ],
    ['an envelope on the wrong topic', { topic: 'pl.shop.v1' }, 'check-topic', 'wrong_topic'],
    ['an envelope keyed by someone else', { key: Buffer.from(randomUUID()) }, 'check-topic', 'wrong_key'],
    ['an envelope with no key (no partition keeps its user in order)', { key: null }, 'check-topic', 'wrong_key'],
  ])('sends %s to the DLQ with the original bytes', (_name, overrides, step, reason) => {
    const bad = message(overrides);
    const out = run([message(), bad, message()]);
    expect(out.envelopes).toHaveLength(2);
    expect(out.letters).toEqual([{ message: bad, step, reason, detail: expect.any(String) }]);
    expect(out.letters[0]!.message.value).toBe(bad.value);
  });

  it('drops an empty message (a tombstone) without a DLQ entry', () => {
    expect(run([message({ value: null }), message({ value: Buffer.alloc(0) })])).toEqual({ envelopes: [], letters: [], dropped: 2 });
  });
});

// A batch whose insert failed came again with its bad messages, and each delivery sent them to
// the DLQ once more.
describe('dead-letter memory', () => {
  const letter = (partition: number, offset: string) => ({ message: message({ partition, offset }), reason: 'invalid_json', step: 'validate-envelope', detail: '' });

  it('skips what the DLQ took until the partition is committed past it', () => {
    const memory = createDeadLetterMemory();
    const batch = [letter(2, '5'), letter(2, '7'), letter(3, '5')];
    expect(memory.unsent(batch)).toEqual(batch);
    memory.remember(batch.slice(0, 2));
    // The same offset of another partition is another message.
    expect(memory.unsent(batch)).toEqual([batch[2]]);
    memory.committed('pl.gameplay.v1', 2, '5');
    expect(memory.size()).toBe(1);
    expect(memory.unsent([letter(2, '7')])).toEqual([]);
    memory.committed('pl.gameplay.v1', 2, '9');
    expect(memory.size()).toBe(0);
  });

  it('remembers nothing of a send that failed, so its batch sends the letters again', () => {
    const memory = createDeadLetterMemory();
    memory.committed('pl.gameplay.v1', 2, '9');
    expect(memory.unsent([letter(2, '5')])).toEqual([letter(2, '5')]);
    expect(memory.size()).toBe(0);
  });
});

describe('write-events step', () => {
  const storeFailing = (times: number) => {
    let calls = 0;
    const insertEvents = vi.fn(async () => {
      calls += 1;
      if (calls <= times) throw new Error('ClickHouse is down');
    });
    return { store: { insertEvents } as unknown as AnalyticsStore, insertEvents };
  };

  it('retries a failing store with backoff and succeeds', async () => {
    const { store, insertEvents } = storeFailing(2);
    await createWriteEventsStep(store, { attempts: 5, initialMs: 1, maxMs: 5 })([envelope]);
    expect(insertEvents).toHaveBeenCalledTimes(3);
  });

  it('gives up after its attempts, so the batch is not committed', async () => {
    const { store, insertEvents } = storeFailing(10);
    await expect(createWriteEventsStep(store, { attempts: 3, initialMs: 1, maxMs: 5 })([envelope])).rejects.toThrow('ClickHouse is down');
    expect(insertEvents).toHaveBeenCalledTimes(3);
  });

  it('stops retrying when the consumer is stopping', async () => {
    const { store, insertEvents } = storeFailing(10);
    await expect(createWriteEventsStep(store, { attempts: 5, initialMs: 1, maxMs: 5 })([envelope], () => false)).rejects.toThrow();
    expect(insertEvents).toHaveBeenCalledTimes(1);
  });
});
