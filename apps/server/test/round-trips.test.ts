import type { InjectOptions } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from './build-app.ts';
import { makeEvent, makeMission } from './factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from './factories/players.ts';
import { expectLedgerClean } from './ledger.ts';

// Each statement is a round trip the node pays for in CPU (the write, the read, the driver's work
// both ways): the hot paths were folded into as few as they need (docs/decisions.md). This pins
// the counts, so a statement added to one of them is a decision, not an accident. Counted at the
// pg driver, so on PostgreSQL only; the session check's batched query is included.
describe.runIf(process.env.DATABASE_URL)('statements per request on the hot paths', () => {
  const sent: string[] = [];
  let counting = false;
  const query = pg.Client.prototype.query;
  let ctx: TestContext;
  let admin: TestPlayer;

  beforeAll(async () => {
    (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, config: unknown, values?: unknown) {
      if (counting) sent.push(typeof config === 'string' ? config : (config as { text: string }).text);
      return (query as (c: unknown, v?: unknown) => unknown).call(this, config, values);
    };
    ctx = await buildTestApp();
    admin = await makeAdmin(ctx);
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    await ctx?.close();
  });

  async function statementsOf(request: InjectOptions): Promise<{ status: number; statements: string[] }> {
    sent.length = 0;
    counting = true;
    try {
      const res = await ctx.app.inject(request);
      return { status: res.statusCode, statements: [...sent] };
    } finally {
      counting = false;
    }
  }

  it('a purchase of an item pack: 7', async () => {
    const player = await makePlayer(ctx.app);
    await makeMission(ctx, { rules: { metric: 'purchases', target: 3 } });
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/api/admin/shop/skus',
      headers: admin.headers,
      payload: { sku_id: 'rt_pack', name: 'Pack', price: 10, currency_type: 'soft', bundle: { exp: 5, items: [{ item_id: 'rt_token', quantity: 2 }] } },
    });
    expect(created.statusCode).toBe(201);
    const { status, statements } = await statementsOf({ method: 'POST', url: '/api/shop/purchase', headers: player.headers, payload: { sku_id: 'rt_pack' } });
    expect(status).toBe(201);
    // session check, BEGIN, offer with its stock and the purchase count, the debit with the
    // purchase row and its event, events' and missions' progress, the grant (inventory, exp,
    // events), COMMIT
    expect(statements).toHaveLength(7);
    await expectLedgerClean(ctx.db);
  });

  it('an event claim: 5', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 1, client_reportable: true }, reward: { currencies: { soft: 10 }, exp: 5 } });
    for (const step of ['participate', 'progress']) {
      const res = await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/${step}`, headers: player.headers, ...(step === 'progress' ? { payload: { metric: 'games_played', delta: 1 } } : {}) });
      expect(res.statusCode).toBeLessThan(300);
    }
    const { status, statements } = await statementsOf({ method: 'POST', url: `/api/events/${event.id}/claim`, headers: player.headers });
    expect(status).toBe(200);
    // session check, BEGIN, the event with the accounts locked and claimable → claimed, the grant
    // (ledger, exp, events), COMMIT
    expect(statements).toHaveLength(5);
    await expectLedgerClean(ctx.db);
  });

  it('a mission claim: 5', async () => {
    const player = await makePlayer(ctx.app);
    const mission = await makeMission(ctx, { rules: { metric: 'games_played', target: 1 }, reward: { currencies: { soft: 10 } } });
    const started = await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: player.headers, payload: { game_type: 'reaction' } });
    ctx.clock.advance(10_000);
    const ended = await ctx.app.inject({ method: 'POST', url: `/api/game/sessions/${started.json().session_id}/end`, headers: player.headers, payload: { score: 1, duration: 10 } });
    expect(ended.statusCode).toBe(200);
    const { status, statements } = await statementsOf({ method: 'POST', url: `/api/events/missions/${mission.id}/claim`, headers: player.headers });
    expect(status).toBe(200);
    // session check, BEGIN, the mission with the accounts locked and claimable → claimed, the
    // grant (ledger, events), COMMIT
    expect(statements).toHaveLength(5);
    await expectLedgerClean(ctx.db);
  });

  it('a game session end that moves events and missions: 7', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 100 } });
    await makeMission(ctx, { rules: { metric: 'play_seconds', target: 1000 } });
    expect((await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: player.headers })).statusCode).toBe(201);
    const started = await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: player.headers, payload: { game_type: 'reaction' } });
    ctx.clock.advance(10_000);
    const { status, statements } = await statementsOf({
      method: 'POST',
      url: `/api/game/sessions/${started.json().session_id}/end`,
      headers: player.headers,
      payload: { score: 100, duration: 10 },
    });
    expect(status).toBe(200);
    // session check, BEGIN, active → ended, events' and missions' progress, exp (the users row),
    // the streak with the events (the users row again: the end's event holds the level the exp
    // write decided), COMMIT
    expect(statements).toHaveLength(7);
  });

  it('a dashboard answered 304: 1, the session check', async () => {
    const player = await makePlayer(ctx.app);
    const first = await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers });
    const { status, statements } = await statementsOf({
      method: 'GET',
      url: '/api/dashboard',
      headers: { ...player.headers, 'if-none-match': String(first.headers.etag) },
    });
    expect(status).toBe(304);
    expect(statements).toHaveLength(1);
  });
});
