import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributeResponseSchema } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../test/build-app.ts';
import { makeAdmin, type TestPlayer } from '../test/factories/players.ts';
import { expectLedgerClean } from '../test/ledger.ts';
import { createDemoOperator, ensureAdmin } from './bootstrap.ts';
import { openDatabase } from './db/database.ts';
import { listMigrations, migrate, MIGRATIONS_DIR } from './db/migrate.ts';
import { getBalances } from './modules/wallet/ledger.ts';

let ctx: TestContext;
let admin: TestPlayer;
const dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-bootstrap-'));
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(async () => {
  await ctx?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const pay = (userId: string) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/rewards/distribute',
    headers: { ...admin.headers, 'x-idempotency-key': randomUUID() },
    payload: { user_id: userId, bundle: { currencies: { soft: 10, premium: 2 } }, reason: 'thanks' },
  });

describe('operator accounts made at start have a wallet', () => {
  it('ADMIN_SITE_ID: the operator can be paid currency like any player', async () => {
    const op = await ensureAdmin(ctx.database, { adminSiteId: `boot_${randomUUID().slice(0, 8)}`, adminPassword: 'correct-horse-battery' }, ctx.clock);
    const res = await pay(op!.id);
    expect(res.statusCode, res.body).toBe(201);
    expect(DistributeResponseSchema.parse(res.json()).balances).toEqual({ soft: 10, premium: 2 });
    // Ensured again (every start does): the wallet is kept as it is.
    await ensureAdmin(ctx.database, { adminSiteId: op!.site_id, adminPassword: 'another-password-1' }, ctx.clock);
    expect(await getBalances(ctx.db, op!.id)).toEqual({ soft: 10, premium: 2 });
    await expectLedgerClean(ctx.db);
  });

  it("the demo's operator too", async () => {
    const made = await createDemoOperator(ctx.database, { dataDir }, ctx.clock);
    const op = await ctx.db.selectFrom('users').select('id').where('site_id', '=', made!.site_id).executeTakeFirstOrThrow();
    expect((await pay(op.id)).statusCode).toBe(201);
    expect(await createDemoOperator(ctx.database, { dataDir }, ctx.clock)).toBeUndefined();
    await expectLedgerClean(ctx.db);
  });
});

describe('migration 0024', () => {
  it('opens the missing wallets of users made before it, at zero, and leaves the others alone', async () => {
    const database = await openDatabase({});
    const before = mkdtempSync(path.join(tmpdir(), 'playloop-migrations-'));
    try {
      const upTo = listMigrations().filter((f) => f < '20261130_0024');
      for (const file of upTo) symlinkSync(path.join(MIGRATIONS_DIR, file), path.join(before, file));
      await migrate(database, before);
      const bare = randomUUID();
      const player = randomUUID();
      await database.db
        .insertInto('users')
        .values([
          { id: bare, site_id: 'bare_operator', nickname: 'op', password_hash: 'x', role: 'admin', created_at: new Date() },
          { id: player, site_id: 'a_player', nickname: 'p', password_hash: 'x', created_at: new Date() },
        ])
        .execute();
      await database.db
        .insertInto('accounts')
        .values([
          { owner: `user:${player}`, currency: 'soft', kind: 'player', balance: 0 },
          { owner: `user:${player}`, currency: 'premium', kind: 'player', balance: 0 },
        ])
        .execute();
      expect(await migrate(database)).toEqual(listMigrations().filter((f) => f >= '20261130_0024'));
      const accounts = await database.db.selectFrom('accounts').select(['owner', 'currency', 'balance']).where('kind', '=', 'player').orderBy('owner').orderBy('currency').execute();
      expect(accounts).toEqual(
        [bare, player]
          .sort()
          .flatMap((id) => [
            { owner: `user:${id}`, currency: 'premium', balance: 0 },
            { owner: `user:${id}`, currency: 'soft', balance: 0 },
          ]),
      );
    } finally {
      await database.close();
      rmSync(before, { recursive: true, force: true });
    }
  });
});
