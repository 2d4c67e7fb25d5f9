import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminMissionListResponseSchema, AdminMissionSchema } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeMission, uniqueKey } from '../../../test/factories/live-ops.ts';
import { accessTokenAt, makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import { advanceProgressForPlay } from '../events/progress.ts';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

const send = (method: 'GET' | 'POST', payload?: unknown, as: TestPlayer = admin) =>
  ctx.app.inject({
    method,
    url: '/api/admin/missions',
    headers: { ...as.headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
const validBody = (overrides: Record<string, unknown> = {}) => ({
  key: uniqueKey('adm_m'),
  title: 'Win twice',
  period: 'daily',
  rules: { metric: 'wins', target: 2, game_type: 'lucky_dice' },
  reward_bundle: { currencies: { soft: 80 }, exp: 10 },
  ...overrides,
});
const countMissions = async () => Number((await ctx.db.selectFrom('missions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('operator missions', () => {
  it('creates a mission (201 with the object), lists it, and players see it', async () => {
    const body = validBody();
    const res = await send('POST', body);
    expect(res.statusCode).toBe(201);
    const created = AdminMissionSchema.parse(res.json());
    expect(created).toMatchObject({ key: body.key, title: 'Win twice', description: '', period: 'daily', rules: body.rules, active: true });

    const list = AdminMissionListResponseSchema.parse((await send('GET')).json());
    expect(list.items.map((m) => m.id)).toContain(created.id);

    const player = await makePlayer(ctx.app);
    const missions = (await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).json() as { daily: { id: string }[] };
    expect(missions.daily.map((m) => m.id)).toContain(created.id);

    const taken = expectProblem(await send('POST', { ...validBody(), key: body.key }), 422, 'VALIDATION_FAILED');
    expect(taken.errors).toEqual([{ field: 'body.key', message: 'already exists' }]);
  });

  it('keeps an inactive mission from players', async () => {
    const created = AdminMissionSchema.parse((await send('POST', validBody({ active: false, period: 'weekly' }))).json());
    const player = await makePlayer(ctx.app);
    const missions = (await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).json() as { weekly: { id: string }[] };
    expect(missions.weekly.map((m) => m.id)).not.toContain(created.id);
  });

  it.each([
    ['an unknown period', { period: 'monthly' }],
    ['a zero target', { rules: { metric: 'wins', target: 0 } }],
    ['an unknown metric', { rules: { metric: 'shares', target: 1 } }],
    ['an unknown game type', { rules: { metric: 'wins', target: 1, game_type: 'chess' } }],
    ['client_reportable (missions are server-counted)', { rules: { metric: 'wins', target: 1, client_reportable: true } }],
    ['min_score on a non-play metric', { rules: { metric: 'purchases', target: 1, min_score: 5 } }],
    ['a bad bundle', { reward_bundle: { currencies: { soft: 1.5 } } }],
    ['an extra field', { starts_at: '2026-12-01T00:00:00Z' }],
  ])('rejects %s and creates nothing', async (_name, overrides) => {
    const before = await countMissions();
    expectProblem(await send('POST', validBody(overrides)), 400, 'VALIDATION_FAILED');
    expect(await countMissions()).toBe(before);
  });

  it('refuses players with 403 and anonymous callers with 401', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await send('GET', undefined, player), 403, 'FORBIDDEN');
    expectProblem(await send('POST', validBody(), player), 403, 'FORBIDDEN');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/admin/missions' }), 401, 'UNAUTHENTICATED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/admin/missions', payload: validBody() }), 401, 'UNAUTHENTICATED');
  });
});

describe('PATCH /api/admin/missions/{id}', () => {
  const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
  /** PATCH as the operator, or as `as`; null sends no token. */
  const patch = (id: string, change: unknown, as: TestPlayer | null = admin) =>
    ctx.app.inject({
      method: 'PATCH',
      url: `/api/admin/missions/${id}`,
      headers: { ...(as?.headers ?? {}), 'content-type': 'application/json' },
      payload: JSON.stringify(change),
    });
  const missionRow = (id: string) => ctx.db.selectFrom('missions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const progressRows = (id: string) =>
    ctx.db.selectFrom('mission_progress').selectAll().where('mission_id', '=', id).orderBy('user_id').orderBy('period_key').execute();
  const contentVersion = async () => Number((await ctx.db.selectFrom('content_version').select('version').executeTakeFirstOrThrow()).version);
  const stateVersion = async (p: TestPlayer) =>
    Number((await ctx.db.selectFrom('users').select('state_version').where('id', '=', p.user.id).executeTakeFirstOrThrow()).state_version);
  /** `n` reaction plays of the player, counted as a session end would. */
  const play = (p: TestPlayer, n: number) =>
    ctx.db.transaction().execute(async (trx) => {
      for (let i = 0; i < n; i++) {
        await advanceProgressForPlay(trx, { userId: p.user.id, sessionId: crypto.randomUUID(), gameType: 'reaction', score: 10, durationS: 5, won: false, now: ctx.clock.now(), resetTimezone: 'UTC' });
      }
    });
  const playerMission = async (p: TestPlayer, id: string) => {
    const list = (await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: p.headers })).json() as {
      daily: { id: string; title: string; target: number; status: string }[];
      weekly: { id: string }[];
    };
    return [...list.daily, ...list.weekly].find((m) => m.id === id);
  };

  it('changes only the fields given; players see the change', async () => {
    const mission = await makeMission(ctx, { rules: { metric: 'wins', target: 2 } });
    ctx.clock.advance(1000);
    const res = await patch(mission.id, { title: ' Win a lot ', description: 'Any game', reward_bundle: { currencies: { premium: 3 } } });
    expect(res.statusCode, res.body).toBe(200);
    const body = AdminMissionSchema.parse(res.json());
    expect(body).toMatchObject({
      id: mission.id,
      key: mission.key,
      period: 'daily',
      title: 'Win a lot',
      description: 'Any game',
      rules: { metric: 'wins', target: 2 },
      reward_bundle: { currencies: { premium: 3 } },
      active: true,
      created_at: mission.created_at.toISOString(),
    });
    expect(body.updated_at).not.toBe(body.created_at);
    const player = await makePlayer(ctx.app);
    expect(await playerMission(player, mission.id)).toMatchObject({ title: 'Win a lot' });
  });

  it('deactivates a mission (players no longer see or claim it) and reactivates it', async () => {
    const mission = await makeMission(ctx, { rules: { metric: 'games_played', target: 1 } });
    const player = await makePlayer(ctx.app);
    await play(player, 1);
    expect((await patch(mission.id, { active: false })).json()).toMatchObject({ active: false });
    expect(await playerMission(player, mission.id)).toBeUndefined();
    expectProblem(await ctx.app.inject({ method: 'POST', url: `/api/events/missions/${mission.id}/claim`, headers: player.headers }), 404, 'NOT_FOUND');
    expect((await patch(mission.id, { active: true })).json()).toMatchObject({ active: true });
    expect((await ctx.app.inject({ method: 'POST', url: `/api/events/missions/${mission.id}/claim`, headers: player.headers })).statusCode).toBe(200);
  });

  it('applies a new target to running, active periods only, and bumps those players', async () => {
    const mission = await makeMission(ctx, { rules: { metric: 'games_played', target: 3, game_type: 'reaction' } });
    const yesterday = await makePlayer(ctx.app);
    await play(yesterday, 1);
    ctx.clock.advance(24 * 3_600_000); // yesterday's period is over
    admin = await makeAdmin(ctx); // a day later the operator's access token has expired
    const active = await makePlayer(ctx.app);
    const done = await makePlayer(ctx.app);
    await play(active, 2);
    await play(done, 3);
    const before = { active: await stateVersion(active), done: await stateVersion(done), yesterday: await stateVersion(yesterday) };
    const pastRowBefore = (await progressRows(mission.id)).find((r) => r.user_id === yesterday.user.id);

    const res = await patch(mission.id, { rules: { metric: 'games_played', target: 2, game_type: 'reaction' } });
    expect(res.statusCode, res.body).toBe(200);
    const rows = await progressRows(mission.id);
    const of = (p: TestPlayer) => rows.find((r) => r.user_id === p.user.id);
    expect(of(active)).toMatchObject({ status: 'claimable', progress: 2, target: 2, progress_version: 3 });
    expect(of(done)).toMatchObject({ status: 'claimable', progress: 3, target: 3, progress_version: 3 });
    expect(of(yesterday)).toEqual(pastRowBefore);
    expect(await stateVersion(active)).toBe(before.active + 1);
    expect(await stateVersion(done)).toBe(before.done);
    expect(await stateVersion(yesterday)).toBe(before.yesterday);
    expect(await playerMission(active, mission.id)).toMatchObject({ target: 2, status: 'claimable' });
    expect((await ctx.app.inject({ method: 'POST', url: `/api/events/missions/${mission.id}/claim`, headers: active.headers })).statusCode).toBe(200);

    // A higher target: an active period aims higher, a claimed one keeps what it earned.
    const climbing = await makePlayer(ctx.app);
    await play(climbing, 1);
    expect((await patch(mission.id, { rules: { metric: 'games_played', target: 5, game_type: 'reaction' } })).statusCode).toBe(200);
    const after = await progressRows(mission.id);
    expect(after.find((r) => r.user_id === climbing.user.id)).toMatchObject({ status: 'active', progress: 1, target: 5 });
    expect(after.find((r) => r.user_id === active.user.id)).toMatchObject({ status: 'claimed', target: 2 });
  });

  it('stamps last_progress_at on a period it completes, which the dashboard then counts in last_24h', async () => {
    const saved = ctx.clock.now();
    try {
      ctx.clock.set('2026-11-30T09:00:00.000Z'); // a Monday
      const weekly = await makeMission(ctx, { period: 'weekly', rules: { metric: 'games_played', target: 3, game_type: 'reaction' } });
      const player = await makePlayer(ctx.app);
      await play(player, 2);
      ctx.clock.set('2026-12-03T09:00:00.000Z'); // Thursday of the same week
      const operator = { ...admin, headers: await accessTokenAt(admin, ctx.clock.now()) };
      player.headers = await accessTokenAt(player, ctx.clock.now());
      expect((await patch(weekly.id, { rules: { metric: 'games_played', target: 2, game_type: 'reaction' } }, operator)).statusCode).toBe(200);
      expect(await progressRows(weekly.id)).toMatchObject([{ status: 'claimable', progress: 2, last_progress_at: new Date('2026-12-03T09:00:00.000Z') }]);
      const dashboard = await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers });
      expect(dashboard.json()).toMatchObject({ last_24h: { missions_completed: 1 } });
    } finally {
      ctx.clock.set(saved);
    }
  });

  it('bumps the content version, so dashboards revalidate with a new ETag', async () => {
    const mission = await makeMission(ctx);
    const player = await makePlayer(ctx.app);
    const etag = String((await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers })).headers.etag);
    const version = await contentVersion();
    expect((await patch(mission.id, { title: 'Fresh title' })).statusCode).toBe(200);
    expect(await contentVersion()).toBeGreaterThan(version);
    const res = await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: { ...player.headers, 'if-none-match': etag } });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).not.toBe(etag);
  });

  it.each([
    ['an empty change', {}],
    ['a new key', { key: 'renamed_key' }],
    ['a new period', { period: 'weekly' }],
    ['an unknown field', { starts_at: '2026-12-01T00:00:00Z' }],
    ['an extra field beside a valid one', { title: 'ok', status: 'active' }],
    ['an empty title', { title: '  ' }],
    ['a title too long', { title: 'x'.repeat(101) }],
    ['a description too long', { description: 'x'.repeat(10_000) }],
    ['a numeric title', { title: 42 }],
    ['a zero target', { rules: { metric: 'wins', target: 0 } }],
    ['a negative target', { rules: { metric: 'wins', target: -1 } }],
    ['a fractional target', { rules: { metric: 'wins', target: 1.5 } }],
    ['a string target', { rules: { metric: 'wins', target: '3' } }],
    ['a huge target', { rules: { metric: 'wins', target: 1e12 } }],
    ['target 1e308', { rules: { metric: 'wins', target: 1e308 } }],
    ['rules without a target', { rules: { metric: 'wins' } }],
    ['an unknown metric', { rules: { metric: 'shares', target: 1 } }],
    ['an unknown game type', { rules: { metric: 'wins', target: 1, game_type: 'chess' } }],
    ['client_reportable', { rules: { metric: 'wins', target: 1, client_reportable: true } }],
    ['min_score on a non-play metric', { rules: { metric: 'logins', target: 1, min_score: 5 } }],
    ['an empty bundle', { reward_bundle: {} }],
    ['a negative reward', { reward_bundle: { currencies: { soft: -5 } } }],
    ['a huge reward', { reward_bundle: { exp: 1e15 } }],
    ['active as a string', { active: 'no' }],
    ['null rules', { rules: null }],
    ['an array', [{ title: 'x' }]],
    ['a string', 'title'],
    ['null', null],
  ])('rejects %s with 400 and changes nothing', async (_name, change) => {
    const mission = await makeMission(ctx);
    const version = await contentVersion();
    expectProblem(await patch(mission.id, change), 400, 'VALIDATION_FAILED');
    expect(await missionRow(mission.id)).toEqual(mission);
    expect(await contentVersion()).toBe(version);
  });

  it('malformed JSON, no body and a text body → 400/415, nothing changed', async () => {
    const mission = await makeMission(ctx);
    const raw = (payload: string, type = 'application/json') =>
      ctx.app.inject({ method: 'PATCH', url: `/api/admin/missions/${mission.id}`, headers: { ...admin.headers, 'content-type': type }, payload });
    expectProblem(await raw('{"title": '), 400, 'VALIDATION_FAILED');
    expectProblem(await raw(''), 400, 'VALIDATION_FAILED');
    expectProblem(await raw('title=x', 'text/plain'), 415, 'VALIDATION_FAILED');
    expect(await missionRow(mission.id)).toEqual(mission);
  });

  it('answers 404 for an unknown mission and 400 for a bad id', async () => {
    expectProblem(await patch(UNKNOWN_ID, { title: 'x' }), 404, 'NOT_FOUND');
    expectProblem(await patch('nope', { title: 'x' }), 400, 'VALIDATION_FAILED');
  });

  it('refuses players with 403 and anonymous callers with 401, changing nothing', async () => {
    const mission = await makeMission(ctx);
    const player = await makePlayer(ctx.app);
    expectProblem(await patch(mission.id, { title: 'Hijacked' }, player), 403, 'FORBIDDEN');
    expectProblem(await patch(mission.id, { title: 'Hijacked' }, null), 401, 'UNAUTHENTICATED');
    expect(await missionRow(mission.id)).toEqual(mission);
  });
});

