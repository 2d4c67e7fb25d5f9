import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissionClaimResponseSchema, MissionsResponseSchema, PendingRewardsResponseSchema, type Mission } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeMission } from '../../../test/factories/live-ops.ts';
import { accessTokenAt, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import { advanceProgressForMetric } from '../events/progress.ts';
import { lockPlayerAccounts } from '../wallet/ledger.ts';
import { getBalances } from '../wallet/ledger.ts';
import type { MissionRow } from './repo.ts';

// The test clock starts at 2026-11-28T12:00:00Z, a Saturday (ISO week 2026-W48), in UTC.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const listMissions = async (player: TestPlayer) => {
  const res = await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers });
  expect(res.statusCode).toBe(200);
  return MissionsResponseSchema.parse(res.json());
};
const find = (missions: { daily: Mission[]; weekly: Mission[] }, mission: MissionRow) =>
  [...missions.daily, ...missions.weekly].find((m) => m.id === mission.id);
const claim = (missionId: string, player: TestPlayer, key?: string) =>
  ctx.app.inject({
    method: 'POST',
    url: `/api/events/missions/${missionId}/claim`,
    headers: { ...player.headers, ...(key ? { 'x-idempotency-key': key } : {}) },
  });
/** Counts `n` logins for the player now (missions here count logins so no game session is needed). */
const login = (player: TestPlayer, n = 1) =>
  ctx.db.transaction().execute((trx) => advanceProgressForMetric(trx, { userId: player.user.id, metric: 'logins', delta: n, now: ctx.clock.now(), resetTimezone: 'UTC' }));
const missionGrants = (userId: string) =>
  ctx.db.selectFrom('reward_grants').select(['grant_key', 'source_id']).where('user_id', '=', userId).where('source', '=', 'mission').execute();

/**
 * Moves the clock to `at` for `fn` with a fresh access token (tokens live 15 minutes), minted
 * for the player's session: refreshing or logging in would sign in, which counts toward `logins`.
 */
async function at<T>(when: string, player: TestPlayer, fn: () => Promise<T>): Promise<T> {
  const saved = ctx.clock.now();
  ctx.clock.set(when);
  try {
    player.headers = await accessTokenAt(player, ctx.clock.now());
    return await fn();
  } finally {
    ctx.clock.set(saved);
  }
}

