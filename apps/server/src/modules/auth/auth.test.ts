import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthResponseSchema, MissionsResponseSchema } from '@playloop/contracts';
import { openDatabase } from '../../db/database.ts';
import { MemoryRateLimitStore } from '../../lib/rate-limit.ts';
import { lockUserForSuspension, suspendUser } from '../users/repo.ts';
import { buildTestApp, TEST_JWT_SECRET, type TestContext } from '../../../test/build-app.ts';
import { makeEvent, makeMission } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, uniqueSiteId } from '../../../test/factories/players.ts';
import { untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp({ loginLimits: { windowMs: 15 * 60_000, perHandle: 5, perAddress: 1000 } });
});
afterAll(() => ctx?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  ctx.app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...headers },
  });
const me = (token: string) =>
  ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
const countUsers = async () =>
  Number((await ctx.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('signup', () => {
  it('creates a player and returns a token pair', async () => {
    const site_id = uniqueSiteId();
    const res = await post('/api/auth/signup', { site_id, nickname: 'Mina', password: 'longenough1' });
    expect(res.statusCode).toBe(201);
    const body = AuthResponseSchema.parse(res.json());
    expect(body.user).toMatchObject({ site_id, nickname: 'Mina', role: 'player', tier: 'bronze' });
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect((await me(body.access_token)).json().user.id).toBe(body.user.id);
  });

  it('stores an argon2id hash, never the password', async () => {
    const player = await makePlayer(ctx.app);
    const row = await ctx.db.selectFrom('users').select('password_hash').where('id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain(player.password);
  });

  it('refuses a taken site_id with 409 SITE_ID_TAKEN', async () => {
    const player = await makePlayer(ctx.app);
    const before = await countUsers();
    const res = await post('/api/auth/signup', { site_id: player.user.site_id, nickname: 'x', password: 'longenough1' });
    expectProblem(res, 409, 'SITE_ID_TAKEN');
    expect(await countUsers()).toBe(before);
  });

  it('lets exactly one of many concurrent signups with one handle win', async () => {
    const site_id = uniqueSiteId();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => post('/api/auth/signup', { site_id, nickname: 'race', password: 'longenough1' })),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(7);
  });

  const valid = { site_id: 'valid_handle', nickname: 'Nick', password: 'longenough1' };
  it.each([
    ['site_id too short', { ...valid, site_id: 'ab' }],
    ['site_id too long', { ...valid, site_id: 'a'.repeat(33) }],
    ['site_id with capitals', { ...valid, site_id: 'Alice' }],
    ['site_id with a dash', { ...valid, site_id: 'al-ice' }],
    ['password too short', { ...valid, password: 'short' }],
    ['password huge', { ...valid, password: 'x'.repeat(10_000) }],
    ['empty nickname', { ...valid, nickname: '   ' }],
    ['nickname with control characters', { ...valid, nickname: 'a\u0000b' }],
    ['site_id a number', { ...valid, site_id: 12345 }],
    ['password null', { ...valid, password: null }],
    ['missing password', { site_id: valid.site_id, nickname: valid.nickname }],
    ['extra field', { ...valid, role: 'admin' }],
    ['an array', [valid]],
    ['a string', 'hello'],
  ])('rejects %s with 400 VALIDATION_FAILED and writes nothing', async (_name, payload) => {
    const before = await countUsers();
    const res = await post('/api/auth/signup', payload);
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors?.length ?? 0).toBeGreaterThan(0);
    expect(await countUsers()).toBe(before);
  });

  it('names the offending field', async () => {
    const res = await post('/api/auth/signup', { ...valid, site_id: 'ab' });
    expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors?.[0]?.field).toBe('body.site_id');
    const extra = await post('/api/auth/signup', { ...valid, role: 'admin' });
    expect(expectProblem(extra, 400, 'VALIDATION_FAILED').errors?.[0]?.field).toBe('body.role');
  });

  it('rejects malformed JSON, a wrong media type and an oversized body without a 5xx', async () => {
    const before = await countUsers();
    const malformed = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { 'content-type': 'application/json' },
      payload: '{"site_id": "abc",',
    });
    expectProblem(malformed, 400, 'VALIDATION_FAILED');
    const text = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { 'content-type': 'text/plain' },
      payload: 'site_id=abc',
    });
    expectProblem(text, 415, 'VALIDATION_FAILED');
    const huge = await post('/api/auth/signup', { ...valid, nickname: 'x'.repeat(200_000) });
    expectProblem(huge, 413, 'VALIDATION_FAILED');
    const empty = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.statusCode).toBe(400);
    expect(await countUsers()).toBe(before);
  });
});

