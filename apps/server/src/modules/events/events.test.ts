import { sql, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventClaimResponseSchema,
  EventListResponseSchema,
  ParticipationSchema,
  PendingRewardsResponseSchema,
} from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeEvent } from '../../../test/factories/live-ops.ts';
import { makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import type { Db } from '../../db/database.ts';
import { getBalances } from '../wallet/ledger.ts';
import { advanceProgressForPlay } from './progress.ts';
import { expireEndedParticipations, listEvents } from './service.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

const HOUR_MS = 60 * 60 * 1000;
const hoursFromNow = (h: number) => new Date(ctx.clock.now().getTime() + h * HOUR_MS);
// Tests that move the clock stay within minutes: access tokens live 15 minutes.
const minutesFromNow = (m: number) => new Date(ctx.clock.now().getTime() + m * 60_000);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

type Headers = Record<string, string>;
const post = (url: string, player: TestPlayer, payload?: unknown, headers: Headers = {}) =>
  ctx.app.inject({
    method: 'POST',
    url,
    headers: { ...player.headers, ...headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
const participate = (eventId: string, player: TestPlayer) => post(`/api/events/${eventId}/participate`, player);
const progress = (eventId: string, player: TestPlayer, body: unknown) => post(`/api/events/${eventId}/progress`, player, body);
const claim = (eventId: string, player: TestPlayer, key?: string) =>
  post(`/api/events/${eventId}/claim`, player, undefined, key ? { 'x-idempotency-key': key } : {});

const participationOf = (userId: string, eventId: string) =>
  ctx.db.selectFrom('event_participations').selectAll().where('user_id', '=', userId).where('event_id', '=', eventId).executeTakeFirst();
const stateVersion = async (userId: string) =>
  (await ctx.db.selectFrom('users').select('state_version').where('id', '=', userId).executeTakeFirstOrThrow()).state_version;
/** Payloads of the analytics events of one type the player's changes wrote to the outbox. */
const outboxOf = async (userId: string, eventType: string) =>
  (
    await sql<{ envelope: { payload: Record<string, unknown> } }>`
      SELECT envelope FROM outbox WHERE user_id = ${userId} AND event_type = ${eventType} ORDER BY id`.execute(ctx.db)
  ).rows.map((r) => r.envelope.payload);
const eventGrants = async (userId: string) =>
  ctx.db.selectFrom('reward_grants').select(['id', 'grant_key', 'source', 'source_id']).where('user_id', '=', userId).where('source', '=', 'event').execute();

/** Plays `n` games of `gameType` through the engine the session flow calls. */
async function play(player: TestPlayer, n = 1, gameType = 'reaction', score = 10) {
  for (let i = 0; i < n; i++) {
    await ctx.db.transaction().execute((trx) =>
      advanceProgressForPlay(trx, {
        userId: player.user.id,
        sessionId: crypto.randomUUID(),
        gameType,
        score,
        durationS: 30,
        won: false,
        now: ctx.clock.now(),
        resetTimezone: 'UTC',
      }),
    );
  }
}

/** A player with a completed (claimable) participation in a fresh event. */
async function completedEvent(reward = { currencies: { soft: 250 }, exp: 20 }, endsAt = minutesFromNow(5)) {
  const player = await makePlayer(ctx.app);
  const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 2 }, reward, endsAt });
  expect((await participate(event.id, player)).statusCode).toBe(201);
  await play(player, 2);
  expect((await participationOf(player.user.id, event.id))?.status).toBe('claimable');
  return { player, event };
}

describe('GET /api/events', () => {
  it('lists events with their status and the caller’s participation', async () => {
    const player = await makePlayer(ctx.app);
    const upcoming = await makeEvent(ctx, { startsAt: hoursFromNow(1), endsAt: hoursFromNow(5) });
    const running = await makeEvent(ctx, { rules: { metric: 'score_total', target: 500, game_type: 'reaction' } });
    const ended = await makeEvent(ctx, { startsAt: hoursFromNow(-5), endsAt: hoursFromNow(-1) });
    await participate(running.id, player);

    const res = await ctx.app.inject({ method: 'GET', url: '/api/events', headers: player.headers });
    expect(res.statusCode).toBe(200);
    const { items } = EventListResponseSchema.parse(res.json());
    const byId = new Map(items.map((e) => [e.id, e]));
    expect(byId.get(upcoming.id)).toMatchObject({ status: 'inactive', participation: null });
    expect(byId.get(ended.id)).toMatchObject({ status: 'expired', participation: null });
    expect(byId.get(running.id)).toMatchObject({
      key: running.key,
      type: 'limited',
      status: 'active',
      rules: { metric: 'score_total', target: 500, game_type: 'reaction' },
      reward_bundle: { currencies: { soft: 100 }, exp: 10 },
      participation: { status: 'active', progress: 0, target: 500, completed: false, claimed: false, progress_version: 0 },
    });

    const active = EventListResponseSchema.parse(
      (await ctx.app.inject({ method: 'GET', url: '/api/events?active=true', headers: player.headers })).json(),
    ).items;
    expect(active.every((e) => e.status === 'active')).toBe(true);
    expect(active.map((e) => e.id)).toContain(running.id);
    const inactive = EventListResponseSchema.parse(
      (await ctx.app.inject({ method: 'GET', url: '/api/events?active=false', headers: player.headers })).json(),
    ).items;
    expect(inactive.map((e) => e.id)).toEqual(expect.arrayContaining([upcoming.id, ended.id]));
    expect(inactive.some((e) => e.status === 'active')).toBe(false);
  });

  it('answers in a fixed number of queries however many events and participations there are', async () => {
    const player = await makePlayer(ctx.app);
    let queries = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const counted = ctx.db.withPlugin(counter) as Db;
    const run = async () => {
      queries = 0;
      const items = await listEvents({ db: counted, clock: ctx.clock }, player.user.id);
      return { queries, items: items.length };
    };
    const before = await run();
    for (let i = 0; i < 8; i++) {
      const event = await makeEvent(ctx);
      await participate(event.id, player);
    }
    const after = await run();
    expect(after.items).toBe(before.items + 8);
    expect(after.queries).toBe(before.queries);
    expect(after.queries).toBeLessThanOrEqual(2);
  });

  it('refuses a bad filter and anonymous callers', async () => {
    const player = await makePlayer(ctx.app);
    for (const q of ['active=yes', 'active=1', 'active=', 'other=1']) {
      expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/events?${q}`, headers: player.headers }), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/events' }), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /api/events/{id}/participate', () => {
  it('answers 201 the first time and 200 with the same participation after', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx);
    const versionBefore = await stateVersion(player.user.id);
    const first = await participate(event.id, player);
    expect(first.statusCode).toBe(201);
    const body = ParticipationSchema.parse(first.json());
    expect(body).toMatchObject({ event_id: event.id, status: 'active', progress: 0, target: 3, progress_version: 0 });
    expect(await stateVersion(player.user.id)).toBe(versionBefore + 1);

    const again = await participate(event.id, player);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(body);
    expect(await stateVersion(player.user.id)).toBe(versionBefore + 1);
    expect(await outboxOf(player.user.id, 'event.participate')).toEqual([{ event_id: event.id, event_key: event.key, target: 3 }]);
  });

  it('creates exactly one participation under 10 concurrent joins', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx);
    const results = await Promise.all(Array.from({ length: 10 }, () => participate(event.id, player)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const rows = await ctx.db.selectFrom('event_participations').select('user_id').where('event_id', '=', event.id).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses outside the window with EVENT_NOT_ACTIVE, unknown events with 404, bad ids with 400', async () => {
    const player = await makePlayer(ctx.app);
    const upcoming = await makeEvent(ctx, { startsAt: hoursFromNow(1), endsAt: hoursFromNow(2) });
    const ended = await makeEvent(ctx, { startsAt: hoursFromNow(-2), endsAt: hoursFromNow(-1) });
    expectProblem(await participate(upcoming.id, player), 409, 'EVENT_NOT_ACTIVE');
    expectProblem(await participate(ended.id, player), 409, 'EVENT_NOT_ACTIVE');
    expectProblem(await participate(UNKNOWN_ID, player), 404, 'NOT_FOUND');
    expectProblem(await participate('not-a-uuid', player), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: `/api/events/${upcoming.id}/participate` }), 401, 'UNAUTHENTICATED');
    const rows = await ctx.db.selectFrom('event_participations').select('event_id').where('user_id', '=', player.user.id).execute();
    expect(rows).toEqual([]);
  });

  it('opens at starts_at and closes at ends_at exactly', async () => {
    const player = await makePlayer(ctx.app);
    const start = minutesFromNow(2);
    const event = await makeEvent(ctx, { startsAt: start, endsAt: minutesFromNow(4) });
    const saved = ctx.clock.now();
    try {
      ctx.clock.set(new Date(start.getTime() - 1));
      expectProblem(await participate(event.id, player), 409, 'EVENT_NOT_ACTIVE');
      ctx.clock.set(start);
      expect((await participate(event.id, player)).statusCode).toBe(201);
      ctx.clock.set(event.ends_at);
      expectProblem(await participate(event.id, player), 409, 'EVENT_NOT_ACTIVE');
    } finally {
      ctx.clock.set(saved);
    }
  });
});

describe('POST /api/events/{id}/progress (client-reported)', () => {
  const reportable = (target = 5) => makeEvent(ctx, { rules: { metric: 'logins', target, client_reportable: true } });

  it('joins the player if needed, adds the delta and bumps versions', async () => {
    const player = await makePlayer(ctx.app);
    const event = await reportable();
    const before = await stateVersion(player.user.id);
    const res = await progress(event.id, player, { metric: 'logins', delta: 2 });
    expect(res.statusCode).toBe(200);
    expect(ParticipationSchema.parse(res.json())).toMatchObject({ status: 'active', progress: 2, target: 5, completed: false, progress_version: 1 });
    expect(await stateVersion(player.user.id)).toBeGreaterThan(before);

    const next = await progress(event.id, player, { metric: 'logins', delta: 1, expected_version: 1 });
    expect(next.json()).toMatchObject({ progress: 3, progress_version: 2 });
    const row = await participationOf(player.user.id, event.id);
    expect(row).toMatchObject({ progress: 3, progress_version: 2, last_progress_at: ctx.clock.now() });
    expect(await outboxOf(player.user.id, 'event.participate')).toHaveLength(1);
    expect(await outboxOf(player.user.id, 'event.progress')).toEqual([
      { event_id: event.id, metric: 'logins', delta: 2, progress: 2, target: 5, completed: false, progress_version: 1 },
      { event_id: event.id, metric: 'logins', delta: 1, progress: 3, target: 5, completed: false, progress_version: 2 },
    ]);
  });

  it('stops at the target, becomes claimable, and leaves a completed one unchanged', async () => {
    const player = await makePlayer(ctx.app);
    const event = await reportable(3);
    const res = await progress(event.id, player, { metric: 'logins', delta: 1_000_000 });
    expect(res.json()).toMatchObject({ status: 'claimable', progress: 3, target: 3, completed: true, claimed: false, progress_version: 1 });
    const again = await progress(event.id, player, { metric: 'logins', delta: 1 });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'claimable', progress: 3, progress_version: 1 });
    expectProblem(await progress(event.id, player, { metric: 'logins', delta: 1, expected_version: 0 }), 409, 'VERSION_CONFLICT');

    expect((await claim(event.id, player)).statusCode).toBe(200);
    expectProblem(await progress(event.id, player, { metric: 'logins', delta: 1 }), 409, 'ALREADY_CLAIMED');
  });

  it('lets exactly one of 10 concurrent reports with the same expected_version through', async () => {
    const player = await makePlayer(ctx.app);
    const event = await reportable(100);
    await progress(event.id, player, { metric: 'logins', delta: 1 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => progress(event.id, player, { metric: 'logins', delta: 3, expected_version: 1 })),
    );
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) expectProblem(r, 409, 'VERSION_CONFLICT');
    expect(await participationOf(player.user.id, event.id)).toMatchObject({ progress: 4, progress_version: 2 });
  });

  it('applies all of 10 concurrent reports without expected_version, each once', async () => {
    const player = await makePlayer(ctx.app);
    const event = await reportable(100);
    const results = await Promise.all(Array.from({ length: 10 }, () => progress(event.id, player, { metric: 'logins', delta: 2 })));
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect(await participationOf(player.user.id, event.id)).toMatchObject({ progress: 20, progress_version: 10 });
    const versions = results.map((r) => (r.json() as { progress_version: number }).progress_version).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('refuses server-counted events with 403 PROGRESS_SERVER_ONLY and changes nothing', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 3 } });
    await participate(event.id, player);
    expectProblem(await progress(event.id, player, { metric: 'games_played', delta: 1 }), 403, 'PROGRESS_SERVER_ONLY');
    expect(await participationOf(player.user.id, event.id)).toMatchObject({ progress: 0, progress_version: 0 });
  });

  it('refuses a metric other than the rule’s, and progress outside the window', async () => {
    const player = await makePlayer(ctx.app);
    const event = await reportable();
    const wrong = expectProblem(await progress(event.id, player, { metric: 'games_played', delta: 1 }), 400, 'VALIDATION_FAILED');
    expect(wrong.errors?.[0]?.field).toBe('body.metric');
    expect(await participationOf(player.user.id, event.id)).toBeUndefined();

    const upcoming = await makeEvent(ctx, { startsAt: hoursFromNow(1), endsAt: hoursFromNow(2), rules: { metric: 'logins', target: 2, client_reportable: true } });
    expectProblem(await progress(upcoming.id, player, { metric: 'logins', delta: 1 }), 409, 'EVENT_NOT_ACTIVE');

    const ending = await makeEvent(ctx, { endsAt: minutesFromNow(5), rules: { metric: 'logins', target: 5, client_reportable: true } });
    await progress(ending.id, player, { metric: 'logins', delta: 1 });
    const saved = ctx.clock.now();
    try {
      ctx.clock.set(new Date(ending.ends_at.getTime()));
      expectProblem(await progress(ending.id, player, { metric: 'logins', delta: 1 }), 409, 'EVENT_EXPIRED');
      expect(await participationOf(player.user.id, ending.id)).toMatchObject({ status: 'expired', progress: 1 });
    } finally {
      ctx.clock.set(saved);
    }
  });

  it.each([
    ['a negative delta', { metric: 'logins', delta: -1 }],
    ['a zero delta', { metric: 'logins', delta: 0 }],
    ['a fractional delta', { metric: 'logins', delta: 1.5 }],
    ['a huge delta', { metric: 'logins', delta: 1_000_001 }],
    ['a string delta', { metric: 'logins', delta: '1' }],
    ['no delta', { metric: 'logins' }],
    ['an unknown metric', { metric: 'shares', delta: 1 }],
    ['no metric', { delta: 1 }],
    ['a negative expected_version', { metric: 'logins', delta: 1, expected_version: -1 }],
    ['a fractional expected_version', { metric: 'logins', delta: 1, expected_version: 0.5 }],
    ['an extra field', { metric: 'logins', delta: 1, progress: 99 }],
    ['an array', [{ metric: 'logins', delta: 1 }]],
  ])('rejects %s with 400 and changes nothing', async (_name, body) => {
    const player = await makePlayer(ctx.app);
    const event = await reportable();
    expectProblem(await progress(event.id, player, body), 400, 'VALIDATION_FAILED');
    expect(await participationOf(player.user.id, event.id)).toBeUndefined();
    expect(await outboxOf(player.user.id, 'event.progress')).toEqual([]);
  });

  it('answers 404 for an unknown event and 400 for a bad id', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await progress(UNKNOWN_ID, player, { metric: 'logins', delta: 1 }), 404, 'NOT_FOUND');
    expectProblem(await progress('123', player, { metric: 'logins', delta: 1 }), 400, 'VALIDATION_FAILED');
  });
});

describe('POST /api/events/{id}/claim', () => {
  it('grants the bundle once and answers the claim shape', async () => {
    const { player, event } = await completedEvent();
    const versionBefore = await stateVersion(player.user.id);
    const res = await claim(event.id, player);
    expect(res.statusCode).toBe(200);
    const body = EventClaimResponseSchema.parse(res.json());
    expect(body).toMatchObject({
      event_id: event.id,
      status: 'claimed',
      progress: 2,
      target: 2,
      completed: true,
      claimed: true,
      progress_version: 3,
      reward_items: [
        { type: 'currency', currency: 'soft', amount: 250 },
        { type: 'exp', amount: 20 },
      ],
      balances: { soft: 1250, premium: 0 },
    });
    expect(await eventGrants(player.user.id)).toEqual([
      { id: body.grant_id, grant_key: `event:${event.id}:user:${player.user.id}`, source: 'event', source_id: event.id },
    ]);
    expect(await outboxOf(player.user.id, 'event.claim')).toEqual([{ event_id: event.id, grant_id: body.grant_id, reward_items: body.reward_items }]);
    expect((await outboxOf(player.user.id, 'event.progress')).map((p) => p.progress)).toEqual([1, 2]);
    expect(await stateVersion(player.user.id)).toBeGreaterThan(versionBefore);
    expectProblem(await claim(event.id, player), 409, 'ALREADY_CLAIMED');
    await expectLedgerClean(ctx.db);
  });

  it('refuses an unfinished or unjoined participation with NOT_CLAIMABLE', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx);
    expectProblem(await claim(event.id, player), 409, 'NOT_CLAIMABLE');
    await participate(event.id, player);
    await play(player, 1);
    expectProblem(await claim(event.id, player), 409, 'NOT_CLAIMABLE');
    expect(await eventGrants(player.user.id)).toEqual([]);
    expect(await outboxOf(player.user.id, 'event.claim')).toEqual([]);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
  });

  it('refuses after ends_at with EVENT_EXPIRED and writes the participation expired', async () => {
    const { player, event } = await completedEvent();
    const saved = ctx.clock.now();
    try {
      ctx.clock.set(event.ends_at);
      expectProblem(await claim(event.id, player), 409, 'EVENT_EXPIRED');
      expect(await participationOf(player.user.id, event.id)).toMatchObject({ status: 'expired', expired_at: event.ends_at });
      expectProblem(await claim(event.id, player), 409, 'EVENT_EXPIRED');
      ctx.clock.set(saved);
      // Expired is final even if the clock were to go back.
      expectProblem(await claim(event.id, player), 409, 'EVENT_EXPIRED');
    } finally {
      ctx.clock.set(saved);
    }
    expect(await eventGrants(player.user.id)).toEqual([]);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
  });

  it('grants exactly once under 40 concurrent claims with same, different and no idempotency keys', async () => {
    const { player, event } = await completedEvent({ currencies: { soft: 700 }, exp: 5 });
    const keys = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? undefined : i % 4 === 1 ? 'same-key-a' : i % 4 === 2 ? 'same-key-b' : `own-${i}`));
    const results = await Promise.all(keys.map((key) => claim(event.id, player, key)));

    const fresh = results.filter((r) => r.statusCode === 200 && r.headers['idempotent-replayed'] !== 'true');
    expect(fresh).toHaveLength(1);
    const winner = EventClaimResponseSchema.parse(fresh[0]!.json());
    for (const r of results) {
      if (r === fresh[0]) continue;
      if (r.statusCode === 200) {
        // A replay of the winner under its own key: the same answer, nothing new.
        expect(r.headers['idempotent-replayed']).toBe('true');
        expect(r.json()).toEqual(winner);
      } else {
        const problem = expectProblem(r, 409, r.json().code);
        expect(['ALREADY_CLAIMED', 'IDEMPOTENCY_IN_PROGRESS']).toContain(problem.code);
      }
    }
    expect(await eventGrants(player.user.id)).toHaveLength(1);
    expect(await outboxOf(player.user.id, 'event.claim')).toHaveLength(1);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1700, premium: 0 });
    await expectLedgerClean(ctx.db);

    // Afterwards: no key and a new key are refused; a used key replays its first answer.
    expectProblem(await claim(event.id, player), 409, 'ALREADY_CLAIMED');
    expectProblem(await claim(event.id, player, 'a-brand-new-key'), 409, 'ALREADY_CLAIMED');
    const firstUnderA = results.find((r, i) => keys[i] === 'same-key-a' && !r.body.includes('IDEMPOTENCY_IN_PROGRESS'))!;
    const resent = await claim(event.id, player, 'same-key-a');
    expect(resent.headers['idempotent-replayed']).toBe('true');
    expect({ status: resent.statusCode, body: resent.body }).toEqual({ status: firstUnderA.statusCode, body: firstUnderA.body });
    expect(await eventGrants(player.user.id)).toHaveLength(1);
  });

  it('answers 404 for an unknown event, 400 for a bad id, 401 without a token', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await claim(UNKNOWN_ID, player), 404, 'NOT_FOUND');
    expectProblem(await claim('nope', player), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: `/api/events/${UNKNOWN_ID}/claim` }), 401, 'UNAUTHENTICATED');
  });
});

describe('expiry and pending rewards', () => {
  it('lists claimable participations of running events as pending, until the event ends', async () => {
    const { player, event } = await completedEvent();
    const pending = async () =>
      PendingRewardsResponseSchema.parse((await ctx.app.inject({ method: 'GET', url: '/api/rewards/pending', headers: player.headers })).json());
    const now = await pending();
    expect(now.items).toContainEqual({
      source: 'event',
      source_id: event.id,
      title: event.title,
      reward_bundle: { currencies: { soft: 250 }, exp: 20 },
      expires_at: event.ends_at.toISOString(),
    });
    const saved = ctx.clock.now();
    try {
      ctx.clock.set(event.ends_at);
      expect((await pending()).items.some((i) => i.source_id === event.id)).toBe(false);
    } finally {
      ctx.clock.set(saved);
    }
    await claim(event.id, player);
    expect((await pending()).items.some((i) => i.source_id === event.id)).toBe(false);
  });

  it('expires open participations lazily on read and in the periodic sweep', async () => {
    const a = await makePlayer(ctx.app);
    const b = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { endsAt: minutesFromNow(5) });
    await participate(event.id, a);
    await participate(event.id, b);
    const saved = ctx.clock.now();
    try {
      ctx.clock.set(event.ends_at);
      const list = EventListResponseSchema.parse((await ctx.app.inject({ method: 'GET', url: '/api/events', headers: a.headers })).json());
      expect(list.items.find((e) => e.id === event.id)?.participation?.status).toBe('expired');
      expect((await participationOf(a.user.id, event.id))?.status).toBe('expired');
      expect((await participationOf(b.user.id, event.id))?.status).toBe('active');
      expect(await expireEndedParticipations(ctx.db, ctx.clock.now())).toBeGreaterThanOrEqual(1);
      expect((await participationOf(b.user.id, event.id))?.status).toBe('expired');
      expect(await participationOf(b.user.id, event.id)).toMatchObject({ progress_version: 1 });
    } finally {
      ctx.clock.set(saved);
    }
  });

  it('has the database refuse a move the state machine does not allow', async () => {
    const { player, event } = await completedEvent();
    await claim(event.id, player);
    const back = sql`UPDATE event_participations SET status = 'claimable', claimed_at = NULL
      WHERE user_id = ${player.user.id} AND event_id = ${event.id}`.execute(ctx.db);
    await expect(back).rejects.toThrow(/cannot move from claimed to claimable/);
    const bogus = sql`UPDATE event_participations SET status = 'won' WHERE user_id = ${player.user.id}`.execute(ctx.db);
    await expect(bogus).rejects.toMatchObject({ code: '23514' });
    const overshoot = sql`UPDATE event_participations SET progress = target + 1 WHERE user_id = ${player.user.id}`.execute(ctx.db);
    await expect(overshoot).rejects.toMatchObject({ code: '23514' });
  });
});

describe('a claim retried under its own idempotency key', () => {
  // What a lost answer leaves: the claim committed, its key's stored answer gone (a 5xx after
  // COMMIT releases it); the retry runs the claim again.
  const forgetKeys = (userId: string) => ctx.db.deleteFrom('idempotency_keys').where('user_scope', '=', userId).execute();

  it('is answered with the claim it made (replayed), not ALREADY_CLAIMED; another key still is', async () => {
    const { player, event } = await completedEvent();
    const first = await claim(event.id, player, 'mine-1');
    expect(first.statusCode, first.body).toBe(200);
    await forgetKeys(player.user.id);
    const again = await claim(event.id, player, 'mine-1');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const { balances: _then, ...made } = EventClaimResponseSchema.parse(first.json());
    const { balances, ...replayed } = EventClaimResponseSchema.parse(again.json());
    expect(replayed).toEqual(made);
    expect(balances).toEqual(await getBalances(ctx.db, player.user.id));
    expectProblem(await claim(event.id, player, 'another-1'), 409, 'ALREADY_CLAIMED');
    expectProblem(await claim(event.id, player), 409, 'ALREADY_CLAIMED');
    expect(await eventGrants(player.user.id)).toHaveLength(1);
    await expectLedgerClean(ctx.db);
  });

  it('is answered with the claim after the event ended, not EVENT_EXPIRED; another key or none is ALREADY_CLAIMED', async () => {
    const { player, event } = await completedEvent(undefined, minutesFromNow(1));
    const first = await claim(event.id, player, 'late-1');
    expect(first.statusCode, first.body).toBe(200);
    await forgetKeys(player.user.id);
    ctx.clock.advance(2 * 60_000); // past ends_at
    const again = await claim(event.id, player, 'late-1');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(EventClaimResponseSchema.parse(again.json()).grant_id).toBe(EventClaimResponseSchema.parse(first.json()).grant_id);
    // Claimed is final: the reward is the player's, not expired.
    expectProblem(await claim(event.id, player, 'another-late-1'), 409, 'ALREADY_CLAIMED');
    expectProblem(await claim(event.id, player), 409, 'ALREADY_CLAIMED');
    expect(await participationOf(player.user.id, event.id)).toMatchObject({ status: 'claimed' });
    expect(await eventGrants(player.user.id)).toHaveLength(1);
    await expectLedgerClean(ctx.db);
  });
});

describe.runIf(process.env.DATABASE_URL)('a claim retried under its own key while the first still runs', () => {
  it('is answered with the claim when the retry took the key over as stale', async () => {
    const { player, event } = await completedEvent();
    // A slow transaction holds the player's accounts: the claim waits in its first statement.
    const release = await holdLock(ctx.db, (trx) => trx.selectFrom('accounts').select('currency').where('owner', '=', `user:${player.user.id}`).forUpdate().execute());
    const first = claim(event.id, player, 'slow-1');
    await untilLockWaiters(ctx.db, 1);
    // Past the key's takeover age (60 s): the retry runs the claim as if the first had died.
    ctx.clock.advance(61_000);
    const retry = claim(event.id, player, 'slow-1');
    await untilLockWaiters(ctx.db, 2);
    await release();
    const [a, b] = await Promise.all([first, retry]);
    expect([a.statusCode, b.statusCode], `${a.body}\n${b.body}`).toEqual([200, 200]);
    expect(EventClaimResponseSchema.parse(b.json()).grant_id).toBe(EventClaimResponseSchema.parse(a.json()).grant_id);
    expect(await eventGrants(player.user.id)).toHaveLength(1);
    await expectLedgerClean(ctx.db);
  });

  it('is answered with the claim when the retry came after the event ended, not EVENT_EXPIRED', async () => {
    const { player, event } = await completedEvent(undefined, new Date(ctx.clock.now().getTime() + 30_000));
    const release = await holdLock(ctx.db, (trx) => trx.selectFrom('accounts').select('currency').where('owner', '=', `user:${player.user.id}`).forUpdate().execute());
    const first = claim(event.id, player, 'slow-late-1');
    await untilLockWaiters(ctx.db, 1);
    // Past the key's takeover age and past ends_at: the retry runs the claim after the end.
    ctx.clock.advance(61_000);
    const retry = claim(event.id, player, 'slow-late-1');
    await untilLockWaiters(ctx.db, 2);
    await release();
    const [a, b] = await Promise.all([first, retry]);
    expect([a.statusCode, b.statusCode], `${a.body}\n${b.body}`).toEqual([200, 200]);
    expect(EventClaimResponseSchema.parse(b.json()).grant_id).toBe(EventClaimResponseSchema.parse(a.json()).grant_id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const again = await claim(event.id, player, 'slow-late-1');
    expect(EventClaimResponseSchema.parse(again.json()).grant_id).toBe(EventClaimResponseSchema.parse(a.json()).grant_id);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1250, premium: 0 });
    expect(await eventGrants(player.user.id)).toHaveLength(1);
    await expectLedgerClean(ctx.db);
  });
});
