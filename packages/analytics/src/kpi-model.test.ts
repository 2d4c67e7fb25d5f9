import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVELOPE_EVENT_TYPES, type Envelope } from '@playloop/contracts';
import { daysBetween } from './kpis.ts';
import type { AnalyticsStore } from './store.ts';
import { makeEnvelope } from './test-envelopes.ts';
import { openTestStore, testBackends } from './test-stores.ts';

// The KPI queries against a model written from SPEC's definitions in plain TypeScript: 400 random
// events of every type across a month boundary, a quarter of them delivered twice (the store
// dedupes by event_id), read back over ranges inside, across and outside the data. On chDB always,
// and on the ClickHouse server when CLICKHOUSE_URL is set (18.16 here).
// A fixed seed: a failure is the same events on every run.
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;

function world(): Envelope[] {
  const users = Array.from({ length: 12 }, () => randomUUID());
  const days = daysBetween('2026-01-28', '2026-02-03');
  const out: Envelope[] = [];
  for (let i = 0; i < 400; i += 1) {
    const t = pick(ENVELOPE_EVENT_TYPES);
    const day = pick(days);
    const time = `${String(Math.floor(rnd() * 24)).padStart(2, '0')}:${String(Math.floor(rnd() * 60)).padStart(2, '0')}:59`;
    const u = pick(users);
    let payload: Record<string, unknown> | undefined;
    if (t === 'shop.purchase.succeeded') payload = { total_price: Math.floor(rnd() * 500), currency_type: pick(['soft', 'premium']) };
    if (t === 'game.session.end' || t === 'game.session.start') payload = { game_type: pick(['a_game', 'b_game', 'c_game']) };
    if (t === 'reward.granted') payload = { source: pick(['item', 'operator', 'event', 'signup']), grant_key: `k:${randomUUID()}` };
    out.push(makeEnvelope(t, u, `${day}T${time}.123Z`, payload as never));
  }
  return out;
}

/** The KPI answer for `from`..`to` (UTC days), counted from the events themselves. */
function model(events: Envelope[], from: string, to: string) {
  const days = daysBetween(from, to);
  const inRange = events.filter((e) => e.ts.slice(0, 10) >= from && e.ts.slice(0, 10) <= to);
  const fig = (es: Envelope[]) => {
    const active = new Set(
      es.filter((e) => e.event_type !== 'reward.granted' || (e.payload as { source: string }).source === 'item').map((e) => e.user_id),
    );
    const count = (...ts: string[]) => es.filter((e) => ts.includes(e.event_type)).length;
    const rev = (c: string) =>
      es.filter((e) => e.event_type === 'shop.purchase.succeeded' && (e.payload as { currency_type: string }).currency_type === c)
        .reduce((s, e) => s + (e.payload as { total_price: number }).total_price, 0);
    return {
      active_users: active.size,
      signups: count('user.signup'),
      sessions: count('game.session.end'),
      claims: count('event.claim', 'mission.claim'),
      purchases: count('shop.purchase.succeeded'),
      revenue: { soft: rev('soft'), premium: rev('premium') },
    };
  };
  const games = new Map<string, { sessions: number; players: Set<string> }>();
  for (const e of inRange.filter((e) => e.event_type === 'game.session.end')) {
    const g = (e.payload as { game_type: string }).game_type;
    const v = games.get(g) ?? { sessions: 0, players: new Set() };
    v.sessions += 1;
    v.players.add(e.user_id);
    games.set(g, v);
  }
  const did = (u: string, ...ts: string[]) => inRange.some((e) => e.user_id === u && ts.includes(e.event_type));
  const cohort = [...new Set(inRange.filter((e) => e.event_type === 'user.signup').map((e) => e.user_id))];
  const steps: string[][] = [['user.signup'], ['event.participate'], ['game.session.end'], ['event.claim', 'mission.claim'], ['shop.purchase.succeeded']];
  let keep = cohort;
  const funnel = steps.map((ts, i) => {
    keep = keep.filter((u) => did(u, ...ts));
    return { step: ['signup', 'participate', 'session_end', 'claim', 'purchase'][i], users: keep.length };
  });
  return {
    from,
    to,
    totals: fig(inRange),
    daily: days.map((date) => ({ date, ...fig(inRange.filter((e) => e.ts.slice(0, 10) === date)) })),
    sessions_by_game: [...games.entries()]
      .map(([game_type, v]) => ({ game_type, sessions: v.sessions, players: v.players.size }))
      .sort((a, b) => b.sessions - a.sessions || a.game_type.localeCompare(b.game_type)),
    funnel,
  };
}

describe.each(testBackends)('KPIs against a model on $name', ({ name, skip }) => {
  let store: AnalyticsStore;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (!skip) ({ store, drop } = await openTestStore(name));
  });
  afterAll(async () => {
    await drop?.();
  });

  it.skipIf(skip)('matches the model for random events, redelivered', async () => {
    const events = world();
    await store.insertEvents(events);
    await store.insertEvents(events.slice(0, 100));
    for (const [from, to] of [['2026-01-28', '2026-02-03'], ['2026-01-30', '2026-02-01'], ['2026-02-01', '2026-02-01'], ['2026-01-01', '2026-01-31']] as const) {
      expect(await store.kpis(from, to)).toEqual(model(events, from, to));
    }
  });
});
