import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminSkuListResponseSchema, AdminSkuSchema, CatalogResponseSchema, PurchaseResponseSchema, type AdminSku } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectProblem } from '../../../test/problem.ts';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

let skuCounter = 0;
const uniqueSkuId = (prefix = 'edit') => `${prefix}_${++skuCounter}_${Math.random().toString(36).slice(2, 8)}`;
const HOUR_MS = 3_600_000;
const iso = (hours: number) => new Date(ctx.clock.now().getTime() + hours * HOUR_MS).toISOString();

const send = (as: TestPlayer | undefined, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
  ctx.app.inject({
    method,
    url,
    headers: { ...(as?.headers ?? {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
/** PATCH as the operator, or as `as`; null sends no token. */
const patch = (skuId: string, change: unknown, as: TestPlayer | null = admin) => send(as ?? undefined, 'PATCH', `/api/admin/shop/skus/${skuId}`, change);
const purchase = (as: TestPlayer, skuId: string, quantity = 1) => send(as, 'POST', '/api/shop/purchase', { sku_id: skuId, quantity });

/** Creates a SKU through the operator API; defaults: 100 soft for 5 exp, unlimited. */
async function makeSku(overrides: Record<string, unknown> = {}): Promise<AdminSku> {
  const res = await send(admin, 'POST', '/api/admin/shop/skus', {
    sku_id: uniqueSkuId(),
    name: 'Editable SKU',
    price: 100,
    currency_type: 'soft',
    bundle: { exp: 5 },
    ...overrides,
  });
  expect(res.statusCode, res.body).toBe(201);
  return AdminSkuSchema.parse(res.json());
}

/** The SKU's row as stored, to show a refused change left it as it was. */
const skuRow = (skuId: string) => ctx.db.selectFrom('skus').selectAll().where('sku_id', '=', skuId).executeTakeFirstOrThrow();
const contentVersion = async () => Number((await ctx.db.selectFrom('content_version').select('version').executeTakeFirstOrThrow()).version);
const offer = async (as: TestPlayer, skuId: string) => {
  const catalog = CatalogResponseSchema.parse((await send(as, 'GET', '/api/shop/catalog')).json());
  return [...catalog.regular, ...catalog.limited].find((s) => s.sku_id === skuId);
};

describe('PATCH /api/admin/shop/skus/{sku_id}: access', () => {
  it('refuses players with 403 and anonymous callers with 401, changing nothing', async () => {
    const sku = await makeSku();
    const before = await skuRow(sku.sku_id);
    const player = await makePlayer(ctx.app);
    expectProblem(await patch(sku.sku_id, { price: 1 }, player), 403, 'FORBIDDEN');
    expectProblem(await patch(sku.sku_id, { price: 1 }, null), 401, 'UNAUTHENTICATED');
    expectProblem(await patch(sku.sku_id, { price: 1 }, { ...player, headers: { authorization: 'Bearer not-a-token' } }), 401, 'UNAUTHENTICATED');
    expect(await skuRow(sku.sku_id)).toEqual(before);
  });
});

describe('PATCH /api/admin/shop/skus/{sku_id}', () => {
  it('changes only the fields given and answers the whole SKU', async () => {
    const sku = await makeSku({ description: 'Old', per_user_limit: 3 });
    const res = await patch(sku.sku_id, { name: '  Renamed  ', description: 'New words', bundle: { currencies: { premium: 2 } }, segment: 'limited' });
    expect(res.statusCode, res.body).toBe(200);
    const body = AdminSkuSchema.parse(res.json());
    expect(body).toEqual({
      ...sku,
      name: 'Renamed',
      description: 'New words',
      bundle: { currencies: { premium: 2 } },
      segment: 'limited',
    });
    const listed = AdminSkuListResponseSchema.parse((await send(admin, 'GET', '/api/admin/shop/skus')).json()).items.find((s) => s.sku_id === sku.sku_id);
    expect(listed).toEqual(body);
  });

  it('a new price applies to purchases from now on; a past purchase keeps what it paid', async () => {
    const sku = await makeSku({ price: 100 });
    const player = await makePlayer(ctx.app);
    const first = PurchaseResponseSchema.parse((await purchase(player, sku.sku_id)).json());
    expect(first).toMatchObject({ price: 100, total_price: 100, balances: { soft: 900 } });

    const res = await patch(sku.sku_id, { price: 250 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ price: 250, sold_count: 1 });
    expect((await offer(player, sku.sku_id))?.price).toBe(250);

    const second = PurchaseResponseSchema.parse((await purchase(player, sku.sku_id)).json());
    expect(second).toMatchObject({ price: 250, total_price: 250, balances: { soft: 650 } });
    const paid = await ctx.db.selectFrom('purchases').select(['id', 'price']).where('sku_id', '=', sku.sku_id).execute();
    expect(Object.fromEntries(paid.map((p) => [p.id, p.price]))).toEqual({ [first.purchase_id]: 100, [second.purchase_id]: 250 });
  });

  it('changes the currency for purchases from now on', async () => {
    const sku = await makeSku({ price: 10 });
    const player = await makePlayer(ctx.app);
    expect((await patch(sku.sku_id, { currency_type: 'premium' })).statusCode).toBe(200);
    // A new player has no premium: the purchase is refused in the new currency.
    expectProblem(await purchase(player, sku.sku_id), 402, 'INSUFFICIENT_FUNDS');
  });

  it('bumps the content version, so every dashboard revalidates with a new ETag', async () => {
    const sku = await makeSku();
    const player = await makePlayer(ctx.app);
    const first = await send(player, 'GET', '/api/dashboard');
    const etag = String(first.headers.etag);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: { ...player.headers, 'if-none-match': etag } })).statusCode).toBe(304);
    const version = await contentVersion();

    expect((await patch(sku.sku_id, { price: 120 })).statusCode).toBe(200);
    expect(await contentVersion()).toBeGreaterThan(version);
    const after = await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: { ...player.headers, 'if-none-match': etag } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(etag);
  });

  it('takes a SKU off sale and back', async () => {
    const sku = await makeSku();
    const player = await makePlayer(ctx.app);
    expect((await patch(sku.sku_id, { active: false })).json()).toMatchObject({ active: false });
    expect(await offer(player, sku.sku_id)).toBeUndefined();
    expectProblem(await purchase(player, sku.sku_id), 404, 'NOT_FOUND');
    expect((await patch(sku.sku_id, { active: true })).json()).toMatchObject({ active: true });
    expect(await offer(player, sku.sku_id)).toBeDefined();
  });

  describe('stock counts the units sold', () => {
    it('raises and lowers stock around what is sold; stock equal to sold is sold out', async () => {
      const sku = await makeSku({ segment: 'limited', stock: 5 });
      const player = await makePlayer(ctx.app);
      expect((await purchase(player, sku.sku_id, 2)).statusCode).toBe(201);

      expect((await patch(sku.sku_id, { stock: 10 })).json()).toMatchObject({ stock: 10, stock_remaining: 8, sold_count: 2 });
      expect((await offer(player, sku.sku_id))?.stock_remaining).toBe(8);
      expect((await patch(sku.sku_id, { stock: 2 })).json()).toMatchObject({ stock: 2, stock_remaining: 0, sold_count: 2 });
      expectProblem(await purchase(player, sku.sku_id), 409, 'SOLD_OUT');
      expect((await patch(sku.sku_id, { stock: 3 })).json()).toMatchObject({ stock: 3, stock_remaining: 1 });
      expect((await purchase(player, sku.sku_id)).statusCode).toBe(201);
      expect(await skuRow(sku.sku_id)).toMatchObject({ stock: 3, stock_remaining: 0 });
    });

    it('refuses stock below the units sold with 422 on body.stock and changes nothing', async () => {
      const sku = await makeSku({ segment: 'limited', stock: 5 });
      const player = await makePlayer(ctx.app);
      expect((await purchase(player, sku.sku_id, 3)).statusCode).toBe(201);
      const before = await skuRow(sku.sku_id);
      const version = await contentVersion();
      const problem = expectProblem(await patch(sku.sku_id, { stock: 2, price: 1 }), 422, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([{ field: 'body.stock', message: 'cannot be below the 3 units already sold' }]);
      expect(await skuRow(sku.sku_id)).toEqual(before);
      expect(await contentVersion()).toBe(version);
    });

    it('limits an unlimited SKU by what its purchases sold, and lifts the limit with null', async () => {
      const sku = await makeSku();
      const player = await makePlayer(ctx.app);
      expect((await purchase(player, sku.sku_id, 3)).statusCode).toBe(201);
      expectProblem(await patch(sku.sku_id, { stock: 2 }), 422, 'VALIDATION_FAILED');
      expect(await skuRow(sku.sku_id)).toMatchObject({ stock: null, stock_remaining: null });

      expect((await patch(sku.sku_id, { stock: 4 })).json()).toMatchObject({ stock: 4, stock_remaining: 1, sold_count: 3 });
      expect((await purchase(player, sku.sku_id)).statusCode).toBe(201);
      expectProblem(await purchase(player, sku.sku_id), 409, 'SOLD_OUT');

      expect((await patch(sku.sku_id, { stock: null })).json()).toMatchObject({ stock: null, stock_remaining: null, sold_count: 4 });
      expect((await purchase(player, sku.sku_id)).statusCode).toBe(201);
    });

    it('never oversells while purchases and a stock change run at once', async () => {
      const sku = await makeSku({ segment: 'limited', stock: 6, price: 10 });
      const players = await Promise.all(Array.from({ length: 6 }, () => makePlayer(ctx.app)));
      const results = await Promise.all([
        ...players.map((p) => purchase(p, sku.sku_id)),
        patch(sku.sku_id, { stock: 4 }),
      ]);
      const change = results.at(-1)!;
      const sold = results.slice(0, -1).filter((r) => r.statusCode === 201).length;
      const row = await skuRow(sku.sku_id);
      if (change.statusCode === 200) {
        expect(sold).toBeLessThanOrEqual(4);
        expect(row).toMatchObject({ stock: 4, stock_remaining: 4 - sold });
      } else {
        expectProblem(change, 422, 'VALIDATION_FAILED');
        expect(row).toMatchObject({ stock: 6, stock_remaining: 6 - sold });
      }
      for (const r of results.slice(0, -1)) if (r.statusCode !== 201) expectProblem(r, 409, 'SOLD_OUT');
    });
  });

  it('per_user_limit: a lower limit stops a player who already reached it; null lifts it', async () => {
    const sku = await makeSku({ per_user_limit: 5 });
    const player = await makePlayer(ctx.app);
    expect((await purchase(player, sku.sku_id, 2)).statusCode).toBe(201);
    expect((await patch(sku.sku_id, { per_user_limit: 2 })).json()).toMatchObject({ per_user_limit: 2 });
    expectProblem(await purchase(player, sku.sku_id), 409, 'PURCHASE_LIMIT_REACHED');
    expect((await patch(sku.sku_id, { per_user_limit: null })).json()).toMatchObject({ per_user_limit: null });
    expect((await purchase(player, sku.sku_id)).statusCode).toBe(201);
  });

  it('checks the window against the stored half', async () => {
    const sku = await makeSku({ available_from: iso(-1), available_until: iso(24) });
    const before = await skuRow(sku.sku_id);
    const late = expectProblem(await patch(sku.sku_id, { available_from: iso(30) }), 400, 'VALIDATION_FAILED');
    expect(late.errors?.[0]?.field).toBe('body.available_from');
    const early = expectProblem(await patch(sku.sku_id, { available_until: iso(-2) }), 400, 'VALIDATION_FAILED');
    expect(early.errors?.[0]?.field).toBe('body.available_until');
    expect(await skuRow(sku.sku_id)).toEqual(before);

    expect((await patch(sku.sku_id, { available_until: null, available_from: iso(30) })).json()).toMatchObject({
      available_from: iso(30),
      available_until: null,
    });
    const player = await makePlayer(ctx.app);
    expect(await offer(player, sku.sku_id)).toBeUndefined(); // not yet on sale
  });

  describe('refuses bad input with nothing changed', () => {
    let sku: AdminSku;
    beforeAll(async () => {
      sku = await makeSku({ segment: 'limited', stock: 10, per_user_limit: 3 });
    });

    it.each([
      ['an empty change', {}],
      ['price 0', { price: 0 }],
      ['a negative price', { price: -5 }],
      ['a fractional price', { price: 9.99 }],
      ['a string price', { price: '10' }],
      ['a null price', { price: null }],
      ['a huge price', { price: 1e12 }],
      ['a price past the safe integers', { price: 2 ** 53 + 2 }],
      ['price 1e308', { price: 1e308 }],
      ['stock 0', { stock: 0 }],
      ['a negative stock', { stock: -1 }],
      ['a fractional stock', { stock: 2.5 }],
      ['a huge stock', { stock: 1e15 }],
      ['per_user_limit 0', { per_user_limit: 0 }],
      ['an unknown currency', { currency_type: 'gold' }],
      ['an unknown segment', { segment: 'seasonal' }],
      ['an empty bundle', { bundle: {} }],
      ['a bundle with a negative amount', { bundle: { currencies: { soft: -1 } } }],
      ['a bundle with an unknown field', { bundle: { exp: 1, cash: 5 } }],
      ['an empty name', { name: '   ' }],
      ['a name too long', { name: 'x'.repeat(101) }],
      ['a description too long', { description: 'x'.repeat(10_000) }],
      ['a boolean active as string', { active: 'false' }],
      ['an ordered window given backwards', { available_from: '2026-12-02T00:00:00Z', available_until: '2026-12-01T00:00:00Z' }],
      ['a date that is not ISO', { available_until: 'next tuesday' }],
      ['a new sku_id', { sku_id: 'renamed' }],
      ['stock_remaining (derived, not set)', { stock_remaining: 100 }],
      ['sold_count', { sold_count: 0 }],
      ['an extra field beside a valid one', { price: 5, discount: 50 }],
      ['an array', [{ price: 5 }]],
      ['a string', 'price=5'],
      ['null', null],
    ])('%s → 400 VALIDATION_FAILED', async (_name, change) => {
      const before = await skuRow(sku.sku_id);
      const version = await contentVersion();
      expectProblem(await patch(sku.sku_id, change), 400, 'VALIDATION_FAILED');
      expect(await skuRow(sku.sku_id)).toEqual(before);
      expect(await contentVersion()).toBe(version);
    });

    it('malformed JSON, no body and a text body → 400/415', async () => {
      const before = await skuRow(sku.sku_id);
      const raw = (payload: string, type = 'application/json') =>
        ctx.app.inject({ method: 'PATCH', url: `/api/admin/shop/skus/${sku.sku_id}`, headers: { ...admin.headers, 'content-type': type }, payload });
      expectProblem(await raw('{"price": '), 400, 'VALIDATION_FAILED');
      expectProblem(await raw(''), 400, 'VALIDATION_FAILED');
      expectProblem(await raw('price=5', 'text/plain'), 415, 'VALIDATION_FAILED');
      expect(await skuRow(sku.sku_id)).toEqual(before);
    });

    it('an unknown SKU → 404; a malformed sku_id → 400', async () => {
      expectProblem(await patch('no_such_sku', { price: 5 }), 404, 'NOT_FOUND');
      expectProblem(await patch('Bad%20SKU', { price: 5 }), 400, 'VALIDATION_FAILED');
      expectProblem(await patch('a'.repeat(65), { price: 5 }), 400, 'VALIDATION_FAILED');
      expect(await ctx.db.selectFrom('skus').select('sku_id').where('sku_id', '=', 'no_such_sku').executeTakeFirst()).toBeUndefined();
    });
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.paths['/api/admin/shop/skus/{sku_id}']).toHaveProperty('patch');
  });
});
