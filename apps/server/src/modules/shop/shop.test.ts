import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminSkuListResponseSchema,
  AdminSkuSchema,
  CatalogResponseSchema,
  PurchaseResponseSchema,
  type AdminSku,
  type Sku,
} from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { expectProblem } from '../../../test/problem.ts';
import { demoSkus, seedDemoShop } from '../../demo/shop.ts';
import { listOutboxRows } from '../outbox/repo.ts';
import { grantReward } from '../rewards/service.ts';
import { getBalances, playerAccount } from '../wallet/ledger.ts';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

let skuCounter = 0;
const uniqueSkuId = (prefix = 'sku') => `${prefix}_${++skuCounter}_${Math.random().toString(36).slice(2, 8)}`;

const json = (as: TestPlayer | undefined, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  ctx.app.inject({
    method,
    url,
    headers: { ...(as?.headers ?? {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

/** Creates a SKU through the operator API; defaults: 100 soft for one `test_token`. */
async function makeSku(overrides: Record<string, unknown> = {}): Promise<AdminSku> {
  const res = await json(admin, 'POST', '/api/admin/shop/skus', {
    sku_id: uniqueSkuId(),
    name: 'Test SKU',
    price: 100,
    currency_type: 'soft',
    bundle: { items: [{ item_id: 'test_token', quantity: 1 }] },
    ...overrides,
  });
  if (res.statusCode !== 201) throw new Error(`sku create failed: ${res.statusCode} ${res.body}`);
  return AdminSkuSchema.parse(res.json());
}

const purchase = (as: TestPlayer, body: unknown) => json(as, 'POST', '/api/shop/purchase', body);
const catalog = async (as: TestPlayer) => {
  const res = await json(as, 'GET', '/api/shop/catalog');
  expect(res.statusCode).toBe(200);
  return CatalogResponseSchema.parse(res.json());
};
const findIn = (c: { regular: Sku[]; limited: Sku[] }, skuId: string) => [...c.regular, ...c.limited].find((s) => s.sku_id === skuId);

async function inventoryOf(userId: string, itemId: string): Promise<number> {
  const row = await ctx.db.selectFrom('inventory').select('quantity').where('user_id', '=', userId).where('item_id', '=', itemId).executeTakeFirst();
  return row?.quantity ?? 0;
}

/** Everything a refused request must leave as it was. */
async function snapshot(userId: string) {
  const [balances, purchases, skus, grants, counts] = await Promise.all([
    getBalances(ctx.db, userId),
    ctx.db.selectFrom('purchases').select(['id', 'status']).where('user_id', '=', userId).orderBy('id').execute(),
    ctx.db.selectFrom('skus').select(['sku_id', 'stock_remaining']).orderBy('sku_id').execute(),
    ctx.db.selectFrom('reward_grants').select('id').where('user_id', '=', userId).orderBy('id').execute(),
    ctx.db.selectFrom('sku_purchase_counts').selectAll().where('user_id', '=', userId).orderBy('sku_id').execute(),
  ]);
  return { balances, purchases, skus, grants, counts };
}

describe('POST /api/shop/purchase', () => {
  it('debits the price to system:shop, records the purchase and grants the bundle times the quantity', async () => {
    const player = await makePlayer(ctx.app);
    const sku = await makeSku({ price: 120, bundle: { exp: 30, items: [{ item_id: 'test_gem', quantity: 2 }] } });
    const res = await purchase(player, { sku_id: sku.sku_id, quantity: 3 });
    expect(res.statusCode).toBe(201);
    const body = PurchaseResponseSchema.parse(res.json());
    expect(body).toMatchObject({
      status: 'succeeded',
      sku_id: sku.sku_id,
      quantity: 3,
      price: 120,
      total_price: 360,
      currency_type: 'soft',
      granted_bundle: { exp: 90, items: [{ item_id: 'test_gem', quantity: 6 }] },
      balances: { soft: 640, premium: 0 },
    });

    const row = await ctx.db.selectFrom('purchases').selectAll().where('id', '=', body.purchase_id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: player.user.id, status: 'succeeded', total_price: 360, failure_code: null });
    const entries = await ctx.db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
      .select(['t.kind', 't.reference', 'e.owner', 'e.currency', 'e.amount'])
      .where('e.transaction_id', '=', row.ledger_transaction_id)
      .orderBy('e.amount')
      .execute();
    expect(entries).toEqual([
      { kind: 'purchase', reference: body.purchase_id, owner: playerAccount(player.user.id), currency: 'soft', amount: -360 },
      { kind: 'purchase', reference: body.purchase_id, owner: 'system:shop', currency: 'soft', amount: 360 },
    ]);
    const grant = await ctx.db.selectFrom('reward_grants').selectAll().where('grant_key', '=', `shop:purchase:${body.purchase_id}`).executeTakeFirstOrThrow();
    expect(grant).toMatchObject({ source: 'shop', source_id: body.purchase_id, user_id: player.user.id });
    expect(await inventoryOf(player.user.id, 'test_gem')).toBe(6);
    const user = await ctx.db.selectFrom('users').select(['exp', 'state_version']).where('id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(user.exp).toBe(90);
    expect(user.state_version).toBeGreaterThan(1);
    const events = (await listOutboxRows(ctx.db, { userId: player.user.id })).filter((r) => r.event_type.startsWith('shop.'));
    expect(events.map((e) => [e.event_type, (e.envelope as { payload: unknown }).payload])).toEqual([
      ['shop.purchase.succeeded', { purchase_id: body.purchase_id, sku_id: sku.sku_id, quantity: 3, price: 120, total_price: 360, currency_type: 'soft' }],
    ]);
    await expectLedgerClean(ctx.db);
  });

  it('defaults quantity to 1 and pays a currency pack from the shop in both currencies', async () => {
    const player = await makePlayer(ctx.app);
    const pack = await makeSku({ price: 400, bundle: { currencies: { premium: 7 } } });
    const res = await purchase(player, { sku_id: pack.sku_id });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ quantity: 1, total_price: 400, balances: { soft: 600, premium: 7 } });
    await expectLedgerClean(ctx.db);
  });

  it('answers 402 INSUFFICIENT_FUNDS, changes nothing and records the failed attempt', async () => {
    const player = await makePlayer(ctx.app);
    const sku = await makeSku({ price: 600, stock: 5 });
    expect((await purchase(player, { sku_id: sku.sku_id })).statusCode).toBe(201);
    const before = await snapshot(player.user.id);
    expectProblem(await purchase(player, { sku_id: sku.sku_id }), 402, 'INSUFFICIENT_FUNDS');
    const after = await snapshot(player.user.id);
    expect(after.balances).toEqual({ soft: 400, premium: 0 });
    expect(after.skus).toEqual(before.skus);
    expect(after.grants).toEqual(before.grants);
    expect(after.counts).toEqual(before.counts);
    const failed = await ctx.db.selectFrom('purchases').selectAll().where('user_id', '=', player.user.id).where('status', '=', 'failed').execute();
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ failure_code: 'INSUFFICIENT_FUNDS', ledger_transaction_id: null, total_price: 600 });
    const events = (await listOutboxRows(ctx.db, { userId: player.user.id })).filter((r) => r.event_type.startsWith('shop.'));
    expect(events.map((e) => e.event_type)).toEqual(['shop.purchase.succeeded', 'shop.purchase.failed']);
    expect((events[1]!.envelope as { payload: unknown }).payload).toEqual({
      purchase_id: failed[0]!.id,
      sku_id: sku.sku_id,
      quantity: 1,
      total_price: 600,
      currency_type: 'soft',
      failure_code: 'INSUFFICIENT_FUNDS',
    });
    await expectLedgerClean(ctx.db);
  });

  it('refuses a quantity past the per-player limit in one purchase', async () => {
    const player = await makePlayer(ctx.app);
    const sku = await makeSku({ per_user_limit: 2 });
    expectProblem(await purchase(player, { sku_id: sku.sku_id, quantity: 3 }), 409, 'PURCHASE_LIMIT_REACHED');
    expect((await purchase(player, { sku_id: sku.sku_id, quantity: 2 })).statusCode).toBe(201);
    expectProblem(await purchase(player, { sku_id: sku.sku_id }), 409, 'PURCHASE_LIMIT_REACHED');
    expect(await inventoryOf(player.user.id, 'test_token')).toBe(2);
    await expectLedgerClean(ctx.db);
  });

  it('refuses more than the stock left with 409 SOLD_OUT', async () => {
    const player = await makePlayer(ctx.app);
    const sku = await makeSku({ price: 10, stock: 3, segment: 'limited' });
    expectProblem(await purchase(player, { sku_id: sku.sku_id, quantity: 4 }), 409, 'SOLD_OUT');
    expect((await purchase(player, { sku_id: sku.sku_id, quantity: 3 })).statusCode).toBe(201);
    expectProblem(await purchase(player, { sku_id: sku.sku_id }), 409, 'SOLD_OUT');
    expect(findIn(await catalog(player), sku.sku_id)?.stock_remaining).toBe(0);
    await expectLedgerClean(ctx.db);
  });

  it('pays in one currency and grants the other, both ways at once, without deadlocking', async () => {
    const player = await makePlayer(ctx.app);
    const gems = await makeSku({ price: 100, currency_type: 'soft', bundle: { currencies: { premium: 10 } } });
    const coins = await makeSku({ price: 10, currency_type: 'premium', bundle: { currencies: { soft: 100 } } });
    // Enough of both that the 16 purchases succeed in any order.
    await ctx.db.transaction().execute((trx) =>
      grantReward(trx, { userId: player.user.id, grantKey: `test:gems:${player.user.id}`, source: 'operator', bundle: { currencies: { premium: 80 } }, now: ctx.clock.now() }),
    );
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => purchase(player, { sku_id: i % 2 ? gems.sku_id : coins.sku_id })),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(16).fill(201));
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 80 });
    await expectLedgerClean(ctx.db);
  });

  it('makes one purchase per idempotency key, however often and however concurrently it is sent', async () => {
    const player = await makePlayer(ctx.app);
    const sku = await makeSku({ price: 100 });
    const keyed = (body: unknown) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/shop/purchase',
        headers: { ...player.headers, 'content-type': 'application/json', 'x-idempotency-key': 'buy-once-1' },
        payload: JSON.stringify(body),
      });
    const results = await Promise.all(Array.from({ length: 5 }, () => keyed({ sku_id: sku.sku_id })));
    for (const r of results) expect([201, 409]).toContain(r.statusCode);
    const ids = new Set(results.filter((r) => r.statusCode === 201).map((r) => r.json().purchase_id));
    expect(ids.size).toBe(1);
    const again = await keyed({ sku_id: sku.sku_id });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().purchase_id).toBe([...ids][0]);
    expectProblem(await keyed({ sku_id: sku.sku_id, quantity: 2 }), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await ctx.db.selectFrom('purchases').select('id').where('user_id', '=', player.user.id).execute()).toHaveLength(1);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 900, premium: 0 });
    await expectLedgerClean(ctx.db);
  });

  describe('one key buys once, even when the key itself is lost', () => {
    // What a lost answer leaves behind: the purchase committed, its key released (a 5xx after
    // COMMIT) or never completed; the retry runs the handler again.
    const forgetKey = (userId: string) => ctx.db.deleteFrom('idempotency_keys').where('user_scope', '=', userId).execute();
    const keyed = (player: TestPlayer, key: string, body: unknown) =>
      ctx.app.inject({ method: 'POST', url: '/api/shop/purchase', headers: { ...player.headers, 'x-idempotency-key': key }, payload: body as object });

    it('a retry is answered with the first purchase, marked replayed, and nothing is bought twice', async () => {
      const player = await makePlayer(ctx.app);
      const sku = await makeSku({ price: 100, bundle: { exp: 5, items: [{ item_id: 'test_token', quantity: 2 }] } });
      const first = await keyed(player, 'lost-1', { sku_id: sku.sku_id });
      expect(first.statusCode, first.body).toBe(201);
      await forgetKey(player.user.id);
      const retry = await keyed(player, 'lost-1', { sku_id: sku.sku_id });
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(PurchaseResponseSchema.parse(retry.json())).toEqual(PurchaseResponseSchema.parse(first.json()));
      expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 900, premium: 0 });
      expect(await inventoryOf(player.user.id, 'test_token')).toBe(2);
      expect(await ctx.db.selectFrom('purchases').select('status').where('user_id', '=', player.user.id).execute()).toEqual([{ status: 'succeeded' }]);
      // Another key buys again.
      expect((await keyed(player, 'lost-2', { sku_id: sku.sku_id })).statusCode).toBe(201);
      expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 800, premium: 0 });
      await expectLedgerClean(ctx.db);
    });

    it('a retry after the first purchase spent the last coin or unit is answered with it, not 402 or 409', async () => {
      const player = await makePlayer(ctx.app);
      const sku = await makeSku({ price: 1000, stock: 1 });
      expect((await keyed(player, 'last-1', { sku_id: sku.sku_id })).statusCode).toBe(201);
      await forgetKey(player.user.id);
      const before = await snapshot(player.user.id);
      const retry = await keyed(player, 'last-1', { sku_id: sku.sku_id });
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await snapshot(player.user.id)).toEqual(before);
    });

    it('refuses the key for another purchase with 422, nothing bought', async () => {
      const player = await makePlayer(ctx.app);
      const sku = await makeSku({ price: 10 });
      const other = await makeSku({ price: 10 });
      expect((await keyed(player, 'mine-1', { sku_id: sku.sku_id })).statusCode).toBe(201);
      await forgetKey(player.user.id);
      const before = await snapshot(player.user.id);
      expectProblem(await keyed(player, 'mine-1', { sku_id: other.sku_id }), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await keyed(player, 'mine-1', { sku_id: sku.sku_id, quantity: 2 }), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(await snapshot(player.user.id)).toEqual(before);
      // Keys are the player's own: another player's same key buys.
      const someone = await makePlayer(ctx.app);
      expect((await keyed(someone, 'mine-1', { sku_id: sku.sku_id })).statusCode).toBe(201);
    });
  });

  describe('refuses bad input with nothing changed', () => {
    let player: TestPlayer;
    let sku: AdminSku;
    beforeAll(async () => {
      player = await makePlayer(ctx.app);
      sku = await makeSku({ price: 10, stock: 50, per_user_limit: 40 });
    });

    it.each([
      ['negative quantity', () => ({ sku_id: sku.sku_id, quantity: -1 })],
      ['zero quantity', () => ({ sku_id: sku.sku_id, quantity: 0 })],
      ['fractional quantity', () => ({ sku_id: sku.sku_id, quantity: 1.5 })],
      ['string quantity', () => ({ sku_id: sku.sku_id, quantity: '2' })],
      ['null quantity', () => ({ sku_id: sku.sku_id, quantity: null })],
      ['huge quantity', () => ({ sku_id: sku.sku_id, quantity: 1e9 })],
      ['quantity 101', () => ({ sku_id: sku.sku_id, quantity: 101 })],
      ['quantity 1e308', () => ({ sku_id: sku.sku_id, quantity: 1e308 })],
      ['missing sku_id', () => ({ quantity: 1 })],
      ['numeric sku_id', () => ({ sku_id: 42 })],
      ['malformed sku_id', () => ({ sku_id: 'Bad SKU!' })],
      ['overlong sku_id', () => ({ sku_id: 'a'.repeat(65) })],
      ['extra field', () => ({ sku_id: sku.sku_id, price: 1 })],
      ['an array', () => [{ sku_id: sku.sku_id }]],
      ['a string', () => 'buy'],
      ['null', () => null],
    ])('%s → 400 VALIDATION_FAILED', async (_name, body) => {
      const before = await snapshot(player.user.id);
      expectProblem(await purchase(player, body()), 400, 'VALIDATION_FAILED');
      expect(await snapshot(player.user.id)).toEqual(before);
    });

    it('malformed JSON, no body and a text body → 400/415', async () => {
      const before = await snapshot(player.user.id);
      const raw = (payload: string, type = 'application/json') =>
        ctx.app.inject({ method: 'POST', url: '/api/shop/purchase', headers: { ...player.headers, 'content-type': type }, payload });
      expectProblem(await raw('{"sku_id": '), 400, 'VALIDATION_FAILED');
      expectProblem(await raw(''), 400, 'VALIDATION_FAILED');
      expectProblem(await raw(`sku_id=${sku.sku_id}`, 'text/plain'), 415, 'VALIDATION_FAILED');
      expect(await snapshot(player.user.id)).toEqual(before);
    });

    it('an unknown, inactive, not yet or no longer available SKU → 404, no attempt recorded', async () => {
      const now = ctx.clock.now().getTime();
      const inactive = await makeSku({ active: false });
      const future = await makeSku({ available_from: new Date(now + 3_600_000).toISOString() });
      const past = await makeSku({ available_from: new Date(now - 7_200_000).toISOString(), available_until: new Date(now - 1).toISOString() });
      const before = await snapshot(player.user.id);
      for (const skuId of ['no_such_sku', inactive.sku_id, future.sku_id, past.sku_id]) {
        expectProblem(await purchase(player, { sku_id: skuId }), 404, 'NOT_FOUND');
      }
      expect(await snapshot(player.user.id)).toEqual(before);
    });

    it('a quantity whose total passes the largest amount → 422, no attempt recorded', async () => {
      const dear = await makeSku({ price: 600_000_000, currency_type: 'premium' });
      const before = await snapshot(player.user.id);
      const problem = expectProblem(await purchase(player, { sku_id: dear.sku_id, quantity: 2 }), 422, 'VALIDATION_FAILED');
      expect(problem.errors?.[0]?.field).toBe('body.quantity');
      expect(await snapshot(player.user.id)).toEqual(before);
    });

    it('no token → 401', async () => {
      const before = await snapshot(player.user.id);
      expectProblem(await json(undefined, 'POST', '/api/shop/purchase', { sku_id: sku.sku_id }), 401, 'UNAUTHENTICATED');
      expectProblem(await json(undefined, 'GET', '/api/shop/catalog'), 401, 'UNAUTHENTICATED');
      expect(await snapshot(player.user.id)).toEqual(before);
    });
  });
});