describe('login', () => {
  it('logs in with the right password', async () => {
    const player = await makePlayer(ctx.app);
    const res = await post('/api/auth/login', { site_id: player.user.site_id, password: player.password });
    expect(res.statusCode).toBe(200);
    expect(AuthResponseSchema.parse(res.json()).user.id).toBe(player.user.id);
  });

  it('gives the same 401 for an unknown handle and a wrong password', async () => {
    const player = await makePlayer(ctx.app);
    const wrong = await post('/api/auth/login', { site_id: player.user.site_id, password: 'not-the-password' });
    const unknown = await post('/api/auth/login', { site_id: uniqueSiteId('ghost'), password: 'not-the-password' });
    expectProblem(wrong, 401, 'UNAUTHENTICATED');
    expectProblem(unknown, 401, 'UNAUTHENTICATED');
    expect(wrong.body).toBe(unknown.body);
  });

  it('rate limits repeated failures per handle, even with the right password, until the window ends', async () => {
    const player = await makePlayer(ctx.app);
    for (let i = 0; i < 5; i++) {
      expectProblem(await post('/api/auth/login', { site_id: player.user.site_id, password: 'wrong-password' }), 401, 'UNAUTHENTICATED');
    }
    const limited = await post('/api/auth/login', { site_id: player.user.site_id, password: player.password });
    expectProblem(limited, 429, 'RATE_LIMITED');
    ctx.clock.advance(15 * 60_000);
    const after = await post('/api/auth/login', { site_id: player.user.site_id, password: player.password });
    expect(after.statusCode).toBe(200);
  });

  it('refuses past 5 failures per handle even when the guesses arrive at once', async () => {
    const player = await makePlayer(ctx.app);
    const guesses = Array.from({ length: 12 }, (_, i) => (i === 11 ? player.password : `wrong-password-${i}`));
    const results = await Promise.all(guesses.map((password) => post('/api/auth/login', { site_id: player.user.site_id, password })));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(6);
    expect(codes.at(-1)).toBe(429);
  });

  it('counts only failures: neither a successful login nor a refused attempt adds to a limit', async () => {
    const local = await buildTestApp({ loginLimits: { windowMs: 60_000, perHandle: 2, perAddress: 3 } });
    const login = (site_id: string, password: string) => local.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id, password } });
    try {
      const player = await makePlayer(local.app);
      const handle = player.user.site_id;
      for (let i = 0; i < 4; i++) expect((await login(handle, player.password)).statusCode).toBe(200);
      expectProblem(await login(handle, 'wrong-password'), 401, 'UNAUTHENTICATED');
      expectProblem(await login(handle, 'wrong-password'), 401, 'UNAUTHENTICATED');
      expectProblem(await login(handle, player.password), 429, 'RATE_LIMITED');
      expectProblem(await login(handle, player.password), 429, 'RATE_LIMITED');
      // Two failures from this address so far: one more is still heard, the next is refused.
      expectProblem(await login(uniqueSiteId(), 'whatever1'), 401, 'UNAUTHENTICATED');
      expectProblem(await login(uniqueSiteId(), 'whatever1'), 429, 'RATE_LIMITED');
      local.clock.advance(60_000);
      expect((await login(handle, player.password)).statusCode).toBe(200);
    } finally {
      await local.close();
    }
  });

  it('says when to try again: Retry-After and the detail count the seconds until the window ends', async () => {
    // Windows are fixed, aligned to multiples of their length: 12:00 starts one of 15 minutes.
    const local = await buildTestApp({ loginLimits: { windowMs: 15 * 60_000, perHandle: 2, perAddress: 1000 } });
    const login = (password: string) =>
      local.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password } });
    const player = await makePlayer(local.app);
    try {
      local.clock.set('2026-11-28T12:00:00Z');
      for (let i = 0; i < 2; i++) expectProblem(await login('wrong-password'), 401, 'UNAUTHENTICATED');
      // 5 min 30.4 s into the window: 9 min 29.6 s are left, said as 570 whole seconds.
      local.clock.advance(5 * 60_000 + 30_400);
      const limited = await login(player.password);
      const body = expectProblem(limited, 429, 'RATE_LIMITED');
      expect(limited.headers['retry-after']).toBe('570');
      expect(body.detail).toBe('too many failed logins; try again in 570 s (at 2026-11-28T12:15:00.000Z)');
      // Still refused a second early (with what is left, rounded up), let in once it has passed.
      local.clock.advance(569_000);
      const early = await login(player.password);
      expectProblem(early, 429, 'RATE_LIMITED');
      expect(early.headers['retry-after']).toBe('1');
      local.clock.advance(1_000);
      expect((await login(player.password)).statusCode).toBe(200);
      // Other refusals carry no Retry-After.
      expect((await login('wrong-password')).headers['retry-after']).toBeUndefined();
    } finally {
      await local.close();
    }
  });

  it('opens no session that comes back when the player is reinstated', async () => {
    // The store's reset runs after the password check and before the session opens: the
    // suspension commits exactly there.
    let suspendDuringLogin: (() => Promise<void>) | null = null;
    class Racing extends MemoryRateLimitStore {
      override async reset(key: string, windowMs: number, nowMs: number) {
        const run = suspendDuringLogin;
        suspendDuringLogin = null;
        await run?.();
        return super.reset(key, windowMs, nowMs);
      }
    }
    const local = await buildTestApp({ rateLimits: new Racing() });
    try {
      const player = await makePlayer(local.app);
      const admin = await makeAdmin(local);
      suspendDuringLogin = async () => {
        const res = await local.app.inject({ method: 'POST', url: `/api/admin/players/${player.user.id}/suspend`, headers: admin.headers, payload: { reason: 'raced' } });
        expect(res.statusCode, res.body).toBe(200);
      };
      const raced = await local.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
      expect(suspendDuringLogin).toBeNull();
      await expectNoSessionOutlivesSuspension(local, raced, player.user.id, admin.headers);
    } finally {
      await local.close();
    }
  });

  // PostgreSQL only: a suspension in progress on another connection, holding the player's row.
  it.runIf(process.env.DATABASE_URL)('waits for a suspension in progress and opens no session it would miss', async () => {
    const player = await makePlayer(ctx.app);
    const admin = await makeAdmin(ctx);
    const other = await openDatabase({ url: ctx.url!, poolSize: 1 });
    try {
      let commit: () => void = () => {};
      const committed = new Promise<void>((resolve) => (commit = resolve));
      let suspending!: Promise<void>;
      const locked = new Promise<void>((resolve, reject) => {
        suspending = other.db.transaction().execute(async (trx) => {
          await lockUserForSuspension(trx, player.user.id);
          await suspendUser(trx, player.user.id, { reason: 'raced', by: admin.user.id, now: ctx.clock.now() });
          resolve();
          await committed;
        });
        suspending.catch(reject);
      });
      await locked;
      let settled = false;
      const raced = post('/api/auth/login', { site_id: player.user.site_id, password: player.password }).finally(() => (settled = true));
      // The login read the player as not suspended (the suspension is not committed) and now
      // waits on the row, inside the transaction that opens its session.
      await untilLockWaiters(ctx.db, 1, () => settled);
      commit();
      await suspending;
      await expectNoSessionOutlivesSuspension(ctx, await raced, player.user.id, admin.headers);
    } finally {
      await other.close();
    }
  });

  it('lets concurrent logins of one player on a new day all succeed; the day counts once toward a logins event', async () => {
    // The first login of a day updates the player's row (the progress bumps its state version) and
    // every login then reads the suspension under a share lock: taken the other way round, two of
    // them would deadlock. The others wait on the day's row and count nothing.
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { rules: { metric: 'logins', target: 100 }, endsAt: new Date(ctx.clock.now().getTime() + 3 * 86_400_000) });
    const joined = await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: player.headers });
    expect(joined.statusCode, joined.body).toBe(201);
    ctx.clock.advance(86_400_000);
    const results = await Promise.all(Array.from({ length: 4 }, () => post('/api/auth/login', { site_id: player.user.site_id, password: player.password })));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const row = await ctx.db.selectFrom('event_participations').select('progress').where('user_id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(Number(row.progress)).toBe(1);
  });

  it('rejects bad login bodies', async () => {
    expectProblem(await post('/api/auth/login', { site_id: 'abc' }), 400, 'VALIDATION_FAILED');
    expectProblem(await post('/api/auth/login', { site_id: 'abc', password: 'x', otp: 1 }), 400, 'VALIDATION_FAILED');
    expectProblem(await post('/api/auth/login', { site_id: ['abc'], password: 'x' }), 400, 'VALIDATION_FAILED');
    // Found by the chaos fuzzer: PostgreSQL cannot store a NUL byte; that is bad input, not a 500.
    expectProblem(await post('/api/auth/login', { site_id: 'a\u0000b', password: 'whatever1' }), 400, 'VALIDATION_FAILED');
  });
});