describe('GET /api/events/missions', () => {
  it('lists active daily and weekly missions with the current period and progress 0 when nothing counted', async () => {
    const player = await makePlayer(ctx.app);
    const daily = await makeMission(ctx, { period: 'daily', rules: { metric: 'logins', target: 2 }, reward: { currencies: { soft: 40 } } });
    const weekly = await makeMission(ctx, { period: 'weekly', rules: { metric: 'games_played', target: 10, game_type: 'reaction' } });
    const hidden = await makeMission(ctx, { active: false });

    const missions = await listMissions(player);
    expect(find(missions, daily)).toEqual({
      id: daily.id,
      key: daily.key,
      title: 'Test mission',
      description: '',
      period: 'daily',
      rules: { metric: 'logins', target: 2 },
      reward_bundle: { currencies: { soft: 40 } },
      period_key: '2026-11-28',
      resets_at: '2026-11-29T00:00:00.000Z',
      progress: 0,
      target: 2,
      status: 'active',
      completed: false,
      claimed: false,
      progress_version: 0,
    });
    expect(missions.weekly.find((m) => m.id === weekly.id)).toMatchObject({ period_key: '2026-W48', resets_at: '2026-11-30T00:00:00.000Z' });
    expect(find(missions, hidden)).toBeUndefined();

    await login(player);
    expect(find(await listMissions(player), daily)).toMatchObject({ progress: 1, status: 'active', progress_version: 1 });
  });

  it('is not captured by /api/events/{id}: the static route wins, other non-uuids are 400', async () => {
    const player = await makePlayer(ctx.app);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).statusCode).toBe(200);
    for (const url of ['/api/events/missions/claim', '/api/events/missions/participate', '/api/events/not-a-uuid/claim']) {
      expectProblem(await ctx.app.inject({ method: 'POST', url, headers: player.headers }), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/events/missions' }), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /api/events/missions/{id}/claim', () => {
  it('grants the current period once and answers the claim shape', async () => {
    const player = await makePlayer(ctx.app);
    const mission = await makeMission(ctx, { rules: { metric: 'logins', target: 2 }, reward: { currencies: { soft: 60, premium: 2 }, exp: 15 } });
    expectProblem(await claim(mission.id, player), 409, 'NOT_CLAIMABLE');
    await login(player);
    expectProblem(await claim(mission.id, player), 409, 'NOT_CLAIMABLE');
    await login(player, 5);

    const pending = PendingRewardsResponseSchema.parse(
      (await ctx.app.inject({ method: 'GET', url: '/api/rewards/pending', headers: player.headers })).json(),
    );
    expect(pending.items).toContainEqual({
      source: 'mission',
      source_id: mission.id,
      title: 'Test mission',
      reward_bundle: { currencies: { soft: 60, premium: 2 }, exp: 15 },
      expires_at: '2026-11-29T00:00:00.000Z',
    });

    const res = await claim(mission.id, player);
    expect(res.statusCode).toBe(200);
    const body = MissionClaimResponseSchema.parse(res.json());
    expect(body).toMatchObject({
      mission_id: mission.id,
      period_key: '2026-11-28',
      status: 'claimed',
      progress: 2,
      target: 2,
      completed: true,
      claimed: true,
      progress_version: 3,
      reward_items: [
        { type: 'currency', currency: 'soft', amount: 60 },
        { type: 'currency', currency: 'premium', amount: 2 },
        { type: 'exp', amount: 15 },
      ],
      balances: { soft: 1060, premium: 2 },
    });
    expect(await missionGrants(player.user.id)).toEqual([
      { grant_key: `mission:${mission.id}:2026-11-28:user:${player.user.id}`, source_id: mission.id },
    ]);
    const outbox = async (type: string) =>
      (await sql<{ envelope: { payload: unknown } }>`SELECT envelope FROM outbox WHERE user_id = ${player.user.id} AND event_type = ${type} ORDER BY id`.execute(ctx.db)).rows.map(
        (r) => r.envelope.payload,
      );
    expect(await outbox('mission.claim')).toEqual([
      { mission_id: mission.id, period_key: '2026-11-28', grant_id: body.grant_id, reward_items: body.reward_items },
    ]);
    expect((await outbox('mission.progress')).filter((p) => (p as { mission_id: string }).mission_id === mission.id)).toEqual([
      { mission_id: mission.id, period_key: '2026-11-28', metric: 'logins', delta: 1, progress: 1, target: 2, completed: false, progress_version: 1 },
      { mission_id: mission.id, period_key: '2026-11-28', metric: 'logins', delta: 5, progress: 2, target: 2, completed: true, progress_version: 2 },
    ]);
    expectProblem(await claim(mission.id, player), 409, 'ALREADY_CLAIMED');
    expect(find(await listMissions(player), mission)).toMatchObject({ status: 'claimed', claimed: true });
    await expectLedgerClean(ctx.db);
  });

  it('grants exactly once under 20 concurrent claims with mixed idempotency keys', async () => {
    const player = await makePlayer(ctx.app);
    const mission = await makeMission(ctx, { rules: { metric: 'logins', target: 1 }, reward: { currencies: { soft: 300 } } });
    await login(player);
    const keys = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? undefined : i % 3 === 1 ? 'shared' : `own-${i}`));
    const results = await Promise.all(keys.map((key) => claim(mission.id, player, key)));
    const fresh = results.filter((r) => r.statusCode === 200 && r.headers['idempotent-replayed'] !== 'true');
    expect(fresh).toHaveLength(1);
    for (const r of results) {
      if (r.statusCode === 200) continue;
      expect(['ALREADY_CLAIMED', 'IDEMPOTENCY_IN_PROGRESS']).toContain(expectProblem(r, 409, r.json().code).code);
    }
    expect(await missionGrants(player.user.id)).toHaveLength(1);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1300, premium: 0 });
    await expectLedgerClean(ctx.db);
  });

  it('runs claims alongside purchase-style progress of the same player without deadlocks', async () => {
    const player = await makePlayer(ctx.app);
    const mission = await makeMission(ctx, { rules: { metric: 'purchases', target: 1 }, reward: { currencies: { soft: 10 } } });
    await ctx.db.transaction().execute((trx) => advanceProgressForMetric(trx, { userId: player.user.id, metric: 'purchases', delta: 1, now: ctx.clock.now(), resetTimezone: 'UTC' }));
    // As the purchase flow does: the player's accounts first, then progress, then the users row.
    const purchaseLike = () =>
      ctx.db.transaction().execute(async (trx) => {
        await lockPlayerAccounts(trx, player.user.id);
        await advanceProgressForMetric(trx, { userId: player.user.id, metric: 'purchases', delta: 1, now: ctx.clock.now(), resetTimezone: 'UTC' });
      });
    const results = await Promise.allSettled([...Array.from({ length: 5 }, purchaseLike), claim(mission.id, player), ...Array.from({ length: 5 }, purchaseLike)]);
    for (const r of results) expect(r.status).toBe('fulfilled');
    const claimed = results[5] as PromiseFulfilledResult<Awaited<ReturnType<typeof claim>>>;
    expect(claimed.value.statusCode).toBe(200);
    expect(await missionGrants(player.user.id)).toHaveLength(1);
  });

  it('answers 404 for unknown and inactive missions, 400 for a bad id, 401 without a token', async () => {
    const player = await makePlayer(ctx.app);
    const inactive = await makeMission(ctx, { active: false });
    expectProblem(await claim(UNKNOWN_ID, player), 404, 'NOT_FOUND');
    expectProblem(await claim(inactive.id, player), 404, 'NOT_FOUND');
    expectProblem(await claim('42', player), 400, 'VALIDATION_FAILED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: `/api/events/missions/${UNKNOWN_ID}/claim` }), 401, 'UNAUTHENTICATED');
  });
});

