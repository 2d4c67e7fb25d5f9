import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributeResponseSchema, RewardHistoryResponseSchema } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeEvent } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import { listOutboxRows } from '../outbox/repo.ts';
import { getBalances, playerAccount } from '../wallet/ledger.ts';
import { grantReward } from './service.ts';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

const distribute = (body: unknown, key: string | undefined, as: TestPlayer = admin) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/rewards/distribute',
    headers: { ...as.headers, 'content-type': 'application/json', ...(key ? { 'x-idempotency-key': key } : {}) },
    payload: JSON.stringify(body),
  });
const countGrants = async (userId: string) =>
  Number(
    (await ctx.db.selectFrom('reward_grants').select((eb) => eb.fn.countAll().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n,
  );

describe('reward service', () => {
  it('grants a key once: a second grant returns the first and changes nothing', async () => {
    const player = await makePlayer(ctx.app);
    const grant = (soft: number) =>
      ctx.db.transaction().execute((trx) =>
        grantReward(trx, { userId: player.user.id, grantKey: `test:once:${player.user.id}`, source: 'event', bundle: { currencies: { soft }, exp: 150, items: [{ item_id: 'frame_gold', quantity: 1 }] }, now: ctx.clock.now() }),
      );
    const first = await grant(50);
    const second = await grant(9999);
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, grantId: first.grantId, rewardItems: first.rewardItems });
    expect(first.rewardItems).toEqual([
      { type: 'currency', currency: 'soft', amount: 50 },
      { type: 'exp', amount: 150 },
      { type: 'item', item_id: 'frame_gold', quantity: 1 },
    ]);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1050, premium: 0 });
    const user = await ctx.db.selectFrom('users').select(['exp', 'level', 'tier']).where('id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(user).toEqual({ exp: 150, level: 2, tier: 'bronze' });
    expect(first.levelUp).toBe(true);
    const inv = await ctx.db.selectFrom('inventory').select('quantity').where('user_id', '=', player.user.id).where('item_id', '=', 'frame_gold').executeTakeFirstOrThrow();
    expect(inv.quantity).toBe(1);
    await expectLedgerClean(ctx.db);
  });

  it('moves the tier with the level', async () => {
    const player = await makePlayer(ctx.app);
    await ctx.db.transaction().execute((trx) =>
      grantReward(trx, { userId: player.user.id, grantKey: `test:tier:${player.user.id}`, source: 'operator', bundle: { exp: 1000 }, now: ctx.clock.now() }),
    );
    const user = await ctx.db.selectFrom('users').select(['level', 'tier']).where('id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(user).toEqual({ level: 5, tier: 'silver' });
  });
});