/** A login that raced a suspension is refused, or its session stays dead after reinstatement. */
async function expectNoSessionOutlivesSuspension(
  on: TestContext,
  raced: Awaited<ReturnType<TestContext['app']['inject']>>,
  userId: string,
  adminHeaders: Record<string, string>,
): Promise<void> {
  const back = await on.app.inject({ method: 'POST', url: `/api/admin/players/${userId}/reinstate`, headers: adminHeaders });
  expect(back.statusCode, back.body).toBe(200);
  if (raced.statusCode !== 200) {
    expectProblem(raced, 403, 'FORBIDDEN');
    return;
  }
  const token = (raced.json() as { access_token: string }).access_token;
  expectProblem(await on.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } }), 401, 'UNAUTHENTICATED');
}

describe('per-address limit', () => {
  it('limits failures from one address across handles', async () => {
    const local = await buildTestApp({ loginLimits: { windowMs: 60_000, perHandle: 100, perAddress: 3 } });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await local.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: uniqueSiteId(), password: 'whatever1' } });
        expectProblem(res, 401, 'UNAUTHENTICATED');
      }
      const res = await local.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: uniqueSiteId(), password: 'whatever1' } });
      expectProblem(res, 429, 'RATE_LIMITED');
      const other = await local.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { site_id: uniqueSiteId(), password: 'whatever1' },
        remoteAddress: '127.0.0.9',
      });
      expectProblem(other, 401, 'UNAUTHENTICATED');
    } finally {
      await local.close();
    }
  });
});