describe('mission periods (RESET_TIMEZONE=UTC)', () => {
  it('counts the days a player signs in toward a logins mission, once a day', async () => {
    const mission = await makeMission(ctx, { period: 'weekly', rules: { metric: 'logins', target: 2 } });
    // The signup is the first sign-in of its day; more logins that day add nothing.
    const player = await makePlayer(ctx.app);
    for (let i = 0; i < 2; i++) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
      expect(res.statusCode).toBe(200);
    }
    expect(find(await listMissions(player), mission)).toMatchObject({ status: 'active', progress: 1 });
    await at('2026-11-29T08:00:00.000Z', player, async () => {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
      expect(res.statusCode).toBe(200);
      expect(find(await listMissions(player), mission)).toMatchObject({ status: 'claimable', progress: 2 });
    });
  });

  it('starts a fresh day at midnight; yesterday’s unclaimed period cannot be claimed', async () => {
    const player = await makePlayer(ctx.app);
    const mission = await makeMission(ctx, { period: 'daily', rules: { metric: 'logins', target: 1 } });
    await at('2026-11-28T23:59:59.999Z', player, async () => {
      await login(player);
      expect(find(await listMissions(player), mission)).toMatchObject({ period_key: '2026-11-28', status: 'claimable', progress: 1 });
    });
    await at('2026-11-29T00:00:00.000Z', player, async () => {
      expect(find(await listMissions(player), mission)).toMatchObject({ period_key: '2026-11-29', status: 'active', progress: 0, progress_version: 0 });
      expectProblem(await claim(mission.id, player), 409, 'NOT_CLAIMABLE');
      const pending = PendingRewardsResponseSchema.parse(
        (await ctx.app.inject({ method: 'GET', url: '/api/rewards/pending', headers: player.headers })).json(),
      );
      expect(pending.items.some((i) => i.source_id === mission.id)).toBe(false);
      await login(player);
      const res = await claim(mission.id, player);
      expect(res.json()).toMatchObject({ period_key: '2026-11-29', status: 'claimed' });
    });
    expect(await missionGrants(player.user.id)).toEqual([
      { grant_key: `mission:${mission.id}:2026-11-29:user:${player.user.id}`, source_id: mission.id },
    ]);
    const rows = await ctx.db.selectFrom('mission_progress').select(['period_key', 'status']).where('mission_id', '=', mission.id).orderBy('period_key').execute();
    expect(rows).toEqual([
      { period_key: '2026-11-28', status: 'claimable' },
      { period_key: '2026-11-29', status: 'claimed' },
    ]);
  });

  it('starts a fresh week on Monday 00:00, and a claimed week can be earned again the next week', async () => {
    const player = await makePlayer(ctx.app);
    const weekly = await makeMission(ctx, { period: 'weekly', rules: { metric: 'logins', target: 2 } });
    await at('2026-11-29T23:59:00.000Z', player, async () => {
      await login(player, 2);
      expect((await claim(weekly.id, player)).json()).toMatchObject({ period_key: '2026-W48', status: 'claimed' });
    });
    await at('2026-11-30T00:00:00.000Z', player, async () => {
      expect(find(await listMissions(player), weekly)).toMatchObject({ period_key: '2026-W49', progress: 0, status: 'active', resets_at: '2026-12-07T00:00:00.000Z' });
      await login(player, 2);
      expect((await claim(weekly.id, player)).json()).toMatchObject({ period_key: '2026-W49', status: 'claimed' });
    });
    expect((await missionGrants(player.user.id)).map((g) => g.grant_key).sort()).toEqual([
      `mission:${weekly.id}:2026-W48:user:${player.user.id}`,
      `mission:${weekly.id}:2026-W49:user:${player.user.id}`,
    ]);
  });
});

