import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from './build-app.ts';
import { makeAdmin, makePlayer } from './factories/players.ts';
import { expectProblem } from './problem.ts';

// Auth schemes are case-insensitive (RFC 9110 §11.1): `bearer`, `BEARER` and `Bearer` are one
// scheme, on every route that takes a bearer token.
const SCHEMES = ['Bearer', 'bearer', 'BEARER', 'bEaReR'];

describe('the Authorization scheme of the API in any case', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await buildTestApp();
  });
  afterAll(() => ctx?.close());

  it.each(SCHEMES)('authenticates a player and an operator sending "%s <token>"', async (scheme) => {
    const player = await makePlayer(ctx.app);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `${scheme} ${player.access_token}` } });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().user.id).toBe(player.user.id);

    const admin = await makeAdmin(ctx);
    const players = await ctx.app.inject({ method: 'GET', url: '/api/admin/players?limit=1', headers: { authorization: `${scheme} ${admin.access_token}` } });
    expect(players.statusCode, players.body).toBe(200);
  });

  it('takes more than one space after the scheme (1*SP)', async () => {
    const player = await makePlayer(ctx.app);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `bearer   ${player.access_token}` } });
    expect(me.statusCode, me.body).toBe(200);
  });

  it('still refuses another scheme, a missing token and a bare token', async () => {
    const player = await makePlayer(ctx.app);
    for (const authorization of [`Basic ${player.access_token}`, 'bearer', 'bearer ', player.access_token, `bearer${player.access_token}`]) {
      expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization } }), 401, 'UNAUTHENTICATED');
    }
  });
});

describe('GET /metrics with METRICS_TOKEN, the scheme in any case', () => {
  const token = 'scrape-token-0123456789';
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await buildTestApp({ config: { metricsToken: token } });
  });
  afterAll(() => ctx?.close());

  const scrape = (authorization: string) => ctx.app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });

  it.each(SCHEMES)('answers a scrape sending "%s <token>"', async (scheme) => {
    const res = await scrape(`${scheme} ${token}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('# TYPE playloop_http_requests_total counter');
  });

  it('still refuses another token, another scheme and a bare token, whatever the case', async () => {
    for (const authorization of [`bearer ${token}x`, `bearer ${token.toUpperCase()}`, `basic ${token}`, token, `bearer${token}`]) {
      const res = await scrape(authorization);
      expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(res.body).not.toContain('playloop_http');
    }
  });
});