describe('refresh', () => {
  const refresh = (refresh_token: string) => post('/api/auth/refresh', { refresh_token });

  it('rotates: a new pair, and the old refresh token is spent', async () => {
    const player = await makePlayer(ctx.app);
    const first = await refresh(player.refresh_token);
    expect(first.statusCode).toBe(200);
    const pair = AuthResponseSchema.parse(first.json());
    expect(pair.refresh_token).not.toBe(player.refresh_token);
    expect((await me(pair.access_token)).statusCode).toBe(200);
    expect((await refresh(pair.refresh_token)).statusCode).toBe(200);
  });

  it('revokes the whole family when a spent token comes back', async () => {
    const player = await makePlayer(ctx.app);
    const pair = AuthResponseSchema.parse((await refresh(player.refresh_token)).json());
    // The thief replays the old token: refused, and the legitimate new pair dies with it.
    expectProblem(await refresh(player.refresh_token), 401, 'UNAUTHENTICATED');
    expectProblem(await refresh(pair.refresh_token), 401, 'UNAUTHENTICATED');
    expectProblem(await me(pair.access_token), 401, 'UNAUTHENTICATED');
    const session = await ctx.db.selectFrom('auth_sessions').select('revoked_reason').where('user_id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(session.revoked_reason).toBe('reuse_detected');
  });

  it('lets only one of many concurrent refreshes with one token succeed', async () => {
    const player = await makePlayer(ctx.app);
    const results = await Promise.all(Array.from({ length: 6 }, () => refresh(player.refresh_token)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 401)).toHaveLength(5);
  });

  it('refuses an unknown, expired or malformed refresh token', async () => {
    expectProblem(await refresh('not-a-token'), 401, 'UNAUTHENTICATED');
    expectProblem(await post('/api/auth/refresh', {}), 400, 'VALIDATION_FAILED');
    expectProblem(await post('/api/auth/refresh', { refresh_token: 'x'.repeat(1000) }), 400, 'VALIDATION_FAILED');
    const player = await makePlayer(ctx.app);
    ctx.clock.advance(31 * 24 * 3600_000);
    expectProblem(await refresh(player.refresh_token), 401, 'UNAUTHENTICATED');
  });
});

describe('the logins metric counts days signed in', () => {
  // Its own app, so the day can be set without moving other tests' clocks.
  let local: TestContext;
  beforeAll(async () => {
    local = await buildTestApp({ config: { resetTimezone: 'Asia/Seoul' } });
  });
  afterAll(() => local?.close());

  const send = (url: string, payload: unknown) =>
    local.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  const progressOf = async (token: string, missionId: string) => {
    const res = await local.app.inject({ method: 'GET', url: '/api/events/missions', headers: { authorization: `Bearer ${token}` } });
    const list = MissionsResponseSchema.parse(res.json());
    const mission = [...list.daily, ...list.weekly].find((m) => m.id === missionId)!;
    return { period_key: mission.period_key, progress: mission.progress };
  };
  const signedUp = async () => {
    const site_id = uniqueSiteId();
    const res = await send('/api/auth/signup', { site_id, nickname: 'Days', password: 'password1' });
    expect(res.statusCode, res.body).toBe(201);
    return { site_id, ...AuthResponseSchema.parse(res.json()) };
  };

  it('counts a returning player who renews the session with the refresh token the next day', async () => {
    // 2026-12-01 19:00 in Seoul.
    local.clock.set('2026-12-01T10:00:00Z');
    const daily = await makeMission(local, { period: 'daily', rules: { metric: 'logins', target: 1 } });
    const player = await signedUp();
    expect(await progressOf(player.access_token, daily.id)).toEqual({ period_key: '2026-12-01', progress: 1 });
    // 2026-12-02 01:00 in Seoul: the client renews its session; it never logs in again.
    local.clock.set('2026-12-01T16:00:00Z');
    const renewed = await send('/api/auth/refresh', { refresh_token: player.refresh_token });
    expect(renewed.statusCode, renewed.body).toBe(200);
    const { access_token } = AuthResponseSchema.parse(renewed.json());
    expect(await progressOf(access_token, daily.id)).toEqual({ period_key: '2026-12-02', progress: 1 });
  });

  it('counts a day once however often the player signs in that day, and each new day again', async () => {
    local.clock.set('2026-12-07T01:00:00Z');
    const weekly = await makeMission(local, { period: 'weekly', rules: { metric: 'logins', target: 7 } });
    const player = await signedUp();
    let refresh = player.refresh_token;
    for (let i = 0; i < 3; i++) {
      expect((await send('/api/auth/login', { site_id: player.site_id, password: 'password1' })).statusCode).toBe(200);
      const renewed = await send('/api/auth/refresh', { refresh_token: refresh });
      expect(renewed.statusCode, renewed.body).toBe(200);
      refresh = AuthResponseSchema.parse(renewed.json()).refresh_token;
    }
    expect((await progressOf(player.access_token, weekly.id)).progress).toBe(1);
    local.clock.advance(86_400_000);
    const login = await send('/api/auth/login', { site_id: player.site_id, password: 'password1' });
    expect((await progressOf(AuthResponseSchema.parse(login.json()).access_token, weekly.id)).progress).toBe(2);
    // A refused sign-in counts nothing.
    local.clock.advance(86_400_000);
    expectProblem(await send('/api/auth/login', { site_id: player.site_id, password: 'wrong-password' }), 401, 'UNAUTHENTICATED');
    expect(await local.db.selectFrom('sign_in_days').select('day').where('user_id', '=', player.user.id).execute()).toHaveLength(2);
  });
});

describe('logout', () => {
  it('revokes the session: its access and refresh tokens stop working', async () => {
    const player = await makePlayer(ctx.app);
    const res = await post('/api/auth/logout', {}, player.headers);
    expect(res.statusCode).toBe(204);
    expectProblem(await me(player.access_token), 401, 'UNAUTHENTICATED');
    expectProblem(await post('/api/auth/refresh', { refresh_token: player.refresh_token }), 401, 'UNAUTHENTICATED');
  });

  it('leaves the player’s other sessions alone', async () => {
    const player = await makePlayer(ctx.app);
    const second = AuthResponseSchema.parse((await post('/api/auth/login', { site_id: player.user.site_id, password: player.password })).json());
    await post('/api/auth/logout', {}, player.headers);
    expect((await me(second.access_token)).statusCode).toBe(200);
  });

  it('takes no body at all', async () => {
    const player = await makePlayer(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: player.headers });
    expect(res.statusCode).toBe(204);
    expectProblem(await me(player.access_token), 401, 'UNAUTHENTICATED');
  });

  it('needs a token', async () => {
    expectProblem(await post('/api/auth/logout', {}), 401, 'UNAUTHENTICATED');
  });
});

