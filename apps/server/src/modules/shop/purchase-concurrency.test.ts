import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminSkuSchema, CatalogResponseSchema, type AdminSku, type RewardBundle } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import { listOutboxRows } from '../outbox/repo.ts';
import { grantReward } from '../rewards/service.ts';
import { getBalances, playerAccount } from '../wallet/ledger.ts';

// Real parallel requests: on PostgreSQL (DATABASE_URL) each runs on its own pooled connection.
let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

let skuCounter = 0;
const uniqueSkuId = () => `race_${++skuCounter}_${Math.random().toString(36).slice(2, 8)}`;

async function makeSku(overrides: Record<string, unknown>): Promise<AdminSku> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/admin/shop/skus',
    headers: { ...admin.headers, 'content-type': 'application/json' },
    payload: JSON.stringify({ sku_id: uniqueSkuId(), name: 'Race SKU', price: 100, currency_type: 'soft', ...overrides }),
  });
  if (res.statusCode !== 201) throw new Error(`sku create failed: ${res.statusCode} ${res.body}`);
  return AdminSkuSchema.parse(res.json());
}

const purchase = (as: TestPlayer, body: unknown) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/shop/purchase',
    headers: { ...as.headers, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });

const patchSku = (skuId: string, body: unknown) =>
  ctx.app.inject({
    method: 'PATCH',
    url: `/api/admin/shop/skus/${skuId}`,
    headers: { ...admin.headers, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });

const statuses = (results: { statusCode: number }[]) => {
  const counts: Record<number, number> = {};
  for (const r of results) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
  return counts;
};

async function purchaseRows(where: { userId?: string; skuId?: string }) {
  let q = ctx.db.selectFrom('purchases').selectAll();
  if (where.userId) q = q.where('user_id', '=', where.userId);
  if (where.skuId) q = q.where('sku_id', '=', where.skuId);
  return q.execute();
}

async function inventoryOf(userId: string, itemId: string): Promise<number> {
  const row = await ctx.db.selectFrom('inventory').select('quantity').where('user_id', '=', userId).where('item_id', '=', itemId).executeTakeFirst();
  return row?.quantity ?? 0;
}

/** Shop grants of a player that belong to one of their succeeded purchases (one each). */
async function shopGrantCount(userId: string): Promise<number> {
  const result = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM reward_grants g
    JOIN purchases p ON g.grant_key = 'shop:purchase:' || p.id::text AND p.status = 'succeeded'
    WHERE g.user_id = ${userId} AND g.source = 'shop'`.execute(ctx.db);
  const all = await ctx.db.selectFrom('reward_grants').select('id').where('user_id', '=', userId).where('source', '=', 'shop').execute();
  expect(all).toHaveLength(result.rows[0]!.n);
  return result.rows[0]!.n;
}

describe('purchases under concurrency', () => {
  it('30 purchases at once by a player who can afford exactly 10: 10 × 201, 20 × 402, balance 0', async () => {
    const player = await makePlayer(ctx.app); // 1000 soft signup bonus
    const sku = await makeSku({ price: 100, bundle: { items: [{ item_id: 'race_coin', quantity: 2 }] } });
    const results = await Promise.all(Array.from({ length: 30 }, () => purchase(player, { sku_id: sku.sku_id })));
    expect(statuses(results)).toEqual({ 201: 10, 402: 20 });
    for (const r of results.filter((r) => r.statusCode === 402)) expectProblem(r, 402, 'INSUFFICIENT_FUNDS');

    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 0, premium: 0 });
    const rows = await purchaseRows({ userId: player.user.id });
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(10);
    const failed = rows.filter((r) => r.status === 'failed');
    expect(failed).toHaveLength(20);
    expect(new Set(failed.map((r) => r.failure_code))).toEqual(new Set(['INSUFFICIENT_FUNDS']));
    expect(await inventoryOf(player.user.id, 'race_coin')).toBe(20);
    expect(await shopGrantCount(player.user.id)).toBe(10);
    const counted = await ctx.db.selectFrom('sku_purchase_counts').select('purchased').where('user_id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(counted.purchased).toBe(10);
    const events = (await listOutboxRows(ctx.db, { userId: player.user.id })).map((r) => r.event_type).filter((t) => t.startsWith('shop.'));
    expect(events.filter((t) => t === 'shop.purchase.succeeded')).toHaveLength(10);
    expect(events.filter((t) => t === 'shop.purchase.failed')).toHaveLength(20);
    await expectLedgerClean(ctx.db);
  });

  it('stock 10 and 25 buyers at once: exactly 10 sold, stock 0, 15 × 409 SOLD_OUT', async () => {
    const buyers = await Promise.all(Array.from({ length: 25 }, () => makePlayer(ctx.app)));
    const sku = await makeSku({ segment: 'limited', stock: 10, price: 50, bundle: { exp: 10, items: [{ item_id: 'race_relic', quantity: 1 }] } });
    const results = await Promise.all(buyers.map((b) => purchase(b, { sku_id: sku.sku_id })));
    expect(statuses(results)).toEqual({ 201: 10, 409: 15 });
    for (const r of results.filter((r) => r.statusCode === 409)) expectProblem(r, 409, 'SOLD_OUT');

    const res = await ctx.app.inject({ method: 'GET', url: '/api/shop/catalog', headers: buyers[0]!.headers });
    const listed = CatalogResponseSchema.parse(res.json()).limited.find((s) => s.sku_id === sku.sku_id);
    expect(listed?.stock_remaining).toBe(0);
    const rows = await purchaseRows({ skuId: sku.sku_id });
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(10);
    expect(rows.filter((r) => r.status === 'failed' && r.failure_code === 'SOLD_OUT')).toHaveLength(15);

    let relics = 0;
    for (const [i, buyer] of buyers.entries()) {
      const won = results[i]!.statusCode === 201;
      expect(await getBalances(ctx.db, buyer.user.id)).toEqual({ soft: won ? 950 : 1000, premium: 0 });
      expect(await shopGrantCount(buyer.user.id)).toBe(won ? 1 : 0);
      relics += await inventoryOf(buyer.user.id, 'race_relic');
    }
    expect(relics).toBe(10);
    await expectLedgerClean(ctx.db);
  });

  it('per_user_limit 2 under 6 concurrent attempts by one player: exactly 2', async () => {
    const player = await makePlayer(ctx.app);
    const sku = await makeSku({ per_user_limit: 2, price: 10, bundle: { items: [{ item_id: 'race_badge', quantity: 1 }] } });
    const results = await Promise.all(Array.from({ length: 6 }, () => purchase(player, { sku_id: sku.sku_id })));
    expect(statuses(results)).toEqual({ 201: 2, 409: 4 });
    for (const r of results.filter((r) => r.statusCode === 409)) expectProblem(r, 409, 'PURCHASE_LIMIT_REACHED');
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 980, premium: 0 });
    expect(await inventoryOf(player.user.id, 'race_badge')).toBe(2);
    expect(await shopGrantCount(player.user.id)).toBe(2);
    const rows = await purchaseRows({ userId: player.user.id });
    expect(rows.filter((r) => r.status === 'failed' && r.failure_code === 'PURCHASE_LIMIT_REACHED')).toHaveLength(4);
    await expectLedgerClean(ctx.db);
  });

  it('a random mixed run of 200 purchases by 5 players over 4 SKUs keeps every count and the ledger exact', async () => {
    const random = mulberry32(20261128);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const players = await Promise.all(Array.from({ length: 5 }, () => makePlayer(ctx.app)));
    // Some premium for each, from the operator, so premium prices and currency packs are in play.
    await ctx.db.transaction().execute(async (trx) => {
      for (const p of players) {
        await grantReward(trx, { userId: p.user.id, grantKey: `test:mix:${p.user.id}`, source: 'operator', bundle: { currencies: { premium: 40 } }, now: ctx.clock.now() });
      }
    });
    const skus = [
      await makeSku({ price: 30, bundle: { items: [{ item_id: 'mix_a', quantity: 1 }] } }),
      await makeSku({ price: 45, segment: 'limited', stock: 25, bundle: { exp: 5, items: [{ item_id: 'mix_b', quantity: 2 }] } }),
      await makeSku({ price: 20, per_user_limit: 3, bundle: { items: [{ item_id: 'mix_c', quantity: 1 }] } }),
      await makeSku({ price: 3, currency_type: 'premium', bundle: { currencies: { soft: 40 }, items: [{ item_id: 'mix_d', quantity: 1 }] } }),
    ];
    const start = new Map<string, { soft: number; premium: number }>();
    for (const p of players) start.set(p.user.id, await getBalances(ctx.db, p.user.id));

    const attempts: { player: TestPlayer; sku: AdminSku; quantity: number; status: number; code?: string }[] = [];
    let done = 0;
    while (done < 200) {
      // Batches of 1 to 12 concurrent requests.
      const size = Math.min(200 - done, 1 + Math.floor(random() * 12));
      const batch = Array.from({ length: size }, () => ({ player: pick(players), sku: pick(skus), quantity: 1 + Math.floor(random() * 3) }));
      const results = await Promise.all(batch.map((a) => purchase(a.player, { sku_id: a.sku.sku_id, quantity: a.quantity })));
      results.forEach((r, i) => attempts.push({ ...batch[i]!, status: r.statusCode, ...(r.statusCode === 201 ? {} : { code: r.json().code }) }));
      done += size;
    }

    const allowed = new Set(['201', '402:INSUFFICIENT_FUNDS', '409:SOLD_OUT', '409:PURCHASE_LIMIT_REACHED']);
    for (const a of attempts) expect(allowed).toContain(a.code ? `${a.status}:${a.code}` : String(a.status));
    const won = attempts.filter((a) => a.status === 201);
    expect(won.length).toBeGreaterThan(20);
    expect(attempts.length - won.length).toBeGreaterThan(0);

    const rows = await ctx.db.selectFrom('purchases').selectAll().where('sku_id', 'in', skus.map((s) => s.sku_id)).execute();
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(won.length);
    expect(rows.filter((r) => r.status === 'failed')).toHaveLength(attempts.length - won.length);

    const sold = (skuId: string, userId?: string) =>
      won.filter((a) => a.sku.sku_id === skuId && (!userId || a.player.user.id === userId)).reduce((n, a) => n + a.quantity, 0);
    const dbSkus = await ctx.db.selectFrom('skus').select(['sku_id', 'stock_remaining']).where('sku_id', 'in', skus.map((s) => s.sku_id)).execute();
    expect(dbSkus.find((s) => s.sku_id === skus[1]!.sku_id)?.stock_remaining).toBe(25 - sold(skus[1]!.sku_id));
    expect(sold(skus[1]!.sku_id)).toBeLessThanOrEqual(25);

    for (const p of players) {
      const id = p.user.id;
      expect(sold(skus[2]!.sku_id, id)).toBeLessThanOrEqual(3);
      const counts = await ctx.db.selectFrom('sku_purchase_counts').select(['sku_id', 'purchased']).where('user_id', '=', id).execute();
      for (const sku of skus) expect(counts.find((c) => c.sku_id === sku.sku_id)?.purchased ?? 0).toBe(sold(sku.sku_id, id));

      const bundles: RewardBundle[] = skus.map((s) => s.bundle);
      const expected = { ...start.get(id)! };
      let exp = 0;
      const items: Record<string, number> = {};
      for (const a of won.filter((a) => a.player.user.id === id)) {
        expected[a.sku.currency_type] -= a.sku.price * a.quantity;
        const b = bundles[skus.indexOf(a.sku)]!;
        expected.soft += (b.currencies?.soft ?? 0) * a.quantity;
        expected.premium += (b.currencies?.premium ?? 0) * a.quantity;
        exp += (b.exp ?? 0) * a.quantity;
        for (const it of b.items ?? []) items[it.item_id] = (items[it.item_id] ?? 0) + it.quantity * a.quantity;
      }
      expect(await getBalances(ctx.db, id)).toEqual(expected);
      for (const itemId of ['mix_a', 'mix_b', 'mix_c', 'mix_d']) expect(await inventoryOf(id, itemId)).toBe(items[itemId] ?? 0);
      const user = await ctx.db.selectFrom('users').select('exp').where('id', '=', id).executeTakeFirstOrThrow();
      expect(user.exp).toBe(exp);
      expect(await shopGrantCount(id)).toBe(won.filter((a) => a.player.user.id === id).length);
    }
    await expectLedgerClean(ctx.db);
  });
});

/** A small seeded PRNG, so a failing run can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Two connections are needed: one holds the lock while the purchase runs on another.
describe.runIf(process.env.DATABASE_URL)('refusals that need no lock', () => {
  it('answers a buyer who cannot pay with 402 while their accounts are locked by another purchase', async () => {
    const sku = await makeSku({ price: 1001, bundle: { items: [{ item_id: 'race_coin', quantity: 1 }] } });
    const player = await makePlayer(ctx.app);
    let answered: { statusCode: number; body: string } | undefined;
    await ctx.db.transaction().execute(async (trx) => {
      // Holds the accounts as a purchase in flight does, until the refused one has its answer:
      // were the refusal decided behind the lock, it would wait here for good (the test times out).
      await sql`SELECT 1 FROM accounts WHERE owner = ${`user:${player.user.id}`} FOR UPDATE`.execute(trx);
      answered = await purchase(player, { sku_id: sku.sku_id });
    });
    expectProblem(answered as never, 402, 'INSUFFICIENT_FUNDS');
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
    const rows = await purchaseRows({ userId: player.user.id });
    expect(rows.map((r) => [r.status, r.failure_code])).toEqual([['failed', 'INSUFFICIENT_FUNDS']]);
    await expectLedgerClean(ctx.db);
  });
});

describe.runIf(process.env.DATABASE_URL)('an operator change racing a purchase', () => {
  it('making an unlimited SKU limited counts a purchase in flight as sold', async () => {
    const sku = await makeSku({ price: 10, bundle: { items: [{ item_id: 'race_coin', quantity: 1 }] } });
    const player = await makePlayer(ctx.app);
    // A repeat buyer: their count row exists, so no foreign-key check locks the SKU on the way.
    expect((await purchase(player, { sku_id: sku.sku_id })).statusCode).toBe(201);
    // Holds the buyer's accounts, so the purchase stops after it has read the (unlimited) offer.
    const release = await holdLock(ctx.db, (trx) => sql`SELECT 1 FROM accounts WHERE owner = ${`user:${player.user.id}`} FOR UPDATE`.execute(trx));
    const buying = purchase(player, { sku_id: sku.sku_id });
    await untilLockWaiters(ctx.db, 1);

    let changed = false;
    const change = ctx.app
      .inject({
        method: 'PATCH',
        url: `/api/admin/shop/skus/${sku.sku_id}`,
        headers: { ...admin.headers, 'content-type': 'application/json' },
        payload: JSON.stringify({ stock: 10 }),
      })
      .finally(() => (changed = true));
    // The change waits for the purchase in flight (two waiters) — or, were it not to, is done already.
    await untilLockWaiters(ctx.db, 2, () => changed);
    await release();
    expect((await buying).statusCode).toBe(201);
    const res = await change;
    expect(res.statusCode).toBe(200);
    expect(AdminSkuSchema.parse(res.json())).toMatchObject({ stock: 10, stock_remaining: 8, sold_count: 2 });
    const row = await ctx.db.selectFrom('skus').select('stock_remaining').where('sku_id', '=', sku.sku_id).executeTakeFirstOrThrow();
    expect(row.stock_remaining).toBe(8);
    await expectLedgerClean(ctx.db);
  });

  // The purchase waits for the operator's row lock, then reads the SKU as the change left it; the
  // stock it takes must be that stock, not the stock of the snapshot it began with.
  it.each([
    { from: 'a sold-out SKU restocked', sku: { segment: 'limited', stock: 1 }, soldBefore: 1, change: { stock: 6 }, left: 4 },
    { from: 'an unlimited SKU made limited', sku: {}, soldBefore: 0, change: { stock: 5 }, left: 4 },
  ])('a purchase made while $from buys from the new stock, not SOLD_OUT', async ({ sku: shape, soldBefore, change, left }) => {
    const sku = await makeSku({ ...shape, price: 10, bundle: { items: [{ item_id: 'race_coin', quantity: 1 }] } });
    for (let i = 0; i < soldBefore; i++) expect((await purchase(await makePlayer(ctx.app), { sku_id: sku.sku_id })).statusCode).toBe(201);
    const buyer = await makePlayer(ctx.app);
    // Stalls the operator's PATCH after it wrote the SKU row, before it commits: its
    // content-version trigger waits on this lock.
    const release = await holdLock(ctx.db, (trx) => sql`SELECT 1 FROM content_version WHERE id = 1 FOR UPDATE`.execute(trx));
    const changing = patchSku(sku.sku_id, change);
    await untilLockWaiters(ctx.db, 1);
    const buying = purchase(buyer, { sku_id: sku.sku_id });
    await untilLockWaiters(ctx.db, 2); // the purchase waits for the operator's row lock
    await release();
    expect((await changing).statusCode).toBe(200);
    const res = await buying;
    expect(res.statusCode, res.body).toBe(201);
    const row = await ctx.db.selectFrom('skus').select('stock_remaining').where('sku_id', '=', sku.sku_id).executeTakeFirstOrThrow();
    expect(row.stock_remaining).toBe(left);
    expect((await purchaseRows({ userId: buyer.user.id })).map((r) => r.status)).toEqual(['succeeded']);
    await expectLedgerClean(ctx.db);
  });
});

describe.runIf(process.env.DATABASE_URL)('failed purchase records', () => {
  it('record the code the player was answered with: a lost connection is 503 UNAVAILABLE, not INTERNAL', async () => {
    const sku = await makeSku({ price: 100, bundle: { items: [{ item_id: 'race_coin', quantity: 1 }] } });
    const player = await makePlayer(ctx.app);
    const release = await holdLock(ctx.db, (trx) => sql`SELECT 1 FROM accounts WHERE owner = ${playerAccount(player.user.id)} FOR UPDATE`.execute(trx));
    const buying = purchase(player, { sku_id: sku.sku_id });
    await untilLockWaiters(ctx.db, 1);
    // The database ends the purchase's session (a failover, an operator's restart).
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`.execute(ctx.db);
    const res = await buying;
    await release();
    expectProblem(res, 503, 'UNAVAILABLE');
    const rows = await purchaseRows({ userId: player.user.id });
    expect(rows.map((r) => [r.status, r.failure_code])).toEqual([['failed', 'UNAVAILABLE']]);
    const failed = (await listOutboxRows(ctx.db, { userId: player.user.id })).filter((r) => r.event_type === 'shop.purchase.failed');
    expect(failed.map((r) => (r.envelope as { payload: { failure_code: string } }).payload.failure_code)).toEqual(['UNAVAILABLE']);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
  });
});

