import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EndSessionResponseSchema,
  GameSessionListSchema,
  GameTypesResponseSchema,
  StartSessionResponseSchema,
} from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import { ABANDON_GRACE_S } from './service.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

const start = (player: TestPlayer, gameType: string) =>
  ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: player.headers, payload: { game_type: gameType } });
const end = (player: TestPlayer, sessionId: string, body: unknown) =>
  ctx.app.inject({
    method: 'POST',
    url: `/api/game/sessions/${sessionId}/end`,
    headers: { ...player.headers, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });

/** Starts a session and returns its id; fails the test on anything but 201. */
async function started(player: TestPlayer, gameType: string): Promise<string> {
  const res = await start(player, gameType);
  expect(res.statusCode, res.body).toBe(201);
  return StartSessionResponseSchema.parse(res.json()).session_id;
}

const seconds = (s: number) => ctx.clock.advance(s * 1000);
const userRow = (userId: string) =>
  ctx.db.selectFrom('users').select(['exp', 'level', 'state_version', 'streak_days']).where('id', '=', userId).executeTakeFirstOrThrow();
const sessionRow = (id: string) => ctx.db.selectFrom('game_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const grantsOf = (userId: string) => ctx.db.selectFrom('reward_grants').select(['grant_key', 'source']).where('user_id', '=', userId).execute();

describe('GET /api/game/types', () => {
  it('lists a client-scored and a server-scored type', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/game/types' });
    expect(res.statusCode).toBe(200);
    const types = GameTypesResponseSchema.parse(res.json());
    expect(types).toEqual([
      { game_type: 'reaction', name: 'Reaction', scoring: 'client', max_duration_s: 120, min_duration_s: 1, max_score_per_second: 100 },
      { game_type: 'lucky_dice', name: 'Lucky Dice', scoring: 'server', max_duration_s: 60, min_duration_s: 0, max_score_per_second: null },
    ]);
  });
});

describe('POST /api/game/sessions/start', () => {
  it('starts a session: 201 with the session, listed as active', async () => {
    const player = await makePlayer(ctx.app);
    const res = await start(player, 'reaction');
    expect(res.statusCode).toBe(201);
    const body = StartSessionResponseSchema.parse(res.json());
    expect(body).toMatchObject({ game_type: 'reaction', status: 'active', started_at: ctx.clock.now().toISOString(), seed_commitment: null });
    const active = GameSessionListSchema.parse(
      (await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/active', headers: player.headers })).json(),
    );
    expect(active.items).toEqual([
      { session_id: body.session_id, game_type: 'reaction', started_at: body.started_at, ended_at: null, score: null, duration: null, status: 'active', seed_commitment: null },
    ]);
  });

  it('gives a server-scored session a seed commitment but never the seed', async () => {
    const player = await makePlayer(ctx.app);
    const res = await start(player, 'lucky_dice');
    const body = StartSessionResponseSchema.parse(res.json());
    expect(body.seed_commitment).toMatch(/^[0-9a-f]{64}$/);
    const active = await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/active', headers: player.headers });
    const row = await sessionRow(body.session_id);
    expect(res.body + active.body).not.toContain(row.seed!);
  });

  it('refuses a second active session of one type (409 SESSION_ALREADY_ACTIVE), not of another type', async () => {
    const player = await makePlayer(ctx.app);
    await started(player, 'reaction');
    expectProblem(await start(player, 'reaction'), 409, 'SESSION_ALREADY_ACTIVE');
    expect((await start(player, 'lucky_dice')).statusCode).toBe(201);
  });

  it('lets exactly one of 10 concurrent starts of one type succeed', async () => {
    const player = await makePlayer(ctx.app);
    const results = await Promise.all(Array.from({ length: 10 }, () => start(player, 'reaction')));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode !== 201)) expectProblem(r, 409, 'SESSION_ALREADY_ACTIVE');
    const rows = await ctx.db.selectFrom('game_sessions').select('status').where('user_id', '=', player.user.id).execute();
    expect(rows).toEqual([{ status: 'active' }]);
  });

  it('answers 404 for an unknown game type and 400 for a malformed one', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await start(player, 'chess'), 404, 'NOT_FOUND');
    for (const payload of [{ game_type: 'Reaction!' }, {}, { game_type: 'reaction', extra: 1 }, { game_type: 7 }]) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: player.headers, payload });
      expectProblem(res, 400, 'VALIDATION_FAILED');
    }
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', payload: { game_type: 'reaction' } }), 401, 'UNAUTHENTICATED');
    expect(await ctx.db.selectFrom('game_sessions').select('id').where('user_id', '=', player.user.id).execute()).toEqual([]);
  });

  it('closes an active session left past max duration + grace as abandoned when the type starts again', async () => {
    const player = await makePlayer(ctx.app);
    const first = await started(player, 'reaction');
    seconds(120 + ABANDON_GRACE_S - 1);
    expectProblem(await start(player, 'reaction'), 409, 'SESSION_ALREADY_ACTIVE');
    seconds(2);
    const second = await started(player, 'reaction');
    expect(await sessionRow(first)).toMatchObject({ status: 'abandoned', ended_at: ctx.clock.now(), score: null });
    expectProblem(await end(player, first, { score: 1, duration: 5 }), 409, 'SESSION_NOT_ACTIVE');
    seconds(10);
    expect((await end(player, second, { score: 1, duration: 5 })).statusCode).toBe(200);
  });
});

