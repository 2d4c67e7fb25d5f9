import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildApp, type App } from '../src/app.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { getBalances, playerAccount } from '../src/modules/wallet/ledger.ts';
import { TEST_JWT_SECRET } from './build-app.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { makeAdmin, makePlayer, type TestPlayer } from './factories/players.ts';
import { expectLedgerClean } from './ledger.ts';
import { holdLock } from './locks.ts';
import { expectProblem } from './problem.ts';

// The limits exist on a PostgreSQL server only: PGlite has one connection and no other holder.
describe.runIf(process.env.DATABASE_URL)('DATABASE_STATEMENT_TIMEOUT_MS and DATABASE_LOCK_TIMEOUT_MS', () => {
  let testDb: TestDatabase;
  // The observer: a connection without limits, which holds the rows the requests wait for.
  let observer: Database['db'];

  /** An app on the test database whose pool has these limits. */
  async function appWith(timeouts: { statementMs: number; lockMs: number }): Promise<{ app: App; database: Database }> {
    const database = await openDatabase({ url: testDb.url, poolSize: 2, timeouts });
    const app = await buildApp({
      config: { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' },
      clock: new ManualClock(),
      database,
    });
    await app.ready();
    return { app, database };
  }

  beforeAll(async () => {
    testDb = await createTestDatabase();
    observer = testDb.database.db;
  });
  afterAll(() => testDb?.drop());

  const buy = (app: App, player: TestPlayer, key: string) =>
    app.inject({
      method: 'POST',
      url: '/api/shop/purchase',
      headers: { ...player.headers, 'content-type': 'application/json', 'x-idempotency-key': key },
      payload: JSON.stringify({ sku_id: 'timeout_sku', quantity: 1 }),
    });

  const succeededPurchases = async (userId: string) =>
    (await observer.selectFrom('purchases').select('id').where('user_id', '=', userId).where('status', '=', 'succeeded').execute()).length;

  /** The player's soft account locked FOR UPDATE from another transaction, as a long transaction would. */
  const lockWallet = (player: TestPlayer) =>
    holdLock(observer, (trx) => sql`SELECT 1 FROM accounts WHERE owner = ${playerAccount(player.user.id)} AND currency = 'soft' FOR UPDATE`.execute(trx));

  let setUp: { app: App; database: Database } | undefined;
  beforeAll(async () => {
    setUp = await appWith({ statementMs: 0, lockMs: 300 });
    const admin = await makeAdmin({ app: setUp.app, db: setUp.database.db });
    const res = await setUp.app.inject({
      method: 'POST',
      url: '/api/admin/shop/skus',
      headers: { ...admin.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ sku_id: 'timeout_sku', name: 'Timeout', price: 100, currency_type: 'soft', bundle: { items: [{ item_id: 'timeout_token', quantity: 1 }] } }),
    });
    expect(res.statusCode).toBe(201);
  });
  afterAll(async () => {
    await setUp?.app.close();
    await setUp?.database.close();
  });

  it('answers a purchase that waits on a lock past DATABASE_LOCK_TIMEOUT_MS 503 UNAVAILABLE, changes nothing, and buys once the lock is gone under the same key', async () => {
    const { app } = setUp!;
    const player = await makePlayer(app);
    const before = await getBalances(observer, player.user.id);

    const release = await lockWallet(player);
    let res;
    try {
      res = await buy(app, player, 'timeout-key-1');
    } finally {
      await release();
    }
    expectProblem(res, 503, 'UNAVAILABLE');
    expect(await getBalances(observer, player.user.id)).toEqual(before);
    expect(await succeededPurchases(player.user.id)).toBe(0);

    // Not an outcome: the key is free again and the pool's connections still work.
    const retried = await buy(app, player, 'timeout-key-1');
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect((await getBalances(observer, player.user.id)).soft).toBe(before.soft - 100);
    expect(await succeededPurchases(player.user.id)).toBe(1);
    await expectLedgerClean(observer);
  });

  it('answers a statement running past DATABASE_STATEMENT_TIMEOUT_MS 503 UNAVAILABLE, with nothing changed', async () => {
    const { app, database } = await appWith({ statementMs: 300, lockMs: 0 });
    try {
      const player = await makePlayer(app);
      const before = await getBalances(observer, player.user.id);
      const release = await lockWallet(player);
      let res;
      try {
        res = await buy(app, player, 'timeout-key-2');
      } finally {
        await release();
      }
      expectProblem(res, 503, 'UNAVAILABLE');
      expect(await getBalances(observer, player.user.id)).toEqual(before);
      expect(await succeededPurchases(player.user.id)).toBe(0);
      await expectLedgerClean(observer);
    } finally {
      await app.close();
      await database.close();
    }
  });

  it('runs a session script (migrations) without the limits, and gives its connection back with them', async () => {
    const database = await openDatabase({ url: testDb.url, poolSize: 1, timeouts: { statementMs: 100, lockMs: 100 } });
    try {
      const rows = await database.session((run) => run("SELECT pg_sleep(0.3), current_setting('lock_timeout') AS lock_timeout"));
      expect(rows[0]).toMatchObject({ lock_timeout: '0' });
      // The pool's one connection again: its limits are back.
      await expect(sql`SELECT pg_sleep(0.3)`.execute(database.db)).rejects.toMatchObject({ code: '57014' });
      const { rows: settings } = await sql<{ lock_timeout: string }>`SELECT current_setting('lock_timeout') AS lock_timeout`.execute(database.db);
      expect(settings[0]!.lock_timeout).toBe('100ms');
    } finally {
      await database.close();
    }
  });
});