describe('retargeting at scale', () => {
  it('finds the running periods of one mission through its index, not a scan of everyone\'s progress', async () => {
    const missionId = (await makeMission(ctx)).id;
    const now = ctx.clock.now();
    // Planner costs on a near-empty table prefer a scan anyway; with scans priced out, a plan
    // can only avoid one if an index fits the statement's shape.
    const plan = await ctx.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`
        EXPLAIN UPDATE mission_progress SET target = 5
        WHERE mission_id = ${missionId} AND status = 'active' AND period_ends_at > ${now}::timestamptz AND target <> 5`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('mission_progress_running_idx');
  });
});

describe.runIf(process.env.DATABASE_URL)('PATCH /api/admin/missions/{id} racing plays (PostgreSQL)', () => {
  const patch = (id: string, change: unknown) =>
    ctx.app.inject({ method: 'PATCH', url: `/api/admin/missions/${id}`, headers: { ...admin.headers, 'content-type': 'application/json' }, payload: JSON.stringify(change) });
  const startSession = async (p: TestPlayer) => {
    const start = await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: p.headers, payload: { game_type: 'lucky_dice' } });
    expect(start.statusCode, start.body).toBe(201);
    return (start.json() as { session_id: string }).session_id;
  };
  const endSession = (p: TestPlayer, sessionId: string) =>
    ctx.app.inject({ method: 'POST', url: `/api/game/sessions/${sessionId}/end`, headers: p.headers, payload: { duration: 0 } });
  const progressOf = (missionId: string, p: TestPlayer) =>
    ctx.db.selectFrom('mission_progress').select(['target', 'progress', 'status']).where('mission_id', '=', missionId).where('user_id', '=', p.user.id).executeTakeFirst();
  const hold = (lock: (trx: TestContext['db']) => Promise<unknown>) => holdLock(ctx.db, lock);

  it("a play that opens a player's period while the target changes starts it at the new target", async () => {
    const mission = await makeMission(ctx, { rules: { metric: 'games_played', target: 5 } });
    const early = await makePlayer(ctx.app);
    const late = await makePlayer(ctx.app);
    expect((await endSession(early, await startSession(early))).statusCode).toBe(200);
    const lateSession = await startSession(late);
    // The early player's period is held, so the change waits in its retarget with the mission row
    // locked and its new target not yet committed; the late play, opening its period, then waits
    // on the mission row.
    const release = await hold((trx) =>
      trx.selectFrom('mission_progress').select('user_id').where('mission_id', '=', mission.id).where('user_id', '=', early.user.id).forUpdate().execute(),
    );
    const patching = patch(mission.id, { rules: { metric: 'games_played', target: 2 } });
    await untilLockWaiters(ctx.db, 1);
    const ending = endSession(late, lateSession);
    await untilLockWaiters(ctx.db, 2);
    await release();
    const [patched, ended] = await Promise.all([patching, ending]);
    expect(patched.statusCode, patched.body).toBe(200);
    expect(ended.statusCode, ended.body).toBe(200);

    expect(await progressOf(mission.id, early)).toMatchObject({ target: 2, progress: 1 });
    expect(await progressOf(mission.id, late)).toMatchObject({ target: 2, progress: 1, status: 'active' });
  });

  it("a play in a period that has its row does not wait for an operator's change of the mission", async () => {
    const mission = await makeMission(ctx, { rules: { metric: 'games_played', target: 5 } });
    const player = await makePlayer(ctx.app);
    expect((await endSession(player, await startSession(player))).statusCode).toBe(200);
    const session = await startSession(player);
    // The mission row as a change holds it: only a play that opens a period reads it locked.
    const release = await hold((trx) => trx.selectFrom('missions').select('id').where('id', '=', mission.id).forUpdate().execute());
    let settled = false;
    const ending = endSession(player, session).finally(() => (settled = true));
    await untilLockWaiters(ctx.db, 1, () => settled);
    const waitedOnMission = !settled;
    await release();
    expect(waitedOnMission).toBe(false);
    expect((await ending).statusCode).toBe(200);
    expect(await progressOf(mission.id, player)).toMatchObject({ target: 5, progress: 2 });
  });
});