describe('POST /api/rewards/distribute', () => {
  it('grants a bundle to a player and answers 201 with balances', async () => {
    const player = await makePlayer(ctx.app);
    const res = await distribute({ user_id: player.user.id, bundle: { currencies: { soft: 10, premium: 5 } }, reason: 'apology' }, 'd-1');
    expect(res.statusCode).toBe(201);
    const body = DistributeResponseSchema.parse(res.json());
    expect(body.balances).toEqual({ soft: 1010, premium: 5 });
    await expectLedgerClean(ctx.db);
  });

  it('makes exactly one grant of 20 concurrent distributions under one key', async () => {
    const player = await makePlayer(ctx.app);
    const body = { user_id: player.user.id, bundle: { currencies: { premium: 7 } }, reason: 'event compensation' };
    const results = await Promise.all(Array.from({ length: 20 }, () => distribute(body, 'same-key')));
    for (const r of results) expect([200, 201, 409]).toContain(r.statusCode);
    expect(await countGrants(player.user.id)).toBe(2); // the signup bonus and this one
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 7 });
    await expectLedgerClean(ctx.db);
  });

  it('refuses players (403), anonymous callers (401) and a missing key (400)', async () => {
    const player = await makePlayer(ctx.app);
    const body = { user_id: player.user.id, bundle: { currencies: { soft: 1 } }, reason: 'x' };
    expectProblem(await distribute(body, 'k', player), 403, 'FORBIDDEN');
    const anon = await ctx.app.inject({ method: 'POST', url: '/api/rewards/distribute', payload: body, headers: { 'x-idempotency-key': 'k' } });
    expectProblem(anon, 401, 'UNAUTHENTICATED');
    expectProblem(await distribute(body, undefined), 400, 'VALIDATION_FAILED');
    expect(await countGrants(player.user.id)).toBe(1);
  });

  it('answers 404 for an unknown player', async () => {
    const res = await distribute({ user_id: '00000000-0000-4000-8000-000000000000', bundle: { exp: 1 }, reason: 'x' }, 'ghost');
    expectProblem(res, 404, 'NOT_FOUND');
  });

  it.each([
    ['negative amount', { currencies: { soft: -5 } }],
    ['zero amount', { currencies: { soft: 0 } }],
    ['fractional amount', { currencies: { soft: 1.5 } }],
    ['string amount', { currencies: { soft: '10' } }],
    ['huge amount', { currencies: { soft: 1e12 } }],
    ['unknown currency', { currencies: { gold: 5 } }],
    ['empty bundle', {}],
    ['bad item id', { items: [{ item_id: 'Bad Item', quantity: 1 }] }],
    ['zero item quantity', { items: [{ item_id: 'ok', quantity: 0 }] }],
    ['extra field', { exp: 5, cash: 5 }],
  ])('rejects a bundle with %s and changes nothing', async (_name, bundle) => {
    const player = await makePlayer(ctx.app);
    const res = await distribute({ user_id: player.user.id, bundle, reason: 'x' }, `bad-${Math.random()}`);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(await countGrants(player.user.id)).toBe(1);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
  });

  it('rejects a bad user id, a missing reason and unknown fields', async () => {
    for (const body of [
      { user_id: 'not-a-uuid', bundle: { exp: 1 }, reason: 'x' },
      { user_id: admin.user.id, bundle: { exp: 1 } },
      { user_id: admin.user.id, bundle: { exp: 1 }, reason: 'x', extra: true },
      { user_id: admin.user.id, bundle: { exp: 1 }, reason: 'x'.repeat(500) },
    ]) {
      expectProblem(await distribute(body, `v-${Math.random()}`), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('POST /api/rewards/distribute: ids in capitals', () => {
  it('pays the player an upper-case user_id names, as the lower-case one (no 500), and its event names them as stored', async () => {
    const player = await makePlayer(ctx.app);
    const res = await distribute({ user_id: player.user.id.toUpperCase(), bundle: { currencies: { soft: 5 }, exp: 1 }, reason: 'caps' }, `caps-${player.user.id}`);
    expect(res.statusCode, res.body).toBe(201);
    expect(DistributeResponseSchema.parse(res.json())).toMatchObject({ user_id: player.user.id, balances: { soft: 1005, premium: 0 } });
    const granted = (await listOutboxRows(ctx.db, { userId: player.user.id })).filter((r) => r.event_type === 'reward.granted');
    expect(granted).toHaveLength(2);
    for (const row of granted) expect(JSON.stringify(row.envelope)).toContain(`"user_id":"${player.user.id}"`);
    // A path id in capitals is the same id.
    const page = await ctx.app.inject({ method: 'GET', url: `/api/admin/players/${player.user.id.toUpperCase()}`, headers: admin.headers });
    expect(page.statusCode).toBe(200);
    expect(page.json().user.id).toBe(player.user.id);
    await expectLedgerClean(ctx.db);
  });
});

describe('POST /api/rewards/distribute: a key past its 24 hours', () => {
  it('is a new key: the same body still pays once, another body pays what it says', async () => {
    // A day passes: an app of its own, so the other tests' clock and tokens stay where they are.
    const local = await buildTestApp();
    try {
      const operator = await makeAdmin(local);
      const player = await makePlayer(local.app);
      const key = `late-${player.user.id}`;
      const send = (as: TestPlayer, body: unknown) =>
        local.app.inject({ method: 'POST', url: '/api/rewards/distribute', headers: { ...as.headers, 'x-idempotency-key': key }, payload: body as object });
      const first = await send(operator, { user_id: player.user.id, bundle: { currencies: { soft: 10 } }, reason: "one" });
      expect(first.statusCode, first.body).toBe(201);
      // A day later the key is a new key; the same operator logs in again (yesterday's token expired).
      const nextDay = async () => {
        local.clock.advance(24 * 3_600_000 + 1_000);
        const login = await local.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: operator.user.site_id, password: operator.password } });
        expect(login.statusCode).toBe(200);
        return { ...operator, headers: { authorization: `Bearer ${(login.json() as { access_token: string }).access_token}` } };
      };
      const one = { user_id: player.user.id, bundle: { currencies: { soft: 10 } }, reason: 'one' };
      const two = { user_id: player.user.id, bundle: { currencies: { premium: 50 } }, reason: 'two' };
      let as = await nextDay();
      // The first body again: the grant it made is found, nothing is paid twice.
      expect((await send(as, one)).statusCode).toBe(201);
      expect(await getBalances(local.db, player.user.id)).toEqual({ soft: 1010, premium: 0 });
      // Within this new day the key holds that body.
      expect((await send(as, two)).statusCode).toBe(422);
      as = await nextDay();
      // Another body under the key of two days ago pays what it says.
      const other = await send(as, two);
      expect(other.statusCode, other.body).toBe(201);
      expect(DistributeResponseSchema.parse(other.json())).toMatchObject({ reward_items: [{ type: 'currency', currency: 'premium', amount: 50 }], balances: { soft: 1010, premium: 50 } });
      expect(await local.db.selectFrom('reward_grants').select('id').where('user_id', '=', player.user.id).execute()).toHaveLength(3);
      await expectLedgerClean(local.db);
    } finally {
      await local.close();
    }
  });
});

describe('GET /api/rewards/history and /pending', () => {
  it('lists grants newest first with their reward items', async () => {
    const player = await makePlayer(ctx.app);
    ctx.clock.advance(1000);
    await distribute({ user_id: player.user.id, bundle: { exp: 10 }, reason: 'x' }, 'h-1');
    const res = await ctx.app.inject({ method: 'GET', url: '/api/rewards/history?limit=10', headers: player.headers });
    expect(res.statusCode).toBe(200);
    const { items } = RewardHistoryResponseSchema.parse(res.json());
    expect(items.map((i) => i.source)).toEqual(['operator', 'signup']);
    expect(items[1]?.reward_items).toEqual([{ type: 'currency', currency: 'soft', amount: 1000 }]);
  });

  it('pages through the whole history with next_before: every grant once, newest first, ties by id', async () => {
    const player = await makePlayer(ctx.app);
    // 25 grants: pairs share their grant time (one transaction's clock), so ties must be ordered too.
    const grants = [];
    for (let i = 0; i < 25; i += 1) {
      if (i % 2 === 0) ctx.clock.advance(1000);
      const at = ctx.clock.now();
      grants.push(
        await ctx.db.transaction().execute((trx) =>
          grantReward(trx, { userId: player.user.id, grantKey: `test:page:${player.user.id}:${i}`, source: 'game', bundle: { exp: i + 1 }, now: at }),
        ),
      );
    }
    const page = async (query: string) => {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/rewards/history?${query}`, headers: player.headers });
      expect(res.statusCode, res.body).toBe(200);
      return RewardHistoryResponseSchema.parse(res.json());
    };
    const seen: string[] = [];
    let before: string | null = null;
    const sizes: number[] = [];
    do {
      const p = await page(`limit=10${before ? `&before=${before}` : ''}`);
      sizes.push(p.items.length);
      seen.push(...p.items.map((g) => g.grant_id));
      before = p.next_before;
    } while (before);
    // 25 grants and the signup bonus: 10, 10, 6, and the short page ends it.
    expect(sizes).toEqual([10, 10, 6]);
    const all = await page('limit=200');
    expect(all.next_before).toBeNull();
    expect(seen).toEqual(all.items.map((g) => g.grant_id));
    expect(new Set(seen).size).toBe(26);
    const times = all.items.map((g) => g.granted_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(seen.slice(0, 25).sort()).toEqual(grants.map((g) => g.grantId).sort());
    // An exact page ends with a cursor whose next page is empty.
    const exact = await page('limit=26');
    expect(exact.items).toHaveLength(26);
    expect(await page(`limit=26&before=${exact.next_before}`)).toEqual({ items: [], next_before: null });
  });

  it('pages grants whose times differ below the millisecond (written by SQL, not by the clock)', async () => {
    const player = await makePlayer(ctx.app);
    for (let i = 0; i < 3; i += 1) {
      await ctx.db.transaction().execute((trx) =>
        grantReward(trx, { userId: player.user.id, grantKey: `test:micro:${player.user.id}:${i}`, source: 'game', bundle: { exp: 1 }, now: ctx.clock.now() }),
      );
    }
    // Four grants within one millisecond, which JS's Date cannot tell apart: .123456, .123356, .123256, .123156.
    await sql`
      UPDATE reward_grants g SET granted_at = timestamptz '2026-01-01 00:00:00.123456Z' - n.k * interval '100 microseconds'
      FROM (SELECT id, (row_number() OVER (ORDER BY id)) - 1 AS k FROM reward_grants WHERE user_id = ${player.user.id}) n
      WHERE g.id = n.id`.execute(ctx.db);
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/rewards/history?limit=1${before ? `&before=${before}` : ''}`, headers: player.headers });
      const p = RewardHistoryResponseSchema.parse(res.json());
      seen.push(...p.items.map((g) => g.grant_id));
      before = p.next_before;
    } while (before && seen.length < 10);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it("refuses a cursor that is not one of the player's grants", async () => {
    const player = await makePlayer(ctx.app);
    const other = await makePlayer(ctx.app);
    const theirs = RewardHistoryResponseSchema.parse((await ctx.app.inject({ method: 'GET', url: '/api/rewards/history', headers: other.headers })).json()).items[0]!;
    expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/rewards/history?before=${theirs.grant_id}`, headers: player.headers }), 404, 'NOT_FOUND');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/rewards/history?before=00000000-0000-4000-8000-000000000000', headers: player.headers }), 404, 'NOT_FOUND');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/rewards/history?before=abc', headers: player.headers }), 400, 'VALIDATION_FAILED');
  });

  it('rejects a bad limit and needs a token', async () => {
    const player = await makePlayer(ctx.app);
    for (const q of ['limit=0', 'limit=1000', 'limit=abc', 'limit=5&x=1', 'before=', 'before=1&before=2']) {
      expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/rewards/history?${q}`, headers: player.headers }), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/rewards/history' }), 401, 'UNAUTHENTICATED');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/rewards/pending' }), 401, 'UNAUTHENTICATED');
  });

  it('answers pending with a count', async () => {
    const player = await makePlayer(ctx.app);
    const res = await ctx.app.inject({ method: 'GET', url: '/api/rewards/pending', headers: player.headers });
    expect(res.json()).toEqual({ count: 0, items: [] });
  });
});