describe('GET /api/shop/catalog', () => {
  it('lists SKUs on sale now by segment, with nulls where not limited and the caller’s own counts', async () => {
    const player = await makePlayer(ctx.app);
    const other = await makePlayer(ctx.app);
    const now = ctx.clock.now().getTime();
    const until = new Date(now + 86_400_000).toISOString();
    const plain = await makeSku({ description: 'plain', bundle: { exp: 5 } });
    const limited = await makeSku({ segment: 'limited', stock: 20, per_user_limit: 3, available_until: until, price: 50, currency_type: 'soft' });
    const hidden = [
      await makeSku({ active: false }),
      await makeSku({ available_from: new Date(now + 60_000).toISOString() }),
      await makeSku({ available_until: new Date(now).toISOString(), available_from: new Date(now - 60_000).toISOString() }),
    ];
    expect((await purchase(player, { sku_id: limited.sku_id, quantity: 2 })).statusCode).toBe(201);
    expect((await purchase(other, { sku_id: limited.sku_id })).statusCode).toBe(201);

    const mine = await catalog(player);
    expect(findIn(mine, plain.sku_id)).toEqual({
      sku_id: plain.sku_id,
      name: 'Test SKU',
      description: 'plain',
      price: 100,
      currency_type: 'soft',
      bundle: { exp: 5 },
      segment: 'regular',
      stock_remaining: null,
      per_user_limit: null,
      purchased_count: 0,
      available_until: null,
    });
    expect(mine.limited.find((s) => s.sku_id === limited.sku_id)).toMatchObject({
      segment: 'limited',
      stock_remaining: 17,
      per_user_limit: 3,
      purchased_count: 2,
      available_until: until.replace(/\.\d+Z$/, '.000Z'),
    });
    expect(mine.regular.every((s) => s.segment === 'regular')).toBe(true);
    expect(mine.limited.every((s) => s.segment === 'limited')).toBe(true);
    for (const h of hidden) expect(findIn(mine, h.sku_id)).toBeUndefined();
    expect(findIn(await catalog(other), limited.sku_id)?.purchased_count).toBe(1);
  });

  it('drops a SKU when its window closes and shows one when it opens', async () => {
    const player = await makePlayer(ctx.app);
    const start = ctx.clock.now();
    const soon = await makeSku({ available_from: new Date(start.getTime() + 60_000).toISOString() });
    const ending = await makeSku({ available_until: new Date(start.getTime() + 60_000).toISOString() });
    expect(findIn(await catalog(player), soon.sku_id)).toBeUndefined();
    expect(findIn(await catalog(player), ending.sku_id)).toBeDefined();
    ctx.clock.advance(60_000);
    try {
      const later = await catalog(player);
      expect(findIn(later, soon.sku_id)).toBeDefined();
      expect(findIn(later, ending.sku_id)).toBeUndefined();
      expectProblem(await purchase(player, { sku_id: ending.sku_id }), 404, 'NOT_FOUND');
      expect((await purchase(player, { sku_id: soon.sku_id })).statusCode).toBe(201);
    } finally {
      ctx.clock.set(start);
    }
  });
});

