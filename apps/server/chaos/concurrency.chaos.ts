import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from '../test/build-app.ts';
import { makeEvent, makeMission } from '../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../test/factories/players.ts';
import { expectLedgerClean } from '../test/ledger.ts';

// 500 parallel mixed operations across 50 players on a real PostgreSQL database: claims under
// shared and fresh idempotency keys, purchases past the balance, a limited stock, session ends
// (some twice). Then the invariants: ledger clean, one grant per key, stock never oversold.
let ctx: TestContext;
let admin: TestPlayer;
const players: TestPlayer[] = [];

beforeAll(async () => {
  if (!process.env.DATABASE_URL) throw new Error('the chaos suite runs on PostgreSQL: set DATABASE_URL');
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
  for (let i = 0; i < 50; i += 10) players.push(...(await Promise.all(Array.from({ length: 10 }, () => makePlayer(ctx.app)))));
});
afterAll(() => ctx?.close());

const post = (as: TestPlayer, url: string, body?: unknown, headers: Record<string, string> = {}) =>
  ctx.app.inject({
    method: 'POST',
    url,
    headers: { ...as.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });

async function makeSku(body: Record<string, unknown>): Promise<string> {
  const sku_id = `chaos_${Math.random().toString(36).slice(2, 10)}`;
  const res = await post(admin, '/api/admin/shop/skus', { sku_id, name: 'Chaos', currency_type: 'soft', ...body });
  if (res.statusCode !== 201) throw new Error(`sku: ${res.statusCode} ${res.body}`);
  return sku_id;
}

/** Deterministic shuffle so a failure can be replayed. */
function shuffle<T>(xs: T[], seed: number): T[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

describe('500 parallel mixed operations across 50 players', () => {
  it('keeps every invariant', async () => {
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 1, client_reportable: true }, reward: { currencies: { soft: 100 }, exp: 5 } });
    // Session ends count toward these while the storm runs.
    await makeEvent(ctx, { rules: { metric: 'games_played', target: 1000 } });
    await makeMission(ctx, { rules: { metric: 'games_played', target: 1000 } });
    const cheap = await makeSku({ price: 300, bundle: { items: [{ item_id: 'chaos_gem', quantity: 1 }] } });
    const limited = await makeSku({ price: 10, segment: 'limited', stock: 15, bundle: { exp: 1 } });

    // Every player joins and completes the event; 25 of them also start a session to end.
    await Promise.all(players.map((p) => post(p, `/api/events/${event.id}/participate`)));
    await Promise.all(players.map((p) => post(p, `/api/events/${event.id}/progress`, { metric: 'games_played', delta: 1 })));
    const sessions = new Map<string, string>();
    await Promise.all(
      players.slice(0, 25).map(async (p) => {
        const res = await post(p, '/api/game/sessions/start', { game_type: 'reaction' });
        expect(res.statusCode).toBe(201);
        sessions.set(p.user.id, res.json().session_id);
      }),
    );

    type Op = { kind: string; run: () => ReturnType<typeof post> };
    const ops: Op[] = [];
    players.forEach((p, i) => {
      // Claims: 3 with one shared key (replays), 1 with a fresh key, 1 with none (ALREADY_CLAIMED or the winner).
      for (let k = 0; k < 3; k++) ops.push({ kind: 'claim-shared', run: () => post(p, `/api/events/${event.id}/claim`, undefined, { 'x-idempotency-key': `shared-${p.user.id}` }) });
      ops.push({ kind: 'claim-fresh', run: () => post(p, `/api/events/${event.id}/claim`, undefined, { 'x-idempotency-key': `fresh-${i}-${Math.random()}` }) });
      ops.push({ kind: 'claim-none', run: () => post(p, `/api/events/${event.id}/claim`) });
      // Purchases past the balance: 1000 signup + ≤100 claim covers 3 at 300; 3 more are refused.
      for (let k = 0; k < 3; k++) ops.push({ kind: 'purchase', run: () => post(p, '/api/shop/purchase', { sku_id: cheap, quantity: 2 }) });
      // Limited stock of 15 for 50 buyers.
      ops.push({ kind: 'limited', run: () => post(p, '/api/shop/purchase', { sku_id: limited }) });
      const session = sessions.get(p.user.id);
      if (session) ops.push({ kind: 'end', run: () => post(p, `/api/game/sessions/${session}/end`, { score: 100, duration: 1 }) });
      else ops.push({ kind: 'limited', run: () => post(p, '/api/shop/purchase', { sku_id: limited }) });
    });
    expect(ops).toHaveLength(500);

    const results = await Promise.all(shuffle(ops, 7).map(async (op) => ({ kind: op.kind, res: await op.run() })));

    const allowed: Record<string, string[]> = {
      'claim-shared': ['200', '409:ALREADY_CLAIMED', '409:IDEMPOTENCY_IN_PROGRESS'],
      'claim-fresh': ['200', '409:ALREADY_CLAIMED'],
      'claim-none': ['200', '409:ALREADY_CLAIMED'],
      purchase: ['201', '402:INSUFFICIENT_FUNDS'],
      limited: ['201', '409:SOLD_OUT'],
      end: ['200'],
    };
    for (const { kind, res } of results) {
      const outcome = res.statusCode < 300 ? String(res.statusCode) : `${res.statusCode}:${res.json().code}`;
      expect(allowed[kind], `${kind} → ${outcome} ${res.body.slice(0, 200)}`).toContain(outcome);
    }

    // One grant per (player, event), whoever won; exactly one per player.
    const grants = await sql<{ user_id: string; n: number }>`
      SELECT user_id, count(*)::int AS n FROM reward_grants WHERE source = 'event' AND source_id = ${event.id} GROUP BY user_id`.execute(ctx.db);
    expect(grants.rows).toHaveLength(50);
    expect(grants.rows.every((r) => r.n === 1)).toBe(true);
    const dupKeys = await sql<{ grant_key: string }>`SELECT grant_key FROM reward_grants GROUP BY grant_key HAVING count(*) > 1`.execute(ctx.db);
    expect(dupKeys.rows).toEqual([]);

    // Limited stock: never oversold, stock_remaining = 15 - sold.
    const sold = await ctx.db.selectFrom('purchases').select(sql<number>`coalesce(sum(quantity), 0)::int`.as('n')).where('sku_id', '=', limited).where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    const sku = await ctx.db.selectFrom('skus').select('stock_remaining').where('sku_id', '=', limited).executeTakeFirstOrThrow();
    expect(sold.n).toBeLessThanOrEqual(15);
    expect(sold.n).toBe(15); // 75 buyers for 15: it sells out
    expect(sku.stock_remaining).toBe(15 - sold.n);
    expect(results.filter((r) => r.kind === 'limited' && r.res.statusCode === 201)).toHaveLength(sold.n);

    // No balance below zero, every purchase with its debit and the other way round.
    await expectLedgerClean(ctx.db);
    const ended = await ctx.db.selectFrom('game_sessions').select(sql<number>`count(*)::int`.as('n')).where('status', '=', 'ended').executeTakeFirstOrThrow();
    expect(ended.n).toBe(25);
  });
});