describe('POST /api/game/sessions/{id}/end', () => {
  it('ends a reaction session: the session, exp, level and no rewards', async () => {
    const player = await makePlayer(ctx.app);
    const id = await started(player, 'reaction');
    const startedAt = ctx.clock.now().toISOString();
    seconds(30);
    const res = await end(player, id, { score: 1234, duration: 29.5, meta: { hits: 80, misses: 3 } });
    expect(res.statusCode, res.body).toBe(200);
    const body = EndSessionResponseSchema.parse(res.json());
    expect(body).toEqual({
      session: { session_id: id, game_type: 'reaction', started_at: startedAt, ended_at: ctx.clock.now().toISOString(), score: 1234, duration: 29.5, status: 'ended', seed_commitment: null },
      progress_updates: expect.any(Array),
      exp_gained: 22,
      level: 1,
      level_up: false,
      tier: 'bronze',
      streak_days: 1,
      reward_items: [],
      result: null,
    });
    expect(await userRow(player.user.id)).toMatchObject({ exp: 22, level: 1, streak_days: 1 });
    expect(await sessionRow(id)).toMatchObject({ status: 'ended', score: 1234, duration_s: 29.5, meta: { hits: 80, misses: 3 } });
  });

  it('ends a lucky_dice session with the server’s roll (no client score) and pays through the reward service', async () => {
    const player = await makePlayer(ctx.app);
    const id = await started(player, 'lucky_dice');
    seconds(3);
    const res = await end(player, id, { duration: 2.5 });
    expect(res.statusCode, res.body).toBe(200);
    const body = EndSessionResponseSchema.parse(res.json());
    const outcome = body.result!.outcome;
    expect(body.session.score).toBe(outcome.total);
    expect(body.exp_gained).toBe(10 + outcome.total);
    const paid = outcome.payout_soft > 0 ? [{ type: 'currency', currency: 'soft', amount: outcome.payout_soft }] : [];
    expect(body.reward_items).toEqual(paid);
    expect((await grantsOf(player.user.id)).filter((g) => g.source === 'game')).toHaveLength(paid.length);
    await expectLedgerClean(ctx.db);
  });

  it('accepts a score of 0 for a server-scored game, and a duration of exactly wall time + 2 s', async () => {
    const player = await makePlayer(ctx.app);
    const id = await started(player, 'lucky_dice');
    seconds(1);
    expect((await end(player, id, { score: 0, duration: 3 })).statusCode).toBe(200);
  });

  it('refuses to end a session twice (409 SESSION_NOT_ACTIVE) and grants exp once', async () => {
    const player = await makePlayer(ctx.app);
    const id = await started(player, 'reaction');
    seconds(10);
    expect((await end(player, id, { score: 100, duration: 10 })).statusCode).toBe(200);
    const after = await userRow(player.user.id);
    expectProblem(await end(player, id, { score: 100, duration: 10 }), 409, 'SESSION_NOT_ACTIVE');
    expect(await userRow(player.user.id)).toEqual(after);
  });

  it('lets one of 10 concurrent ends of one session win; the rest get SESSION_NOT_ACTIVE', async () => {
    const player = await makePlayer(ctx.app);
    const id = await started(player, 'lucky_dice');
    seconds(5);
    const results = await Promise.all(Array.from({ length: 10 }, () => end(player, id, { duration: 4 })));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode !== 200)) expectProblem(r, 409, 'SESSION_NOT_ACTIVE');
    const score = (await sessionRow(id)).score!;
    expect((await userRow(player.user.id)).exp).toBe(10 + score);
    expect((await grantsOf(player.user.id)).filter((g) => g.grant_key === `game:${id}`).length).toBeLessThanOrEqual(1);
    await expectLedgerClean(ctx.db);
  });

  it('closes a session reported past max duration + grace as abandoned: 409, and the play counts toward nothing', async () => {
    const player = await makePlayer(ctx.app);
    const late = await started(player, 'reaction');
    seconds(120 + ABANDON_GRACE_S + 1);
    const active = await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/active', headers: player.headers });
    expect(GameSessionListSchema.parse(active.json()).items).toEqual([]);
    const before = await userRow(player.user.id);
    expectProblem(await end(player, late, { score: 100, duration: 60 }), 409, 'SESSION_NOT_ACTIVE');
    expect(await sessionRow(late)).toMatchObject({ status: 'abandoned', ended_at: ctx.clock.now(), score: null, duration_s: null });
    expect(await userRow(player.user.id)).toEqual(before);
    expectProblem(await end(player, late, { score: 100, duration: 60 }), 409, 'SESSION_NOT_ACTIVE');
    // Within the grace a session still ends as played.
    const onTime = await started(player, 'reaction');
    seconds(120 + ABANDON_GRACE_S);
    expect((await end(player, onTime, { score: 100, duration: 60 })).statusCode).toBe(200);
  });

  describe('retried under its own idempotency key', () => {
    // What a lost answer leaves: the end committed, its key's stored answer gone (a 5xx after
    // COMMIT releases it); the retry runs the end again.
    const forgetKeys = (userId: string) => ctx.db.deleteFrom('idempotency_keys').where('user_scope', '=', userId).execute();
    const keyed = (player: TestPlayer, sessionId: string, key: string, body: unknown) =>
      ctx.app.inject({
        method: 'POST',
        url: `/api/game/sessions/${sessionId}/end`,
        headers: { ...player.headers, 'content-type': 'application/json', 'x-idempotency-key': key },
        payload: JSON.stringify(body),
      });

    it('is answered with the end it made (replayed), not SESSION_NOT_ACTIVE; exp and payout once', async () => {
      const player = await makePlayer(ctx.app);
      const id = await started(player, 'lucky_dice');
      seconds(5);
      const first = await keyed(player, id, 'end-1', { duration: 4 });
      expect(first.statusCode, first.body).toBe(200);
      const after = await userRow(player.user.id);
      const grants = await grantsOf(player.user.id);
      await forgetKeys(player.user.id);
      seconds(30);
      const again = await keyed(player, id, 'end-1', { duration: 4 });
      expect(again.statusCode, again.body).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(EndSessionResponseSchema.parse(again.json())).toEqual(EndSessionResponseSchema.parse(first.json()));
      expect(await userRow(player.user.id)).toEqual(after);
      expect(await grantsOf(player.user.id)).toEqual(grants);
      await expectLedgerClean(ctx.db);
    });

    it('is 422 IDEMPOTENCY_KEY_REUSED for another body under the key; another key or none is still SESSION_NOT_ACTIVE', async () => {
      const player = await makePlayer(ctx.app);
      const id = await started(player, 'reaction');
      seconds(10);
      expect((await keyed(player, id, 'end-2', { score: 100, duration: 9 })).statusCode).toBe(200);
      await forgetKeys(player.user.id);
      const after = await userRow(player.user.id);
      expectProblem(await keyed(player, id, 'end-2', { score: 999, duration: 9 }), 422, 'IDEMPOTENCY_KEY_REUSED');
      await forgetKeys(player.user.id);
      expectProblem(await keyed(player, id, 'end-3', { score: 100, duration: 9 }), 409, 'SESSION_NOT_ACTIVE');
      expectProblem(await end(player, id, { score: 100, duration: 9 }), 409, 'SESSION_NOT_ACTIVE');
      expect(await userRow(player.user.id)).toEqual(after);
    });

    it.runIf(process.env.DATABASE_URL)('is answered with the end when the retry took the key over as stale while the first still ran', async () => {
      const player = await makePlayer(ctx.app);
      const id = await started(player, 'lucky_dice');
      seconds(5);
      // A slow transaction holds the session row: the end waits in its first statement.
      const release = await holdLock(ctx.db, (trx) => trx.selectFrom('game_sessions').select('id').where('id', '=', id).forUpdate().execute());
      const first = keyed(player, id, 'slow-end', { duration: 4 });
      await untilLockWaiters(ctx.db, 1);
      // Past the key's takeover age (60 s): the retry runs the end as if the first had died. The
      // session's time is measured from its start, so the end stays within max duration + grace.
      ctx.clock.advance(61_000);
      const retry = keyed(player, id, 'slow-end', { duration: 4 });
      await untilLockWaiters(ctx.db, 2);
      await release();
      const [a, b] = await Promise.all([first, retry]);
      expect([a.statusCode, b.statusCode], `${a.body}\n${b.body}`).toEqual([200, 200]);
      expect(b.json()).toEqual(a.json());
      const score = (await sessionRow(id)).score!;
      expect((await userRow(player.user.id)).exp).toBe(10 + score);
      await expectLedgerClean(ctx.db);
    });

    it('keeps nothing for an end without a key', async () => {
      const player = await makePlayer(ctx.app);
      const id = await started(player, 'reaction');
      seconds(10);
      expect((await end(player, id, { score: 100, duration: 9 })).statusCode).toBe(200);
      expect(await sessionRow(id)).toMatchObject({ end_idempotency_key: null, end_fingerprint: null, end_response: null });
    });
  });

  it('refuses meta nested too deep to print as 400, not 500, and the session stays active', async () => {
    const player = await makePlayer(ctx.app);
    const id = await started(player, 'reaction');
    seconds(10);
    const depth = 20_000;
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/api/game/sessions/${id}/end`,
      headers: { ...player.headers, 'content-type': 'application/json' },
      payload: `{"score":10,"duration":5,"meta":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect((await sessionRow(id)).status).toBe('active');
  });

  describe('refuses implausible or invalid results and changes nothing', () => {
    it.each([
      ['a duration longer than the wall time + 2 s', 'reaction', { score: 10, duration: 12.01 }, 422, 'IMPLAUSIBLE_RESULT'],
      ['a score above rate × duration + allowance', 'reaction', { score: 1051, duration: 10 }, 422, 'IMPLAUSIBLE_RESULT'],
      ['a score of 1e9 (valid integer, far above the bound)', 'reaction', { score: 1_000_000_000, duration: 10 }, 422, 'IMPLAUSIBLE_RESULT'],
      ['a duration below the minimum', 'reaction', { score: 0, duration: 0.5 }, 422, 'IMPLAUSIBLE_RESULT'],
      ['a client score for a server-scored game', 'lucky_dice', { score: 12, duration: 5 }, 422, 'IMPLAUSIBLE_RESULT'],
      ['no score for a client-scored game', 'reaction', { duration: 5 }, 400, 'VALIDATION_FAILED'],
      ['a negative score', 'reaction', { score: -1, duration: 5 }, 400, 'VALIDATION_FAILED'],
      ['a negative duration', 'reaction', { score: 1, duration: -1 }, 400, 'VALIDATION_FAILED'],
      ['a huge score', 'reaction', { score: 1e12, duration: 5 }, 400, 'VALIDATION_FAILED'],
      ['a huge duration', 'reaction', { score: 1, duration: 86_401 }, 400, 'VALIDATION_FAILED'],
      ['a fractional score', 'reaction', { score: 10.5, duration: 5 }, 400, 'VALIDATION_FAILED'],
      ['a string score', 'reaction', { score: '10', duration: 5 }, 400, 'VALIDATION_FAILED'],
      ['a missing duration', 'reaction', { score: 10 }, 400, 'VALIDATION_FAILED'],
      ['an extra field', 'reaction', { score: 10, duration: 5, won: true }, 400, 'VALIDATION_FAILED'],
      ['a meta over 2 KB', 'reaction', { score: 10, duration: 5, meta: { blob: 'x'.repeat(2100) } }, 400, 'VALIDATION_FAILED'],
      ['a meta that is not an object', 'reaction', { score: 10, duration: 5, meta: [1, 2] }, 400, 'VALIDATION_FAILED'],
    ] as const)('%s', async (_name, gameType, body, status, code) => {
      const player = await makePlayer(ctx.app);
      const id = await started(player, gameType);
      seconds(10);
      const before = await userRow(player.user.id);
      expectProblem(await end(player, id, body), status, code);
      expect(await userRow(player.user.id)).toEqual(before);
      expect(await sessionRow(id)).toMatchObject({ status: 'active', ended_at: null, score: null, duration_s: null, meta: null });
      expect((await grantsOf(player.user.id)).map((g) => g.source)).toEqual(['signup']);
    });

    it('a duration over the type maximum even when the wall time allows it', async () => {
      const player = await makePlayer(ctx.app);
      const id = await started(player, 'reaction');
      seconds(200);
      expectProblem(await end(player, id, { score: 10, duration: 121 }), 422, 'IMPLAUSIBLE_RESULT');
      expect((await sessionRow(id)).status).toBe('active');
      expect((await end(player, id, { score: 10, duration: 120 })).statusCode).toBe(200);
    });

    it('a bad session id (400), an unknown one (404), another player’s (404) and no token (401)', async () => {
      const owner = await makePlayer(ctx.app);
      const other = await makePlayer(ctx.app);
      const id = await started(owner, 'reaction');
      seconds(10);
      expectProblem(await end(owner, 'not-a-uuid', { score: 1, duration: 5 }), 400, 'VALIDATION_FAILED');
      expectProblem(await end(owner, '00000000-0000-4000-8000-000000000000', { score: 1, duration: 5 }), 404, 'NOT_FOUND');
      expectProblem(await end(other, id, { score: 1, duration: 5 }), 404, 'NOT_FOUND');
      const anon = await ctx.app.inject({ method: 'POST', url: `/api/game/sessions/${id}/end`, payload: { score: 1, duration: 5 } });
      expectProblem(anon, 401, 'UNAUTHENTICATED');
      expect((await sessionRow(id)).status).toBe('active');
      expect((await userRow(other.user.id)).exp).toBe(0);
      expect((await end(owner, id, { score: 1, duration: 5 })).statusCode).toBe(200);
    });
  });

  it('ends 20 sessions of 20 players at once; each gets its exp, the ledger stays clean', async () => {
    const players = await Promise.all(Array.from({ length: 20 }, () => makePlayer(ctx.app)));
    const sessions = await Promise.all(players.map((p, i) => started(p, i % 2 ? 'lucky_dice' : 'reaction')));
    seconds(20);
    const results = await Promise.all(
      players.map((p, i) => end(p, sessions[i]!, i % 2 ? { duration: 5 } : { score: 500 + i, duration: 19 })),
    );
    for (const r of results) expect(r.statusCode, r.body).toBe(200);
    for (const [i, p] of players.entries()) {
      const body = EndSessionResponseSchema.parse(results[i]!.json());
      expect((await userRow(p.user.id)).exp).toBe(body.exp_gained);
      expect(body.exp_gained).toBe(i % 2 ? 10 + body.session.score : 15);
    }
    await expectLedgerClean(ctx.db);
  });

  it('ends two sessions of one player at once: both count, exp adds up, the streak counts one day', async () => {
    const player = await makePlayer(ctx.app);
    const reaction = await started(player, 'reaction');
    const dice = await started(player, 'lucky_dice');
    seconds(10);
    const [a, b] = await Promise.all([end(player, reaction, { score: 300, duration: 9 }), end(player, dice, { duration: 3 })]);
    expect([a!.statusCode, b!.statusCode]).toEqual([200, 200]);
    const gained = EndSessionResponseSchema.parse(a!.json()).exp_gained + EndSessionResponseSchema.parse(b!.json()).exp_gained;
    expect(await userRow(player.user.id)).toMatchObject({ exp: gained, streak_days: 1 });
  });
});