describe('operator SKUs', () => {
  it('creates a SKU (201) and lists every SKU with stock and units sold', async () => {
    const player = await makePlayer(ctx.app);
    const from = new Date(ctx.clock.now().getTime() - 1000).toISOString();
    const res = await json(admin, 'POST', '/api/admin/shop/skus', {
      sku_id: 'op_pack_' + Math.random().toString(36).slice(2, 8),
      name: '  Operator pack ',
      description: 'made by hand',
      price: 25,
      currency_type: 'soft',
      bundle: { currencies: { premium: 1 }, items: [{ item_id: 'frame_gold', quantity: 1 }] },
      segment: 'limited',
      stock: 8,
      per_user_limit: 4,
      available_from: from,
    });
    expect(res.statusCode).toBe(201);
    const sku = AdminSkuSchema.parse(res.json());
    expect(sku).toMatchObject({ name: 'Operator pack', stock: 8, stock_remaining: 8, sold_count: 0, active: true, available_until: null });
    expect((await purchase(player, { sku_id: sku.sku_id, quantity: 3 })).statusCode).toBe(201);

    const list = await json(admin, 'GET', '/api/admin/shop/skus');
    expect(list.statusCode).toBe(200);
    const listed = AdminSkuListResponseSchema.parse(list.json()).items.find((s) => s.sku_id === sku.sku_id);
    expect(listed).toMatchObject({ stock: 8, stock_remaining: 5, sold_count: 3 });
  });

  it('refuses a taken sku_id with 422 VALIDATION_FAILED on body.sku_id', async () => {
    const sku = await makeSku({ price: 77 });
    const res = await json(admin, 'POST', '/api/admin/shop/skus', { sku_id: sku.sku_id, name: 'again', price: 1, currency_type: 'premium', bundle: { exp: 1 } });
    const problem = expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual([{ field: 'body.sku_id', message: 'already exists' }]);
    const row = await ctx.db.selectFrom('skus').select(['price', 'name']).where('sku_id', '=', sku.sku_id).executeTakeFirstOrThrow();
    expect(row).toEqual({ price: 77, name: 'Test SKU' });
  });

  it('gives players 403 and anonymous callers 401 on every operator route', async () => {
    const player = await makePlayer(ctx.app);
    const count = await ctx.db.selectFrom('skus').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const body = { sku_id: uniqueSkuId(), name: 'x', price: 1, currency_type: 'soft', bundle: { exp: 1 } };
    expectProblem(await json(player, 'GET', '/api/admin/shop/skus'), 403, 'FORBIDDEN');
    expectProblem(await json(player, 'POST', '/api/admin/shop/skus', body), 403, 'FORBIDDEN');
    expectProblem(await json(undefined, 'GET', '/api/admin/shop/skus'), 401, 'UNAUTHENTICATED');
    expectProblem(await json(undefined, 'POST', '/api/admin/shop/skus', body), 401, 'UNAUTHENTICATED');
    expect(await ctx.db.selectFrom('skus').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual(count);
  });

  const valid = { name: 'Valid', price: 10, currency_type: 'soft', bundle: { exp: 1 } };
  it.each([
    ['price 0', { price: 0 }],
    ['negative price', { price: -5 }],
    ['fractional price', { price: 9.99 }],
    ['string price', { price: '10' }],
    ['huge price', { price: 1e12 }],
    ['unknown currency_type', { currency_type: 'gold' }],
    ['unknown segment', { segment: 'seasonal' }],
    ['empty bundle', { bundle: {} }],
    ['bundle with a negative amount', { bundle: { currencies: { soft: -1 } } }],
    ['bundle with an unknown field', { bundle: { exp: 1, cash: 5 } }],
    ['bundle with a bad item id', { bundle: { items: [{ item_id: 'Bad Item', quantity: 1 }] } }],
    ['missing bundle', { bundle: undefined }],
    ['stock 0', { stock: 0 }],
    ['fractional stock', { stock: 2.5 }],
    ['per_user_limit 0', { per_user_limit: 0 }],
    ['available_from equal to available_until', { available_from: '2026-12-01T00:00:00Z', available_until: '2026-12-01T00:00:00Z' }],
    ['available_from after available_until', { available_from: '2026-12-02T00:00:00Z', available_until: '2026-12-01T00:00:00Z' }],
    ['a date that is not ISO', { available_until: 'next tuesday' }],
    ['an empty name', { name: '   ' }],
    ['an extra field', { stock_remaining: 5 }],
    ['a malformed sku_id', { sku_id: 'Has Spaces' }],
  ])('rejects %s with 400 and creates nothing', async (_name, override) => {
    const skuId = uniqueSkuId('bad');
    const res = await json(admin, 'POST', '/api/admin/shop/skus', { sku_id: skuId, ...valid, ...override });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(await ctx.db.selectFrom('skus').select('sku_id').where('sku_id', '=', skuId).executeTakeFirst()).toBeUndefined();
  });
});

describe('demo catalog', () => {
  it('seeds five regular SKUs and one limited package that a new player can buy', async () => {
    await ctx.db.transaction().execute((trx) => seedDemoShop(trx, ctx.clock.now()));
    await ctx.db.transaction().execute((trx) => seedDemoShop(trx, ctx.clock.now())); // a second run changes nothing
    const player = await makePlayer(ctx.app);
    const c = await catalog(player);
    const ids = demoSkus(ctx.clock.now()).map((s) => s.sku_id);
    const regular = c.regular.filter((s) => ids.includes(s.sku_id));
    const limited = c.limited.filter((s) => ids.includes(s.sku_id));
    expect(regular).toHaveLength(5);
    expect(limited).toHaveLength(1);
    expect(new Set(regular.map((s) => s.currency_type))).toEqual(new Set(['soft', 'premium']));
    expect(limited[0]).toMatchObject({ stock_remaining: 100, per_user_limit: 1 });
    expect(Date.parse(limited[0]!.available_until!) - ctx.clock.now().getTime()).toBe(30 * 86_400_000);

    const chest = await purchase(player, { sku_id: 'chest_bronze' });
    expect(chest.statusCode).toBe(201);
    expect(await inventoryOf(player.user.id, 'chest_bronze')).toBe(1);
    expect((await purchase(player, { sku_id: 'neon_starter_pack' })).statusCode).toBe(201);
    expectProblem(await purchase(player, { sku_id: 'neon_starter_pack' }), 409, 'PURCHASE_LIMIT_REACHED');
    expect(await inventoryOf(player.user.id, 'chest_bronze')).toBe(4);
    expect(await inventoryOf(player.user.id, 'avatar_neon')).toBe(1);
    await expectLedgerClean(ctx.db);
  });
});
