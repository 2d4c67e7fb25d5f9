import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ItemListResponseSchema, ItemSchema } from '@playloop/contracts';
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

let counter = 0;
const itemId = (prefix = 'item') => `${prefix}_${++counter}_${randomBytes(3).toString('hex')}`;

const create = (payload: unknown, headers: Record<string, string> = admin.headers) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/admin/items',
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
const list = (headers: Record<string, string> = admin.headers) => ctx.app.inject({ method: 'GET', url: '/api/admin/items', headers });
const countItems = async () =>
  Number((await ctx.db.selectFrom('items').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('POST /api/admin/items', () => {
  it('defines a cosmetic and answers 201 with the item', async () => {
    const item_id = itemId('frame');
    const res = await create({ item_id, name: '  Gold frame ', kind: 'cosmetic' });
    expect(res.statusCode, res.body).toBe(201);
    expect(ItemSchema.parse(res.json())).toEqual({
      item_id,
      name: 'Gold frame',
      kind: 'cosmetic',
      opens: null,
      created_at: ctx.clock.now().toISOString(),
    });
  });

  it.each([
    ['a fixed bundle', { bundle: { currencies: { soft: 10 }, exp: 5, items: [{ item_id: 'frame_gold', quantity: 1 }] } }],
    ['a weighted table', { table: [{ weight: 60, bundle: { currencies: { soft: 100 } } }, { weight: 40, bundle: { exp: 50 } }] }],
    ['a table of one entry at the largest weight', { table: [{ weight: 1_000_000, bundle: { exp: 1 } }] }],
    ['a table of 50 entries', { table: Array.from({ length: 50 }, (_, i) => ({ weight: i + 1, bundle: { exp: i + 1 } })) }],
  ])('defines a consumable that opens %s', async (_name, opens) => {
    const item_id = itemId('box');
    const res = await create({ item_id, name: 'Box', kind: 'consumable', opens });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ item_id, kind: 'consumable', opens });
    const row = await ctx.db.selectFrom('items').select('opens').where('item_id', '=', item_id).executeTakeFirstOrThrow();
    expect(row.opens).toEqual(opens);
  });

  const bundle = { currencies: { soft: 1 } };
  it.each([
    ['a consumable without opens', { kind: 'consumable' }, 'body.opens'],
    ['a cosmetic with opens', { kind: 'cosmetic', opens: { bundle } }, 'body.opens'],
    ['an unknown kind', { kind: 'weapon' }, 'body.kind'],
    ['a bad item id', { item_id: 'Bad-Id', kind: 'cosmetic' }, 'body.item_id'],
    ['an item id too long', { item_id: 'a'.repeat(65), kind: 'cosmetic' }, 'body.item_id'],
    ['an empty name', { name: '   ', kind: 'cosmetic' }, 'body.name'],
    ['a name with control characters', { name: 'a\u0007b', kind: 'cosmetic' }, 'body.name'],
    ['an extra field', { kind: 'cosmetic', price: 5 }, 'body'],
    ['opens with both bundle and table', { kind: 'consumable', opens: { bundle, table: [{ weight: 1, bundle }] } }, 'body.opens'],
    ['opens with neither', { kind: 'consumable', opens: {} }, 'body.opens'],
    ['an empty table', { kind: 'consumable', opens: { table: [] } }, 'body.opens.table'],
    ['a table of 51 entries', { kind: 'consumable', opens: { table: Array.from({ length: 51 }, () => ({ weight: 1, bundle })) } }, 'body.opens'],
    ['a zero weight', { kind: 'consumable', opens: { table: [{ weight: 0, bundle }] } }, 'body.opens.table.0.weight'],
    ['a weight over 1e6', { kind: 'consumable', opens: { table: [{ weight: 1_000_001, bundle }] } }, 'body.opens.table.0.weight'],
    ['a fractional weight', { kind: 'consumable', opens: { table: [{ weight: 1.5, bundle }] } }, 'body.opens'],
    ['a string weight', { kind: 'consumable', opens: { table: [{ weight: '1', bundle }] } }, 'body.opens'],
    ['a table entry with an extra field', { kind: 'consumable', opens: { table: [{ weight: 1, bundle, note: 'x' }] } }, 'body.opens.table.0'],
    ['a bundle that gives nothing', { kind: 'consumable', opens: { bundle: {} } }, 'body.opens.bundle'],
    ['a bundle with a negative amount', { kind: 'consumable', opens: { bundle: { currencies: { soft: -5 } } } }, 'body.opens.bundle.currencies.soft'],
    ['a bundle with an unknown currency', { kind: 'consumable', opens: { bundle: { currencies: { gold: 5 } } } }, 'body.opens.bundle'],
  ])('refuses %s with 400 VALIDATION_FAILED on its field and writes nothing', async (_name, fields, field) => {
    const before = await countItems();
    const res = await create({ item_id: itemId(), name: 'Thing', ...fields });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors?.length).toBeGreaterThan(0);
    for (const error of problem.errors ?? []) expect(error.field.startsWith(field), error.field).toBe(true);
    expect(await countItems()).toBe(before);
  });

  it.each([
    ['an array', [{ item_id: 'x', name: 'x', kind: 'cosmetic' }]],
    ['a string', 'item'],
    ['null', null],
  ])('refuses %s as the body', async (_name, payload) => {
    expectProblem(await create(payload), 400, 'VALIDATION_FAILED');
  });

  it('refuses a taken item id as a field error and keeps the first definition', async () => {
    const item_id = itemId('dup');
    expect((await create({ item_id, name: 'First', kind: 'cosmetic' })).statusCode).toBe(201);
    const res = await create({ item_id, name: 'Second', kind: 'consumable', opens: { bundle } });
    const problem = expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual([{ field: 'body.item_id', message: 'already exists' }]);
    const row = await ctx.db.selectFrom('items').select(['name', 'kind']).where('item_id', '=', item_id).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'First', kind: 'cosmetic' });
  });

  it('lets exactly one of concurrent definitions of one id win', async () => {
    const item_id = itemId('race');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => create({ item_id, name: `Try ${i}`, kind: 'cosmetic' })));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.statusCode !== 201)) expectProblem(r, 422, 'VALIDATION_FAILED');
  });

  it('is for operators only: 403 for a player, 401 without a token, nothing written', async () => {
    const player = await makePlayer(ctx.app);
    const before = await countItems();
    expectProblem(await create({ item_id: itemId(), name: 'x', kind: 'cosmetic' }, player.headers), 403, 'FORBIDDEN');
    expectProblem(await create({ item_id: itemId(), name: 'x', kind: 'cosmetic' }, {}), 401, 'UNAUTHENTICATED');
    expect(await countItems()).toBe(before);
  });
});

