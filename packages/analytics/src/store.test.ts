import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KpisResponseSchema, type Envelope } from '@playloop/contracts';
import { daysBetween, splitStatements } from './index.ts';
import type { AnalyticsStore } from './store.ts';
import { makeEnvelope } from './test-envelopes.ts';
import { openTestStore, testBackends } from './test-stores.ts';


// Two days of a small world whose KPIs are counted by hand below.
const [a, b, c, d, e, passive] = Array.from({ length: 6 }, () => randomUUID()) as [string, string, string, string, string, string];
const D1 = '2026-11-27';
const D2 = '2026-11-28';
const at = (day: string, time = '10:00:00') => `${day}T${time}.000Z`;
function world(): Envelope[] {
  return [
    // a: the whole funnel on day 1.
    makeEnvelope('user.signup', a, at(D1)),
    makeEnvelope('event.participate', a, at(D1)),
    makeEnvelope('game.session.start', a, at(D1), { game_type: 'tap_rush' }),
    makeEnvelope('game.session.end', a, at(D1), { game_type: 'tap_rush' }),
    makeEnvelope('event.claim', a, at(D1)),
    makeEnvelope('shop.purchase.succeeded', a, at(D1), { total_price: 300, currency_type: 'soft' }),
    // b: signs up, participates and plays, no claim.
    makeEnvelope('user.signup', b, at(D1, '23:59:59')),
    makeEnvelope('event.participate', b, at(D2)),
    makeEnvelope('game.session.end', b, at(D2), { game_type: 'tap_rush' }),
    makeEnvelope('game.session.end', b, at(D2), { game_type: 'lucky_wheel' }),
    makeEnvelope('mission.claim', b, at(D2)),
    // c: an old player (no signup in range) who logs in, plays and buys with premium twice.
    makeEnvelope('user.login', c, at(D2)),
    makeEnvelope('game.session.end', c, at(D2), { game_type: 'lucky_wheel' }),
    makeEnvelope('shop.purchase.succeeded', c, at(D2), { total_price: 50, currency_type: 'premium' }),
    makeEnvelope('shop.purchase.succeeded', c, at(D2), { total_price: 25, currency_type: 'premium' }),
    makeEnvelope('shop.purchase.failed', c, at(D2)),
    // d: signs up on day 2 and only logs in.
    makeEnvelope('user.signup', d, at(D2, '00:00:00')),
    makeEnvelope('user.login', d, at(D2)),
    // e: an old player whose only action on day 2 is opening an item they hold, which writes
    // nothing but its grant.
    makeEnvelope('reward.granted', e, at(D2), { source: 'item', source_id: 'lucky_pouch', grant_key: `item:open:${randomUUID()}` }),
    // An operator grant to someone otherwise absent does not make them active, whatever its key says.
    makeEnvelope('reward.granted', passive, at(D2), { source: 'operator', source_id: null, grant_key: '"source":"item"' }),
    // Outside the range.
    makeEnvelope('user.signup', randomUUID(), '2026-11-29T00:00:00.000Z'),
  ];
}

const expected = {
  from: D1,
  to: D2,
  totals: { active_users: 5, signups: 3, sessions: 4, claims: 2, purchases: 3, revenue: { soft: 300, premium: 75 } },
  daily: [
    { date: D1, active_users: 2, signups: 2, sessions: 1, claims: 1, purchases: 1, revenue: { soft: 300, premium: 0 } },
    { date: D2, active_users: 4, signups: 1, sessions: 3, claims: 1, purchases: 2, revenue: { soft: 0, premium: 75 } },
  ],
  sessions_by_game: [
    { game_type: 'lucky_wheel', sessions: 2, players: 2 },
    { game_type: 'tap_rush', sessions: 2, players: 2 },
  ],
  funnel: [
    { step: 'signup', users: 3 },
    { step: 'participate', users: 2 },
    { step: 'session_end', users: 2 },
    { step: 'claim', users: 2 },
    { step: 'purchase', users: 1 },
  ],
};

describe.each(testBackends)('analytics store on $name', ({ name, skip }) => {
  let store: AnalyticsStore;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (!skip) ({ store, drop } = await openTestStore(name));
  });
  afterAll(async () => {
    await drop?.();
  });

  it.skipIf(skip)('migrates once; a second run applies nothing', async () => {
    expect(await store.migrate()).toEqual([]);
  });

  it.skipIf(skip)('answers zeros for every day of an empty range', async () => {
    const kpis = await store.kpis('2026-01-01', '2026-01-03');
    expect(kpis.daily.map((d) => d.date)).toEqual(['2026-01-01', '2026-01-02', '2026-01-03']);
    expect(kpis.totals).toEqual({ active_users: 0, signups: 0, sessions: 0, claims: 0, purchases: 0, revenue: { soft: 0, premium: 0 } });
    expect(kpis.funnel.map((s) => s.users)).toEqual([0, 0, 0, 0, 0]);
    expect(kpis.sessions_by_game).toEqual([]);
  });

  it.skipIf(skip)('counts each KPI exactly, and a batch delivered again (whole or in part) changes nothing', async () => {
    const events = world();
    await store.insertEvents(events);
    const first = await store.kpis(D1, D2);
    expect(KpisResponseSchema.parse(first)).toEqual(expected);

    await store.insertEvents(events);
    await store.insertEvents(events.slice(3, 9));
    for (const e of events) await store.insertEvents([e]);
    expect(await store.kpis(D1, D2)).toEqual(expected);
    const stats = await store.stats();
    expect(stats.rows).toBeGreaterThanOrEqual(events.length);
    // The write time is real on 18.16 too, where JSONEachRow ignores column defaults.
    expect(Date.parse(`${stats.last_insert_at?.replace(' ', 'T')}Z`)).toBeGreaterThan(Date.now() - 3_600_000);
  });
});

describe('helpers', () => {
  it('splits a migration into statements, dropping comments', () => {
    expect(splitStatements('-- a;\nCREATE TABLE t (a String);\n\nCREATE VIEW v AS\nSELECT 1;\n')).toEqual([
      'CREATE TABLE t (a String)',
      'CREATE VIEW v AS\nSELECT 1',
    ]);
  });

  it.each([
    ['2026-11-28', '2026-11-27'],
    ['2026-02-30', '2026-03-01'],
    ['2025-01-01', '2026-12-31'],
    ["2026-01-01' OR 1", '2026-01-02'],
  ])('refuses the range %s..%s', (from, to) => {
    expect(() => daysBetween(from, to)).toThrow(RangeError);
  });
});