describe('GET /api/game/sessions/recent and /active', () => {
  it('lists ended sessions newest first, limited; active ones separately', async () => {
    const player = await makePlayer(ctx.app);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await started(player, 'reaction');
      seconds(5);
      expect((await end(player, id, { score: i, duration: 4 })).statusCode).toBe(200);
      ids.push(id);
    }
    const open = await started(player, 'reaction');
    const recent = await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/recent?limit=2', headers: player.headers });
    expect(recent.statusCode).toBe(200);
    const { items } = GameSessionListSchema.parse(recent.json());
    expect(items.map((s) => [s.session_id, s.score, s.status])).toEqual([
      [ids[2], 2, 'ended'],
      [ids[1], 1, 'ended'],
    ]);
    const all = GameSessionListSchema.parse((await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/recent', headers: player.headers })).json());
    expect(all.items).toHaveLength(3);
    const active = GameSessionListSchema.parse((await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/active', headers: player.headers })).json());
    expect(active.items.map((s) => s.session_id)).toEqual([open]);
  });

  it('rejects a bad limit and needs a token', async () => {
    const player = await makePlayer(ctx.app);
    for (const q of ['limit=0', 'limit=51', 'limit=abc', 'limit=5&x=1']) {
      expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/game/sessions/recent?${q}`, headers: player.headers }), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/recent' }), 401, 'UNAUTHENTICATED');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/active' }), 401, 'UNAUTHENTICATED');
  });

  it('shows only the caller’s own sessions', async () => {
    const a = await makePlayer(ctx.app);
    const b = await makePlayer(ctx.app);
    await started(a, 'reaction');
    const res = await ctx.app.inject({ method: 'GET', url: '/api/game/sessions/active', headers: b.headers });
    expect(res.json()).toEqual({ items: [] });
  });
});
