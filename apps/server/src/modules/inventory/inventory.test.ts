import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InventoryResponseSchema,
  ItemCatalogResponseSchema,
  ItemOpensSchema,
  UseItemResponseSchema,
  type CreateItemBody,
  type RewardBundle,
} from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import { DEMO_ITEMS, seedDemoItems } from '../../demo/items.ts';
import { seededRandom, type RandomSource } from '../../lib/random.ts';
import { getBalances } from '../wallet/ledger.ts';
import { pickWeighted } from './roll.ts';
import { useItem } from './service.ts';

// The app rolls from a seeded source that remembers what it handed out.
const seeded = seededRandom(20261128);
const draws: number[] = [];
const random: RandomSource = {
  next() {
    const value = seeded.next();
    draws.push(value);
    return value;
  },
};

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp({ random });
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

let counter = 0;
const itemId = (prefix: string) => `${prefix}_${++counter}_${randomBytes(3).toString('hex')}`;

async function define(item: CreateItemBody) {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/admin/items', headers: admin.headers, payload: item });
  expect(res.statusCode, res.body).toBe(201);
}

/** Gives a player items the way an operator would: a distribute with an idempotency key. */
async function give(player: TestPlayer, items: { item_id: string; quantity: number }[]) {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/rewards/distribute',
    headers: { ...admin.headers, 'x-idempotency-key': randomUUID() },
    payload: { user_id: player.user.id, bundle: { items }, reason: 'test' },
  });
  expect(res.statusCode, res.body).toBe(201);
}

const use = (player: TestPlayer, id: string, options: { headers?: Record<string, string>; payload?: unknown } = {}) =>
  ctx.app.inject({
    method: 'POST',
    url: `/api/inventory/${id}/use`,
    headers: { ...player.headers, ...options.headers },
    ...(options.payload === undefined ? {} : { payload: options.payload as object }),
  });

const inventoryOf = async (player: TestPlayer) => {
  const res = await ctx.app.inject({ method: 'GET', url: '/api/inventory', headers: player.headers });
  expect(res.statusCode).toBe(200);
  return InventoryResponseSchema.parse(res.json()).items;
};

/** Everything a use may change for one player. */
async function stateOf(player: TestPlayer) {
  const userId = player.user.id;
  const [inventory, opens, grants, user, balances] = await Promise.all([
    ctx.db.selectFrom('inventory').select(['item_id', 'quantity']).where('user_id', '=', userId).orderBy('item_id').execute(),
    ctx.db.selectFrom('item_opens').selectAll().where('user_id', '=', userId).execute(),
    ctx.db.selectFrom('reward_grants').select(['id', 'source']).where('user_id', '=', userId).execute(),
    ctx.db.selectFrom('users').select(['exp', 'level', 'state_version']).where('id', '=', userId).executeTakeFirstOrThrow(),
    getBalances(ctx.db, userId),
  ]);
  return { inventory, opens, grants, user, balances };
}

describe('GET /api/inventory', () => {
  it('lists what the player holds, defined or not, and nothing at zero or of other players', async () => {
    const potion = itemId('potion');
    const frame = itemId('frame');
    const unknown = itemId('mystery');
    const spent = itemId('spent');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { exp: 5 } } });
    await define({ item_id: frame, name: 'Frame', kind: 'cosmetic' });
    await define({ item_id: spent, name: 'Spent', kind: 'consumable', opens: { bundle: { exp: 5 } } });
    const player = await makePlayer(ctx.app);
    const other = await makePlayer(ctx.app);
    await give(player, [
      { item_id: potion, quantity: 2 },
      { item_id: frame, quantity: 1 },
      { item_id: unknown, quantity: 4 },
      { item_id: spent, quantity: 1 },
    ]);
    await give(other, [{ item_id: potion, quantity: 9 }]);
    expect((await use(player, spent)).statusCode).toBe(200);

    const expected = [
      { item_id: frame, name: 'Frame', kind: 'cosmetic', quantity: 1 },
      { item_id: unknown, name: unknown, kind: 'cosmetic', quantity: 4 },
      { item_id: potion, name: 'Potion', kind: 'consumable', quantity: 2 },
    ].sort((a, b) => a.item_id.localeCompare(b.item_id));
    expect(await inventoryOf(player)).toEqual(expected);
    expect(await inventoryOf(await makePlayer(ctx.app))).toEqual([]);
  });

  it('shows an item defined after it was granted with its definition', async () => {
    const late = itemId('late');
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: late, quantity: 1 }]);
    expect(await inventoryOf(player)).toEqual([{ item_id: late, name: late, kind: 'cosmetic', quantity: 1 }]);
    await define({ item_id: late, name: 'Late scroll', kind: 'consumable', opens: { bundle: { exp: 1 } } });
    expect(await inventoryOf(player)).toEqual([{ item_id: late, name: 'Late scroll', kind: 'consumable', quantity: 1 }]);
  });

  it('needs a token', async () => {
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/inventory' }), 401, 'UNAUTHENTICATED');
    const bad = await ctx.app.inject({ method: 'GET', url: '/api/inventory', headers: { authorization: 'Bearer nope' } });
    expectProblem(bad, 401, 'UNAUTHENTICATED');
  });
});

