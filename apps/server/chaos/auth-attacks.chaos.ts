import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, TEST_JWT_SECRET, type TestContext } from '../test/build-app.ts';
import { makeEvent } from '../test/factories/live-ops.ts';
import { makePlayer, type TestPlayer } from '../test/factories/players.ts';
import { expectLedgerClean } from '../test/ledger.ts';
import { expectProblem } from '../test/problem.ts';

// Attacks on authentication and ownership, each refused with the right code and no effect.
let ctx: TestContext;
let alice: TestPlayer;
let mallory: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  [alice, mallory] = await Promise.all([makePlayer(ctx.app), makePlayer(ctx.app)]);
});
afterAll(() => ctx?.close());

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const me = (token: string) => ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

async function sign(claims: Record<string, unknown>, secret = TEST_JWT_SECRET, alg = 'HS256') {
  const now = Math.floor(ctx.clock.now().getTime() / 1000);
  return new SignJWT({ role: 'admin', sid: claimsOf(alice.access_token).sid, ...claims })
    .setProtectedHeader({ alg })
    .setSubject(alice.user.id)
    .setIssuer('playloop')
    .setAudience('playloop-api')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(secret));
}

describe('forged and stale access tokens', () => {
  it('refuses alg none', async () => {
    const header = b64({ alg: 'none', typ: 'JWT' });
    const token = `${header}.${alice.access_token.split('.')[1]}.`;
    expectProblem(await me(token), 401, 'UNAUTHENTICATED');
  });

  it('refuses a token signed with another key, and with another HMAC algorithm', async () => {
    expectProblem(await me(await sign({}, 'another-secret-that-is-at-least-32-chars!!')), 401, 'UNAUTHENTICATED');
    expectProblem(await me(await sign({}, TEST_JWT_SECRET, 'HS512')), 401, 'UNAUTHENTICATED');
  });

  it('refuses an expired token', async () => {
    const token = alice.access_token;
    ctx.clock.advance(16 * 60_000);
    try {
      expectProblem(await me(token), 401, 'UNAUTHENTICATED');
    } finally {
      ctx.clock.advance(-16 * 60_000);
    }
    expect((await me(token)).statusCode).toBe(200);
  });

  it('refuses a tampered payload (role raised to admin, subject changed)', async () => {
    const [h, p, s] = alice.access_token.split('.');
    const raised = b64({ ...claimsOf(alice.access_token), role: 'admin' });
    expectProblem(await me(`${h}.${raised}.${s}`), 401, 'UNAUTHENTICATED');
    const other = b64({ ...claimsOf(alice.access_token), sub: mallory.user.id });
    expectProblem(await me(`${h}.${other}.${s}`), 401, 'UNAUTHENTICATED');
    expectProblem(await me(`${h}.${p}.${s!.slice(0, -2)}AA`), 401, 'UNAUTHENTICATED');
    const res = await ctx.app.inject({ method: 'GET', url: '/api/admin/shop/skus', headers: { authorization: `Bearer ${h}.${raised}.${s}` } });
    expectProblem(res, 401, 'UNAUTHENTICATED');
  });

  it('refuses junk in the Authorization header', async () => {
    for (const value of ['Bearer', 'Bearer ', 'Basic YWxpY2U6cHc=', `bearer ${'x'.repeat(5000)}`, 'Bearer a.b.c', `Bearer ${alice.refresh_token}`]) {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: value } });
      expect([400, 401]).toContain(res.statusCode);
    }
  });
});

describe("another user's resources", () => {
  it("cannot end, claim or read through another player's ids", async () => {
    const start = await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: alice.headers, payload: { game_type: 'reaction' } });
    expect(start.statusCode).toBe(201);
    const sessionId = start.json().session_id as string;
    const end = await ctx.app.inject({ method: 'POST', url: `/api/game/sessions/${sessionId}/end`, headers: mallory.headers, payload: { score: 10, duration: 1 } });
    expectProblem(end, 404, 'NOT_FOUND');
    // Still alice's, still active.
    const mine = await ctx.app.inject({ method: 'POST', url: `/api/game/sessions/${sessionId}/end`, headers: alice.headers, payload: { score: 10, duration: 1 } });
    expect(mine.statusCode).toBe(200);

    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 1, client_reportable: true } });
    await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: alice.headers });
    await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/progress`, headers: alice.headers, payload: { metric: 'games_played', delta: 1 } });
    // Mallory never joined: her claim is hers, and not claimable; alice's stays for alice.
    expect([404, 409]).toContain((await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/claim`, headers: mallory.headers })).statusCode);
    expect((await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/claim`, headers: alice.headers })).statusCode).toBe(200);

    // A player on operator routes: 403.
    const distribute = await ctx.app.inject({
      method: 'POST',
      url: '/api/rewards/distribute',
      headers: { ...mallory.headers, 'x-idempotency-key': 'steal' },
      payload: { user_id: mallory.user.id, bundle: { currencies: { soft: 1_000_000 } }, reason: 'mine' },
    });
    expectProblem(distribute, 403, 'FORBIDDEN');
    await expectLedgerClean(ctx.db);
  });

  it("cannot replay another player's idempotency key to read their response", async () => {
    const key = 'shared-key-1';
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 1, client_reportable: true } });
    for (const p of [alice, mallory]) {
      await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: p.headers });
      await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/progress`, headers: p.headers, payload: { metric: 'games_played', delta: 1 } });
    }
    const a = await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/claim`, headers: { ...alice.headers, 'x-idempotency-key': key } });
    const m = await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/claim`, headers: { ...mallory.headers, 'x-idempotency-key': key } });
    expect(a.statusCode).toBe(200);
    expect(m.statusCode).toBe(200);
    expect(m.headers['idempotent-replayed']).toBeUndefined();
    expect(m.json().grant_id).not.toBe(a.json().grant_id);
  });
});

describe('refresh tokens and brute force', () => {
  it('a reused refresh token revokes the whole family', async () => {
    const p = await makePlayer(ctx.app);
    const refresh = (token: string) => ctx.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: token } });
    const first = await refresh(p.refresh_token);
    expect(first.statusCode).toBe(200);
    const next = first.json().refresh_token as string;
    expectProblem(await refresh(p.refresh_token), 401, 'UNAUTHENTICATED'); // reuse
    expectProblem(await refresh(next), 401, 'UNAUTHENTICATED'); // the family is gone
    expectProblem(await me(first.json().access_token), 401, 'UNAUTHENTICATED');
  });

  it('brute force on one handle is rate limited, even with the right password after', async () => {
    const p = await makePlayer(ctx.app);
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: p.user.site_id, password: `guess-${i}-password` } });
      codes.push(res.statusCode);
    }
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes.slice(5).every((c) => c === 429)).toBe(true);
    const right = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: p.user.site_id, password: p.password } });
    expectProblem(right, 429, 'RATE_LIMITED');
  });
});