describe.runIf(process.env.DATABASE_URL)('one idempotency key, one purchase', () => {
  it('a retry taking the key over as stale while the first attempt still runs does not buy a second time', async () => {
    const sku = await makeSku({ price: 100, bundle: { items: [{ item_id: 'slow_gem', quantity: 1 }] } });
    const player = await makePlayer(ctx.app);
    const buy = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/shop/purchase',
        headers: { ...player.headers, 'content-type': 'application/json', 'x-idempotency-key': 'slow-1' },
        payload: JSON.stringify({ sku_id: sku.sku_id }),
      });
    // Holds the buyer's accounts: the first attempt stops at its debit, slow but alive.
    const release = await holdLock(ctx.db, (trx) => sql`SELECT 1 FROM accounts WHERE owner = ${`user:${player.user.id}`} FOR UPDATE`.execute(trx));
    const first = buy();
    await untilLockWaiters(ctx.db, 1);
    // Past the key's takeover age (60 s), the retry runs the handler as if the first had died.
    ctx.clock.advance(61_000);
    const retry = buy();
    await untilLockWaiters(ctx.db, 2);
    await release();
    const answers = await Promise.all([first, retry]);
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201]);
    expect(new Set(answers.map((a) => a.json().purchase_id)).size).toBe(1);
    expect(answers[1]!.headers['idempotent-replayed']).toBe('true');
    const rows = await ctx.db.selectFrom('purchases').select('status').where('user_id', '=', player.user.id).execute();
    expect(rows).toEqual([{ status: 'succeeded' }]);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 900, premium: 0 });
    await expectLedgerClean(ctx.db);
  });

  it('a retry that takes the key over after the SKU left sale waits for the first attempt and answers with its purchase, not 404', async () => {
    const sku = await makeSku({ price: 100, available_until: new Date(ctx.clock.now().getTime() + 30_000).toISOString(), bundle: { items: [{ item_id: 'slow_gem', quantity: 1 }] } });
    const player = await makePlayer(ctx.app);
    const buy = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/shop/purchase',
        headers: { ...player.headers, 'content-type': 'application/json', 'x-idempotency-key': 'slow-closed-1' },
        payload: JSON.stringify({ sku_id: sku.sku_id }),
      });
    // The first attempt stops at its debit: slow but alive.
    const release = await holdLock(ctx.db, (trx) => sql`SELECT 1 FROM accounts WHERE owner = ${playerAccount(player.user.id)} FOR UPDATE`.execute(trx));
    const first = buy();
    await untilLockWaiters(ctx.db, 1);
    // Past the key's takeover age (60 s) and past available_until: the retry finds no offer.
    ctx.clock.advance(61_000);
    const retry = buy();
    await untilLockWaiters(ctx.db, 2); // the retry waits for the first attempt, under its key
    await release();
    const answers = await Promise.all([first, retry]);
    expect(answers.map((a) => a.statusCode), answers.map((a) => a.body).join('\n')).toEqual([201, 201]);
    const bought = answers[0]!.json().purchase_id as string;
    expect(answers[1]!.json().purchase_id).toBe(bought);
    expect(answers[1]!.headers['idempotent-replayed']).toBe('true');
    const again = await buy();
    expect([again.statusCode, again.json().purchase_id]).toEqual([201, bought]);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 900, premium: 0 });
    expect((await purchaseRows({ userId: player.user.id })).map((r) => r.status)).toEqual(['succeeded']);
    await expectLedgerClean(ctx.db);
  });
});