describe.runIf(process.env.DATABASE_URL)('a distribute of both currencies racing a claim of the same player', () => {
  it('both succeed: the distribute locks the accounts in currency order, as the claim does (no deadlock)', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { rules: { metric: 'logins', target: 1, client_reportable: true }, reward: { currencies: { soft: 250 } } });
    const progress = await ctx.app.inject({
      method: 'POST',
      url: `/api/events/${event.id}/progress`,
      headers: player.headers,
      payload: { metric: 'logins', delta: 1 },
    });
    expect(progress.json().status).toBe('claimable');
    // A test session holds the soft account FOR KEY SHARE: the claim (locking premium, then soft,
    // FOR UPDATE) waits on it holding premium. A balance UPDATE does not conflict with KEY SHARE,
    // so a distribute locking soft before premium would take soft and wait for the claim's
    // premium while the claim waits for its soft: a deadlock, one of them answered 409.
    const release = await holdLock(ctx.db, (trx) =>
      sql`SELECT 1 FROM accounts WHERE owner = ${playerAccount(player.user.id)} AND currency = 'soft' FOR KEY SHARE`.execute(trx),
    );
    const claim = ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/claim`, headers: player.headers });
    await untilLockWaiters(ctx.db, 1);
    const given = distribute({ user_id: player.user.id, bundle: { currencies: { soft: 5, premium: 5 } }, reason: 'race' }, 'race-both');
    await untilLockWaiters(ctx.db, 2);
    await release();
    const [c, d] = await Promise.all([claim, given]);
    expect([c.statusCode, d.statusCode], `${c.body}\n${d.body}`).toEqual([200, 201]);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1255, premium: 5 });
    await expectLedgerClean(ctx.db);
  });
});