describe('access tokens', () => {
  const key = new TextEncoder().encode(TEST_JWT_SECRET);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('expire after 15 minutes by the injected clock', async () => {
    const player = await makePlayer(ctx.app);
    ctx.clock.advance(14 * 60_000);
    expect((await me(player.access_token)).statusCode).toBe(200);
    ctx.clock.advance(2 * 60_000);
    expectProblem(await me(player.access_token), 401, 'UNAUTHENTICATED');
  });

  it('refuses alg none, a wrong key, a tampered payload and garbage', async () => {
    const player = await makePlayer(ctx.app);
    const [header, payload, signature] = player.access_token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    const tampered = `${header}.${b64({ ...claims, role: 'admin' })}.${signature}`;
    const wrongKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-another-secret-another'));
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(key);
    for (const token of [none, tampered, wrongKey, hs512, 'garbage', `${header}.${payload}`]) {
      expectProblem(await me(token), 401, 'UNAUTHENTICATED');
    }
  });

  it('refuses a missing or malformed Authorization header', async () => {
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/auth/me' }), 401, 'UNAUTHENTICATED');
    for (const authorization of ['Basic abc', 'Bearer', 'Bearer a b', 'x'.repeat(5000)]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization } });
      expect([400, 401]).toContain(res.statusCode);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });
});
