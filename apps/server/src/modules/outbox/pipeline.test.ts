import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KpisResponseSchema, PipelineResponseSchema } from '@playloop/contracts';
import { openAnalyticsStore, type AnalyticsStore } from '@playloop/analytics';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectProblem } from '../../../test/problem.ts';
import { inProcessPipeline } from './pipeline.ts';
import { requeueOutbox } from './repo.ts';

// The embedded default end to end: HTTP → outbox → relay → chDB → KPI endpoint.
let ctx: TestContext;
let admin: TestPlayer;
let dataDir: string;
let store: AnalyticsStore | undefined;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-pipeline-'));
  store = await openAnalyticsStore({ dataDir });
  ctx = await buildTestApp({ pipeline: inProcessPipeline(store, { autoStart: false }) });
  admin = await makeAdmin(ctx);
});
afterAll(async () => {
  await ctx?.close();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const relay = () => {
  if (!ctx.app.outboxRelay) throw new Error('the app has no relay');
  return ctx.app.outboxRelay;
};
const get = (url: string, player: TestPlayer = admin) => ctx.app.inject({ method: 'GET', url, headers: player.headers });
const login = (player: TestPlayer, password = player.password) =>
  ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password } });
const today = () => ctx.clock.now().toISOString().slice(0, 10);
const kpis = async () => {
  const res = await get(`/api/admin/analytics/kpis?from=${today()}&to=${today()}`);
  expect(res.statusCode).toBe(200);
  return KpisResponseSchema.parse(res.json());
};

describe('embedded pipeline (outbox → in-process relay → chDB)', () => {
  it('shows exactly the signups, logins and active users driven over HTTP, and redelivery changes nothing', async () => {
    const players: TestPlayer[] = [];
    for (let i = 0; i < 3; i += 1) players.push(await makePlayer(ctx.app));
    for (const p of players.slice(0, 2)) {
      expect((await login(p)).statusCode).toBe(200);
      expect((await login(p)).statusCode).toBe(200);
    }
    expect((await login(players[2]!, 'wrong-password')).statusCode).toBe(401);

    // Nothing reaches the store before the relay runs: the KPIs never read the OLTP tables.
    expect((await kpis()).totals.signups).toBe(0);
    expect(await relay().drain()).toBeGreaterThanOrEqual(9);

    // The operator (signed up and logged in by makeAdmin) and three players.
    const expected = { active_users: 4, signups: 4, sessions: 0, claims: 0, purchases: 0, revenue: { soft: 0, premium: 0 } };
    const first = await kpis();
    expect(first.totals).toMatchObject(expected);
    expect(first.daily).toEqual([{ date: today(), ...first.totals }]);
    expect(first.funnel[0]).toEqual({ step: 'signup', users: 4 });

    // Replay the whole outbox (the runbook's recovery): every count stays the same.
    expect(await requeueOutbox(ctx.db, {})).toBeGreaterThanOrEqual(9);
    await relay().drain();
    expect(await kpis()).toEqual(first);

    const pipeline = PipelineResponseSchema.parse((await get('/api/admin/pipeline')).json());
    expect(pipeline.outbox).toEqual({ pending: 0, oldest_pending_age_s: 0, published_total: expect.any(Number) });
    expect(pipeline.outbox.published_total).toBeGreaterThanOrEqual(9);
    expect(pipeline.sink).toMatchObject({ mode: 'in-process', store: 'chdb', store_reachable: true });
  });

  it('relays in the background once started', async () => {
    relay().start();
    try {
      const player = await makePlayer(ctx.app);
      await expect.poll(async () => (await relay().stats()).pending, { timeout: 10_000, interval: 50 }).toBe(0);
      const res = await get('/api/admin/analytics/kpis');
      expect(res.statusCode).toBe(200);
      expect(res.json().to).toBe(today());
      expect(res.json().daily).toHaveLength(7);
      void player;
    } finally {
      await relay().stop();
    }
  });

  it('reports the backlog and its age while nothing relays', async () => {
    await makePlayer(ctx.app);
    ctx.clock.advance(30_000);
    const body = (await get('/api/admin/pipeline')).json();
    expect(body.outbox.pending).toBeGreaterThanOrEqual(1);
    expect(body.outbox.oldest_pending_age_s).toBeGreaterThanOrEqual(30);
    const metrics = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^playloop_outbox_pending [1-9]/m);
    expect(metrics.body).toMatch(/^playloop_outbox_oldest_pending_age_seconds (3\d|[4-9]\d|\d{3,})/m);
    await relay().drain();
  });

  it('answers 403 to players and 400 to a bad range', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await get('/api/admin/pipeline', player), 403, 'FORBIDDEN');
    expectProblem(await get('/api/admin/analytics/kpis', player), 403, 'FORBIDDEN');
    // Each names the query parameter at fault as every other VALIDATION_FAILED does.
    const fields = (res: Awaited<ReturnType<typeof get>>) => expectProblem(res, 400, 'VALIDATION_FAILED').errors?.map((e) => e.field);
    expect(fields(await get('/api/admin/analytics/kpis?from=2026-11-28&to=2026-11-01'))).toEqual(['querystring.from']);
    // Over 366 days; from after the default to (today).
    expect(fields(await get('/api/admin/analytics/kpis?from=2024-01-01&to=2026-11-01'))).toEqual(['querystring.from']);
    expect(fields(await get('/api/admin/analytics/kpis?from=2999-01-01'))).toEqual(['querystring.from']);
    expect(fields(await get('/api/admin/analytics/kpis?from=yesterday'))).toEqual(['querystring.from']);
  });
});