describe('GET /api/admin/items', () => {
  it('lists every definition by id', async () => {
    const a = itemId('list_a');
    const b = itemId('list_b');
    await create({ item_id: b, name: 'B', kind: 'consumable', opens: { table: [{ weight: 1, bundle: { exp: 1 } }] } });
    await create({ item_id: a, name: 'A', kind: 'cosmetic' });
    const res = await list();
    expect(res.statusCode).toBe(200);
    const items = ItemListResponseSchema.parse(res.json()).items;
    const ids = items.map((i) => i.item_id);
    expect(ids).toEqual([...ids].sort());
    expect(items.find((i) => i.item_id === a)).toMatchObject({ name: 'A', kind: 'cosmetic', opens: null });
    expect(items.find((i) => i.item_id === b)).toMatchObject({ name: 'B', opens: { table: [{ weight: 1, bundle: { exp: 1 } }] } });
  });

  it('is for operators only', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await list(player.headers), 403, 'FORBIDDEN');
    expectProblem(await list({}), 401, 'UNAUTHENTICATED');
  });
});

describe('PATCH /api/admin/items/{item_id}', () => {
  const bundle = { currencies: { soft: 1 } };
  /** PATCH as the operator, or with these headers ({} sends no token). */
  const patch = (id: string, change: unknown, headers: Record<string, string> = admin.headers) =>
    ctx.app.inject({
      method: 'PATCH',
      url: `/api/admin/items/${id}`,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify(change),
    });
  const itemRow = (id: string) => ctx.db.selectFrom('items').selectAll().where('item_id', '=', id).executeTakeFirstOrThrow();
  const contentVersion = async () => Number((await ctx.db.selectFrom('content_version').select('version').executeTakeFirstOrThrow()).version);
  const defineChest = async (opens: unknown = { bundle: { currencies: { soft: 10 } } }) => {
    const item_id = itemId('chest');
    expect((await create({ item_id, name: 'Chest', kind: 'consumable', opens })).statusCode).toBe(201);
    return item_id;
  };
  const defineFrame = async () => {
    const item_id = itemId('frame');
    expect((await create({ item_id, name: 'Frame', kind: 'cosmetic' })).statusCode).toBe(201);
    return item_id;
  };

  it('renames an item and answers the whole definition', async () => {
    const id = await defineFrame();
    const res = await patch(id, { name: '  Silver frame ' });
    expect(res.statusCode, res.body).toBe(200);
    expect(ItemSchema.parse(res.json())).toEqual({ item_id: id, name: 'Silver frame', kind: 'cosmetic', opens: null, created_at: expect.any(String) });
    const listed = ItemListResponseSchema.parse((await list()).json()).items.find((i) => i.item_id === id);
    expect(listed?.name).toBe('Silver frame');
  });

  it('changes what a consumable opens; the next open gives the new contents', async () => {
    const id = await defineChest();
    const table = { table: [{ weight: 1, bundle: { exp: 7 } }] };
    const res = await patch(id, { opens: table });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ item_id: id, kind: 'consumable', opens: table });
    expect((await itemRow(id)).opens).toEqual(table);

    const player = await makePlayer(ctx.app);
    const give = await ctx.app.inject({
      method: 'POST',
      url: '/api/rewards/distribute',
      headers: { ...admin.headers, 'x-idempotency-key': randomUUID() },
      payload: { user_id: player.user.id, bundle: { items: [{ item_id: id, quantity: 1 }] }, reason: 'test' },
    });
    expect(give.statusCode, give.body).toBe(201);
    const used = await ctx.app.inject({ method: 'POST', url: `/api/inventory/${id}/use`, headers: player.headers });
    expect(used.statusCode, used.body).toBe(200);
    expect(used.json()).toMatchObject({ quantity_left: 0, reward_items: [{ type: 'exp', amount: 7 }] });
  });

  it('bumps the content version, so dashboards revalidate with a new ETag', async () => {
    const id = await defineFrame();
    const player = await makePlayer(ctx.app);
    const etag = String((await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers })).headers.etag);
    const version = await contentVersion();
    expect((await patch(id, { name: 'Bronze frame' })).statusCode).toBe(200);
    expect(await contentVersion()).toBeGreaterThan(version);
    const res = await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: { ...player.headers, 'if-none-match': etag } });
    expect(res.statusCode).toBe(200);
  });

  it('refuses contents for a cosmetic with 422 on body.opens, changing nothing', async () => {
    const id = await defineFrame();
    const before = await itemRow(id);
    const version = await contentVersion();
    const problem = expectProblem(await patch(id, { name: 'Chest now', opens: { bundle } }), 422, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual([{ field: 'body.opens', message: 'a cosmetic opens nothing' }]);
    expect(await itemRow(id)).toEqual(before);
    expect(await contentVersion()).toBe(version);
  });

  it.each([
    ['an empty change', {}],
    ['a new kind (kinds stay as defined)', { kind: 'cosmetic' }],
    ['a new item id', { item_id: 'other_item' }],
    ['an extra field beside a valid one', { name: 'ok', price: 5 }],
    ['an empty name', { name: '   ' }],
    ['a name too long', { name: 'x'.repeat(65) }],
    ['a name with control characters', { name: 'a\u0007b' }],
    ['a numeric name', { name: 5 }],
    ['null opens (a consumable must open something)', { opens: null }],
    ['opens with neither bundle nor table', { opens: {} }],
    ['opens with both', { opens: { bundle, table: [{ weight: 1, bundle }] } }],
    ['an empty table', { opens: { table: [] } }],
    ['a zero weight', { opens: { table: [{ weight: 0, bundle }] } }],
    ['a huge weight', { opens: { table: [{ weight: 1e12, bundle }] } }],
    ['a string weight', { opens: { table: [{ weight: '1', bundle }] } }],
    ['a table of 51 entries', { opens: { table: Array.from({ length: 51 }, () => ({ weight: 1, bundle })) } }],
    ['a bundle that gives nothing', { opens: { bundle: {} } }],
    ['a bundle with a huge amount', { opens: { bundle: { exp: 1e308 } } }],
    ['an array', [{ name: 'x' }]],
    ['a string', 'name'],
    ['null', null],
  ])('refuses %s with 400 VALIDATION_FAILED and changes nothing', async (_name, change) => {
    const id = await defineChest();
    const before = await itemRow(id);
    const version = await contentVersion();
    expectProblem(await patch(id, change), 400, 'VALIDATION_FAILED');
    expect(await itemRow(id)).toEqual(before);
    expect(await contentVersion()).toBe(version);
  });

  it('malformed JSON, no body and a text body → 400/415, nothing changed', async () => {
    const id = await defineChest();
    const before = await itemRow(id);
    const raw = (payload: string, type = 'application/json') =>
      ctx.app.inject({ method: 'PATCH', url: `/api/admin/items/${id}`, headers: { ...admin.headers, 'content-type': type }, payload });
    expectProblem(await raw('{"name": '), 400, 'VALIDATION_FAILED');
    expectProblem(await raw(''), 400, 'VALIDATION_FAILED');
    expectProblem(await raw('name=x', 'text/plain'), 415, 'VALIDATION_FAILED');
    // A body past the 64 KiB limit is refused before it is parsed.
    expect((await raw(JSON.stringify({ name: 'x'.repeat(100_000) }))).statusCode).toBe(413);
    expect(await itemRow(id)).toEqual(before);
  });

  it('answers 404 for an item never defined (even one players hold) and 400 for a bad id', async () => {
    expectProblem(await patch(itemId('nowhere'), { name: 'x' }), 404, 'NOT_FOUND');
    expectProblem(await patch('Bad-Id', { name: 'x' }), 400, 'VALIDATION_FAILED');
    expectProblem(await patch('a'.repeat(65), { name: 'x' }), 400, 'VALIDATION_FAILED');
  });

  it('is for operators only: 403 for a player, 401 without a token, nothing changed', async () => {
    const id = await defineChest();
    const before = await itemRow(id);
    const player = await makePlayer(ctx.app);
    expectProblem(await patch(id, { name: 'Hijacked' }, player.headers), 403, 'FORBIDDEN');
    expectProblem(await patch(id, { name: 'Hijacked' }, {}), 401, 'UNAUTHENTICATED');
    expect(await itemRow(id)).toEqual(before);
  });
});

describe('OpenAPI', () => {
  it('documents the inventory and item routes', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/inventory', '/api/inventory/{item_id}/use', '/api/admin/items', '/api/admin/items/{item_id}']),
    );
    expect(Object.keys(doc.paths)).not.toContain('/api/admin/items/');
  });
});