describe('a mission claim retried under its own idempotency key', () => {
  it('is answered with the claim it made (replayed), not ALREADY_CLAIMED; another key still is', async () => {
    const mission = await makeMission(ctx, { period: 'daily', rules: { metric: 'logins', target: 1 }, reward: { currencies: { soft: 15 } } });
    const player = await makePlayer(ctx.app);
    await login(player);
    const first = await claim(mission.id, player, 'mine-1');
    expect(first.statusCode, first.body).toBe(200);
    // The stored answer lost (a 5xx after COMMIT releases it): the retry runs the claim again.
    await ctx.db.deleteFrom('idempotency_keys').where('user_scope', '=', player.user.id).execute();
    const again = await claim(mission.id, player, 'mine-1');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(MissionClaimResponseSchema.parse(again.json())).toEqual(MissionClaimResponseSchema.parse(first.json()));
    expectProblem(await claim(mission.id, player, 'another-1'), 409, 'ALREADY_CLAIMED');
    expect(await missionGrants(player.user.id)).toHaveLength(1);
    await expectLedgerClean(ctx.db);
  });

  it('is answered with the claim it made yesterday when retried after midnight, not NOT_CLAIMABLE', async () => {
    const mission = await makeMission(ctx, { period: 'daily', rules: { metric: 'logins', target: 1 }, reward: { currencies: { soft: 15 } } });
    const player = await makePlayer(ctx.app);
    const first = await at('2026-11-28T23:59:30.000Z', player, async () => {
      await login(player);
      return claim(mission.id, player, 'midnight-1');
    });
    expect(first.statusCode, first.body).toBe(200);
    await ctx.db.deleteFrom('idempotency_keys').where('user_scope', '=', player.user.id).execute();
    await at('2026-11-29T00:00:31.000Z', player, async () => {
      const again = await claim(mission.id, player, 'midnight-1');
      expect(again.statusCode, again.body).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const { balances: _then, ...made } = MissionClaimResponseSchema.parse(first.json());
      const { balances, ...replayed } = MissionClaimResponseSchema.parse(again.json());
      expect(replayed).toEqual(made);
      expect(replayed.period_key).toBe('2026-11-28');
      expect(balances).toEqual(await getBalances(ctx.db, player.user.id));
      expectProblem(await claim(mission.id, player, 'midnight-other-1'), 409, 'NOT_CLAIMABLE');
      expectProblem(await claim(mission.id, player), 409, 'NOT_CLAIMABLE');
    });
    expect(await missionGrants(player.user.id)).toHaveLength(1);
    await expectLedgerClean(ctx.db);
  });
  it("is answered with yesterday's claim after midnight even when today's period is claimable, which it leaves to a claim of its own", async () => {
    const mission = await makeMission(ctx, { period: 'daily', rules: { metric: 'logins', target: 1 }, reward: { currencies: { soft: 15 } } });
    const player = await makePlayer(ctx.app);
    const first = await at('2026-11-28T23:59:30.000Z', player, async () => {
      await login(player);
      return claim(mission.id, player, 'midnight-2');
    });
    expect(first.statusCode, first.body).toBe(200);
    await ctx.db.deleteFrom('idempotency_keys').where('user_scope', '=', player.user.id).execute();
    await at('2026-11-29T00:00:31.000Z', player, async () => {
      await login(player);
      const again = await claim(mission.id, player, 'midnight-2');
      expect(again.statusCode, again.body).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(MissionClaimResponseSchema.parse(again.json())).toMatchObject({ period_key: '2026-11-28', grant_id: MissionClaimResponseSchema.parse(first.json()).grant_id });
      expect(await missionGrants(player.user.id)).toHaveLength(1);
      expect(find(await listMissions(player), mission)).toMatchObject({ period_key: '2026-11-29', status: 'claimable' });
      // Today's claim, made as a claim of its own.
      expect((await claim(mission.id, player, 'midnight-2-today')).json()).toMatchObject({ period_key: '2026-11-29', status: 'claimed' });
    });
    expect(await missionGrants(player.user.id)).toHaveLength(2);
    await expectLedgerClean(ctx.db);
  });
});