describe('GET /api/items', () => {
  const catalog = async (player: TestPlayer) => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/items', headers: player.headers });
    expect(res.statusCode).toBe(200);
    return ItemCatalogResponseSchema.parse(res.json()).items;
  };

  it('names every defined item with its kind, held or not, and says nothing of what it opens', async () => {
    const chest = itemId('chest');
    const frame = itemId('frame');
    await define({ item_id: chest, name: 'Iron chest', kind: 'consumable', opens: { table: [{ weight: 1, bundle: { exp: 5 } }] } });
    await define({ item_id: frame, name: 'Iron frame', kind: 'cosmetic' });
    const player = await makePlayer(ctx.app);
    const items = await catalog(player);
    expect(items).toContainEqual({ item_id: chest, name: 'Iron chest', kind: 'consumable' });
    expect(items).toContainEqual({ item_id: frame, name: 'Iron frame', kind: 'cosmetic' });
    expect(items.map((i) => i.item_id)).toEqual([...items.map((i) => i.item_id)].sort());
    const raw = (await ctx.app.inject({ method: 'GET', url: '/api/items', headers: player.headers })).json() as { items: object[] };
    for (const item of raw.items) expect(Object.keys(item).sort()).toEqual(['item_id', 'kind', 'name']);
  });

  it("shows an operator's rename at once", async () => {
    const potion = itemId('potion');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { exp: 1 } } });
    const renamed = await ctx.app.inject({ method: 'PATCH', url: `/api/admin/items/${potion}`, headers: admin.headers, payload: { name: 'Great potion' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(await catalog(await makePlayer(ctx.app))).toContainEqual({ item_id: potion, name: 'Great potion', kind: 'consumable' });
  });

  it('needs a token', async () => {
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/items' }), 401, 'UNAUTHENTICATED');
    const bad = await ctx.app.inject({ method: 'GET', url: '/api/items', headers: { authorization: 'Bearer nope' } });
    expectProblem(bad, 401, 'UNAUTHENTICATED');
  });
});