describe.runIf(process.env.DATABASE_URL)('a mission claim retried under its own key while the first still runs', () => {
  it('is answered with the claim when the retry took the key over as stale after midnight', async () => {
    const mission = await makeMission(ctx, { period: 'daily', rules: { metric: 'logins', target: 1 }, reward: { currencies: { soft: 15 } } });
    const player = await makePlayer(ctx.app);
    const saved = ctx.clock.now();
    ctx.clock.set('2026-11-28T23:59:30.000Z');
    try {
      player.headers = await accessTokenAt(player, ctx.clock.now());
      await login(player);
      // A slow transaction holds the player's accounts: the claim waits in its first statement.
      const release = await holdLock(ctx.db, (trx) => lockPlayerAccounts(trx, player.user.id));
      const first = claim(mission.id, player, 'slow-midnight-1');
      await untilLockWaiters(ctx.db, 1);
      // Past the key's takeover age (60 s) and past midnight: the retry claims in a new day.
      ctx.clock.set('2026-11-29T00:00:31.000Z');
      player.headers = await accessTokenAt(player, ctx.clock.now());
      const retry = claim(mission.id, player, 'slow-midnight-1');
      await untilLockWaiters(ctx.db, 2);
      await release();
      const [a, b] = await Promise.all([first, retry]);
      expect([a.statusCode, b.statusCode], `${a.body}\n${b.body}`).toEqual([200, 200]);
      expect(MissionClaimResponseSchema.parse(b.json())).toMatchObject({ period_key: '2026-11-28', grant_id: MissionClaimResponseSchema.parse(a.json()).grant_id });
      expect(b.headers['idempotent-replayed']).toBe('true');
    } finally {
      ctx.clock.set(saved);
    }
    expect(await missionGrants(player.user.id)).toHaveLength(1);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1015, premium: 0 });
    await expectLedgerClean(ctx.db);
  });
});