describe('POST /api/inventory/{item_id}/use', () => {
  it('opens a fixed bundle: exactly the bundle, through the reward service, recorded', async () => {
    const scroll = itemId('scroll');
    const badge = itemId('badge');
    const bundle: RewardBundle = { currencies: { soft: 50, premium: 2 }, exp: 100, items: [{ item_id: badge, quantity: 2 }] };
    await define({ item_id: scroll, name: 'Scroll', kind: 'consumable', opens: { bundle } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: scroll, quantity: 2 }]);
    const before = await stateOf(player);

    const res = await use(player, scroll);
    expect(res.statusCode, res.body).toBe(200);
    expect(UseItemResponseSchema.parse(res.json())).toEqual({
      item_id: scroll,
      quantity_left: 1,
      reward_items: [
        { type: 'currency', currency: 'soft', amount: 50 },
        { type: 'currency', currency: 'premium', amount: 2 },
        { type: 'exp', amount: 100 },
        { type: 'item', item_id: badge, quantity: 2 },
      ],
      balances: { soft: before.balances.soft + 50, premium: 2 },
    });

    const after = await stateOf(player);
    expect(after.inventory).toEqual(
      [
        { item_id: scroll, quantity: 1 },
        { item_id: badge, quantity: 2 },
      ].sort((a, b) => a.item_id.localeCompare(b.item_id)),
    );
    expect(after.user.exp).toBe(before.user.exp + 100);
    expect(after.user.state_version).toBeGreaterThan(before.user.state_version);
    expect(after.opens).toHaveLength(1);
    const open = after.opens[0]!;
    expect(open).toMatchObject({ item_id: scroll, roll: null, chosen_index: null, quantity_left: 1, idempotency_key: null });
    expect(open.opens).toEqual({ bundle });
    const grant = await ctx.db.selectFrom('reward_grants').selectAll().where('id', '=', open.grant_id!).executeTakeFirstOrThrow();
    expect(grant).toMatchObject({ grant_key: `item:open:${open.id}`, source: 'item', source_id: scroll, title: 'Scroll', user_id: player.user.id });
    expect(grant.bundle).toEqual(bundle);
    await expectLedgerClean(ctx.db);
  });

  it('counts an item a bundle gives back in quantity_left', async () => {
    const box = itemId('box');
    await define({ item_id: box, name: 'Box', kind: 'consumable', opens: { bundle: { items: [{ item_id: box, quantity: 2 }] } } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: box, quantity: 1 }]);
    const res = await use(player, box);
    expect(res.json().quantity_left).toBe(2);
    expect(await inventoryOf(player)).toEqual([{ item_id: box, name: 'Box', kind: 'consumable', quantity: 2 }]);
  });

  it('accepts an empty JSON object as the body', async () => {
    const potion = itemId('potion');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { exp: 1 } } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: potion, quantity: 1 }]);
    expect((await use(player, potion, { payload: {} })).statusCode).toBe(200);
  });

  it.each([
    ['a cosmetic', 'cosmetic'],
    ['an item granted but never defined', 'undefined'],
  ] as const)('refuses %s with 409 NOT_CONSUMABLE and changes nothing', async (_name, kind) => {
    const id = itemId('thing');
    if (kind === 'cosmetic') await define({ item_id: id, name: 'Thing', kind: 'cosmetic' });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: id, quantity: 1 }]);
    const before = await stateOf(player);
    expectProblem(await use(player, id), 409, 'NOT_CONSUMABLE');
    expect(await stateOf(player)).toEqual(before);
  });

  it('refuses with 409 NOT_ENOUGH_ITEMS when none are held or the last was used, changing nothing', async () => {
    const potion = itemId('potion');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { currencies: { soft: 7 } } } });
    const never = await makePlayer(ctx.app);
    const neverBefore = await stateOf(never);
    expectProblem(await use(never, potion), 409, 'NOT_ENOUGH_ITEMS');
    expect(await stateOf(never)).toEqual(neverBefore);

    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: potion, quantity: 1 }]);
    expect((await use(player, potion)).statusCode).toBe(200);
    const before = await stateOf(player);
    expect(before.inventory).toEqual([{ item_id: potion, quantity: 0 }]);
    const res = await use(player, potion, { headers: { 'x-idempotency-key': randomUUID() } });
    expectProblem(res, 409, 'NOT_ENOUGH_ITEMS');
    expect(await stateOf(player)).toEqual(before);
    await expectLedgerClean(ctx.db);
  });

  it('lets exactly as many of 20 concurrent uses succeed as the player holds', async () => {
    const crate = itemId('crate');
    const table = [
      { weight: 3, bundle: { currencies: { soft: 10 } } },
      { weight: 1, bundle: { currencies: { premium: 1 } } },
    ];
    await define({ item_id: crate, name: 'Crate', kind: 'consumable', opens: { table } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: crate, quantity: 3 }]);
    const before = await stateOf(player);

    const results = await Promise.all(Array.from({ length: 20 }, () => use(player, crate)));
    const ok = results.filter((r) => r.statusCode === 200);
    const refused = results.filter((r) => r.statusCode !== 200);
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const r of refused) expectProblem(r, 409, 'NOT_ENOUGH_ITEMS');
    expect(ok.map((r) => r.json().quantity_left).sort()).toEqual([0, 1, 2]);

    const after = await stateOf(player);
    expect(after.inventory).toEqual([{ item_id: crate, quantity: 0 }]);
    expect(after.opens).toHaveLength(3);
    expect(after.grants.filter((g) => g.source === 'item')).toHaveLength(3);
    expect(after.grants.length - before.grants.length).toBe(3);
    const gained = after.opens.reduce(
      (sum, o) => {
        const bundle = table[o.chosen_index!]!.bundle as RewardBundle;
        return { soft: sum.soft + (bundle.currencies?.soft ?? 0), premium: sum.premium + (bundle.currencies?.premium ?? 0) };
      },
      { soft: 0, premium: 0 },
    );
    expect(after.balances).toEqual({ soft: before.balances.soft + gained.soft, premium: before.balances.premium + gained.premium });
    await expectLedgerClean(ctx.db);
  });

  it('takes no body and {} under one key as one request: the retry replays, opening nothing more', async () => {
    const potion = itemId('potion');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { currencies: { soft: 5 } } } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: potion, quantity: 2 }]);
    const key = randomUUID();
    const first = await use(player, potion, { headers: { 'x-idempotency-key': key } });
    expect(first.statusCode, first.body).toBe(200);
    const retry = await use(player, potion, { headers: { 'x-idempotency-key': key }, payload: {} });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await stateOf(player)).inventory).toEqual([{ item_id: potion, quantity: 1 }]);
  });

  it('opens once per idempotency key, even when the requests race, and replays the outcome', async () => {
    const potion = itemId('potion');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { currencies: { soft: 25 } } } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: potion, quantity: 5 }]);
    const before = await stateOf(player);
    const key = randomUUID();

    const results = await Promise.all(Array.from({ length: 8 }, () => use(player, potion, { headers: { 'x-idempotency-key': key } })));
    // One request does the work; the rest replay it (or, with an idempotency layer in front, are told to wait).
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((r) => r.statusCode !== 200)) expectProblem(r, 409, 'IDEMPOTENCY_IN_PROGRESS');
    for (const r of ok) expect(r.json()).toMatchObject({ item_id: potion, quantity_left: 4, reward_items: [{ type: 'currency', currency: 'soft', amount: 25 }] });

    const replay = await use(player, potion, { headers: { 'x-idempotency-key': key } });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual({ ...ok[0]!.json(), balances: { soft: before.balances.soft + 25, premium: 0 } });

    const after = await stateOf(player);
    expect(after.inventory).toEqual([{ item_id: potion, quantity: 4 }]);
    expect(after.opens).toHaveLength(1);
    expect(after.opens[0]!.idempotency_key).toBe(key);
    expect(after.balances.soft).toBe(before.balances.soft + 25);

    // The same key for another item is a different request.
    const other = itemId('other');
    await define({ item_id: other, name: 'Other', kind: 'consumable', opens: { bundle: { exp: 1 } } });
    await give(player, [{ item_id: other, quantity: 1 }]);
    const reused = await use(player, other, { headers: { 'x-idempotency-key': key } });
    expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    // A key is the player's own: another player's identical key opens their own item.
    const second = await makePlayer(ctx.app);
    await give(second, [{ item_id: potion, quantity: 1 }]);
    expect((await use(second, potion, { headers: { 'x-idempotency-key': key } })).json().quantity_left).toBe(0);
    await expectLedgerClean(ctx.db);
  });

  it('spends once per key in the database itself, without the HTTP idempotency layer', async () => {
    const crate = itemId('crate');
    await define({ item_id: crate, name: 'Crate', kind: 'consumable', opens: { table: [{ weight: 1, bundle: { currencies: { soft: 3 } } }] } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: crate, quantity: 2 }]);
    const before = await stateOf(player);
    const deps = { db: ctx.db, clock: ctx.clock, random };
    const input = { userId: player.user.id, itemId: crate, idempotencyKey: randomUUID() };

    const outcomes = await Promise.all(Array.from({ length: 6 }, () => useItem(deps, input)));
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    for (const o of outcomes) expect(o.response).toMatchObject({ item_id: crate, quantity_left: 1, reward_items: [{ type: 'currency', currency: 'soft', amount: 3 }] });
    const after = await stateOf(player);
    expect(after.inventory).toEqual([{ item_id: crate, quantity: 1 }]);
    expect(after.opens).toHaveLength(1);
    expect(after.balances.soft).toBe(before.balances.soft + 3);
    await expect(useItem(deps, { ...input, itemId: 'some_other_item' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    await expectLedgerClean(ctx.db);
  });

  it('rolls tables on the server from the injected source and records rolls that re-derive each outcome', async () => {
    const chest = itemId('chest');
    const table = [
      { weight: 50, bundle: { currencies: { soft: 1 } } },
      { weight: 30, bundle: { currencies: { soft: 2 } } },
      { weight: 15, bundle: { exp: 3 } },
      { weight: 5, bundle: { currencies: { premium: 4 } } },
    ];
    await define({ item_id: chest, name: 'Chest', kind: 'consumable', opens: { table } });
    const player = await makePlayer(ctx.app);
    const n = 60;
    await give(player, [{ item_id: chest, quantity: n }]);
    const before = await stateOf(player);

    const firstDraw = draws.length;
    const responses = [];
    for (let i = 0; i < n; i++) {
      const res = await use(player, chest);
      expect(res.statusCode).toBe(200);
      responses.push(res.json());
      ctx.clock.advance(1000);
    }

    const opens = await ctx.db.selectFrom('item_opens').selectAll().where('user_id', '=', player.user.id).orderBy('opened_at').execute();
    expect(opens).toHaveLength(n);
    // The server drew from the injected source, once per open, in order.
    expect(opens.map((o) => o.roll)).toEqual(draws.slice(firstDraw));
    const counts = [0, 0, 0, 0];
    for (const [i, open] of opens.entries()) {
      const snapshot = ItemOpensSchema.parse(open.opens);
      expect(snapshot).toEqual({ table });
      const derived = pickWeighted(table.map((e) => e.weight), open.roll!).index;
      expect(open.chosen_index).toBe(derived);
      counts[derived]! += 1;
      const grant = await ctx.db.selectFrom('reward_grants').select(['bundle', 'grant_key']).where('id', '=', open.grant_id!).executeTakeFirstOrThrow();
      expect(grant).toEqual({ bundle: table[derived]!.bundle, grant_key: `item:open:${open.id}` });
      expect(responses[i].quantity_left).toBe(n - 1 - i);
    }
    // Sixty opens of a 50/30/15/5 table land on more than one entry.
    expect(counts.filter((c) => c > 0).length).toBeGreaterThan(1);

    const after = await stateOf(player);
    expect(after.balances).toEqual({ soft: before.balances.soft + counts[0]! + 2 * counts[1]!, premium: 4 * counts[3]! });
    expect(after.user.exp).toBe(before.user.exp + 3 * counts[2]!);
    expect(after.inventory).toEqual([{ item_id: chest, quantity: 0 }]);
    await expectLedgerClean(ctx.db);
  });

  it('keeps the snapshot of the definition an open rolled against', async () => {
    const chest = itemId('chest');
    const table = [{ weight: 1, bundle: { exp: 9 } }];
    await define({ item_id: chest, name: 'Chest', kind: 'consumable', opens: { table } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: chest, quantity: 1 }]);
    await use(player, chest);
    // An operator edits the table in the database afterwards; the audit still has what was rolled.
    await ctx.db.updateTable('items').set({ opens: JSON.stringify({ table: [{ weight: 1, bundle: { exp: 1 } }] }) }).where('item_id', '=', chest).execute();
    const open = await ctx.db.selectFrom('item_opens').select(['opens', 'roll', 'chosen_index']).where('user_id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(open.opens).toEqual({ table });
    expect(open.chosen_index).toBe(0);
  });

  it.each([
    ['capitals', 'Chest'],
    ['a dash', 'chest-bronze'],
    ['a dot', 'chest.bronze'],
    ['too long', 'a'.repeat(65)],
    ['a space', 'chest%20bronze'],
    ['unicode', '%C3%A9clair'],
    ['sql', "x'%3B%20DROP%20TABLE%20items%3B--"],
  ])('refuses an item id with %s with 400 VALIDATION_FAILED', async (_name, id) => {
    const player = await makePlayer(ctx.app);
    const before = await stateOf(player);
    const problem = expectProblem(await use(player, id), 400, 'VALIDATION_FAILED');
    expect(problem.errors?.[0]?.field).toBe('params.item_id');
    expect(await stateOf(player)).toEqual(before);
  });

  it.each([
    ['an extra field', { quantity: 2 }],
    ['an array', []],
    ['a string', 'use'],
  ])('refuses a body with %s with 400 VALIDATION_FAILED and spends nothing', async (_name, payload) => {
    const potion = itemId('potion');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { exp: 1 } } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: potion, quantity: 1 }]);
    const before = await stateOf(player);
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/api/inventory/${potion}/use`,
      headers: { ...player.headers, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(await stateOf(player)).toEqual(before);
  });

  it('refuses a malformed idempotency key with 400', async () => {
    const player = await makePlayer(ctx.app);
    const problem = expectProblem(await use(player, 'anything', { headers: { 'x-idempotency-key': 'has space' } }), 400, 'VALIDATION_FAILED');
    expect(problem.errors?.[0]?.field).toMatch(/x-idempotency-key/);
  });

  it('needs a token, and spends nothing without one', async () => {
    const potion = itemId('potion');
    await define({ item_id: potion, name: 'Potion', kind: 'consumable', opens: { bundle: { exp: 1 } } });
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: potion, quantity: 1 }]);
    const res = await ctx.app.inject({ method: 'POST', url: `/api/inventory/${potion}/use` });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect((await stateOf(player)).inventory).toEqual([{ item_id: potion, quantity: 1 }]);
  });
});

describe.runIf(process.env.DATABASE_URL)('opening a chest while buying another', () => {
  it('both succeed: the open takes the account locks before the inventory, as a purchase does', async () => {
    const chest = itemId('chest');
    await define({ item_id: chest, name: 'Chest', kind: 'consumable', opens: { bundle: { currencies: { soft: 100 } } } });
    const sku = await ctx.app.inject({
      method: 'POST',
      url: '/api/admin/shop/skus',
      headers: { ...admin.headers, 'x-idempotency-key': randomUUID() },
      payload: { sku_id: chest, name: 'Chest', price: 100, currency_type: 'soft', segment: 'regular', bundle: { items: [{ item_id: chest, quantity: 1 }] } },
    });
    expect(sku.statusCode, sku.body).toBe(201);
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: chest, quantity: 1 }]);
    // Both requests queue behind a row lock the test holds on the chest, then run at once: the
    // open holding the inventory row and waiting for the accounts, the purchase the other way
    // round, would deadlock, and one of them would answer 409.
    const release = await holdLock(ctx.db, (trx) =>
      trx.selectFrom('inventory').select('quantity').where('user_id', '=', player.user.id).where('item_id', '=', chest).forUpdate().execute(),
    );
    const opening = use(player, chest);
    await untilLockWaiters(ctx.db, 1);
    const buying = ctx.app.inject({ method: 'POST', url: '/api/shop/purchase', headers: player.headers, payload: { sku_id: chest } });
    await untilLockWaiters(ctx.db, 2);
    await release();
    const [open, buy] = await Promise.all([opening, buying]);
    expect([open.statusCode, buy.statusCode], `${open.body}\n${buy.body}`).toEqual([200, 201]);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
    expect((await stateOf(player)).inventory).toEqual([{ item_id: chest, quantity: 1 }]);
    await expectLedgerClean(ctx.db);
  });
});

describe.runIf(process.env.DATABASE_URL)('opening a chest whose content sorts before it', () => {
  // Grants lock inventory rows in item order; an open must too, chest and contents together.
  async function chestAndGem() {
    const suffix = randomBytes(3).toString('hex');
    const gem = `aa_gem_${suffix}`;
    const chest = `zz_chest_${suffix}`;
    await define({ item_id: chest, name: 'Chest', kind: 'consumable', opens: { bundle: { items: [{ item_id: gem, quantity: 1 }] } } });
    return { gem, chest };
  }

  it('and a purchase of a bundle of both, at once, both succeed (no deadlock)', async () => {
    const { gem, chest } = await chestAndGem();
    const player = await makePlayer(ctx.app);
    await give(player, [
      { item_id: gem, quantity: 1 },
      { item_id: chest, quantity: 1 },
    ]);
    const sku = await ctx.app.inject({
      method: 'POST',
      url: '/api/admin/shop/skus',
      headers: admin.headers,
      payload: { sku_id: `pack_${chest}`, name: 'Pack', price: 10, currency_type: 'soft', bundle: { items: [{ item_id: gem, quantity: 1 }, { item_id: chest, quantity: 1 }] } },
    });
    expect(sku.statusCode, sku.body).toBe(201);
    // A test session holds the gem's row: the purchase queues on it first (its grant locks gem,
    // then chest); the open then queues behind it. Had the open taken its chest first, each would
    // wait for the other once the gem is free, and one would answer 409.
    const release = await holdLock(ctx.db, (trx) =>
      trx.selectFrom('inventory').select('quantity').where('user_id', '=', player.user.id).where('item_id', '=', gem).forUpdate().execute(),
    );
    const buying = ctx.app.inject({ method: 'POST', url: '/api/shop/purchase', headers: player.headers, payload: { sku_id: `pack_${chest}` } });
    await untilLockWaiters(ctx.db, 1);
    const opening = use(player, chest);
    await untilLockWaiters(ctx.db, 2);
    await release();
    const [buy, open] = await Promise.all([buying, opening]);
    expect([buy.statusCode, open.statusCode], `${buy.body}\n${open.body}`).toEqual([201, 200]);
    expect((await stateOf(player)).inventory).toEqual([
      { item_id: gem, quantity: 3 },
      { item_id: chest, quantity: 1 },
    ]);
    await expectLedgerClean(ctx.db);
  });

  it('the player has none of yet waits for a first grant of it before it takes the chest', async () => {
    const { gem, chest } = await chestAndGem();
    const player = await makePlayer(ctx.app);
    await give(player, [{ item_id: chest, quantity: 1 }]);
    // A test session inserts the player's first gem and holds it uncommitted, as a purchase
    // granting gem and chest would before it locks the chest.
    const release = await holdLock(ctx.db, (trx) =>
      trx.insertInto('inventory').values({ user_id: player.user.id, item_id: gem, quantity: 1, updated_at: ctx.clock.now() }).execute(),
    );
    const opening = use(player, chest);
    await untilLockWaiters(ctx.db, 1);
    // The open waits on the gem; the chest is free for the purchase that would come for it next.
    const chestFree = await sql`SELECT quantity FROM inventory WHERE user_id = ${player.user.id} AND item_id = ${chest} FOR UPDATE NOWAIT`
      .execute(ctx.db)
      .then(
        () => true,
        () => false,
      );
    await release();
    const open = await opening;
    expect({ chestFree, open: open.statusCode }, open.body).toEqual({ chestFree: true, open: 200 });
    expect((await stateOf(player)).inventory).toEqual([
      { item_id: gem, quantity: 2 },
      { item_id: chest, quantity: 0 },
    ]);
    await expectLedgerClean(ctx.db);
  });
});

describe('demo items', () => {
  it('are valid definitions, seed idempotently and open as designed', async () => {
    await ctx.db.transaction().execute((trx) => seedDemoItems(trx, ctx.clock.now()));
    await ctx.db.transaction().execute((trx) => seedDemoItems(trx, ctx.clock.now()));
    const res = await ctx.app.inject({ method: 'GET', url: '/api/admin/items', headers: admin.headers });
    const seededItems = res.json().items.filter((i: { item_id: string }) => DEMO_ITEMS.some((d) => d.item_id === i.item_id));
    expect(seededItems.map((i: { item_id: string; kind: string }) => [i.item_id, i.kind])).toEqual([
      ['avatar_neon', 'cosmetic'],
      ['chest_bronze', 'consumable'],
      ['frame_gold', 'cosmetic'],
      ['xp_potion', 'consumable'],
    ]);
    const chest = DEMO_ITEMS.find((i) => i.item_id === 'chest_bronze')!;
    expect(chest.opens && 'table' in chest.opens ? chest.opens.table.map((e) => e.weight) : []).toEqual([60, 25, 10, 5]);

    const player = await makePlayer(ctx.app);
    await give(player, [
      { item_id: 'xp_potion', quantity: 1 },
      { item_id: 'chest_bronze', quantity: 1 },
    ]);
    expect((await use(player, 'xp_potion')).json().reward_items).toEqual([{ type: 'exp', amount: 100 }]);
    expect((await use(player, 'chest_bronze')).statusCode).toBe(200);
    expectProblem(await use(player, 'frame_gold'), 409, 'NOT_CONSUMABLE');
    await expectLedgerClean(ctx.db);
  });
});
