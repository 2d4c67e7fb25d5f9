import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { listMigrations, pendingMigrations } from '../db/migrate.ts';
import { verifyLedger } from '../modules/wallet/verify.ts';
import { runCommand, startStep, StartupError } from '../startup.ts';

/** `npm run ledger:verify`: checks the wallet invariants of the configured database. */
await runCommand(async () => {
  const config = loadConfig();
  const where = config.databaseUrl ? 'the database at DATABASE_URL' : `the embedded database in DATA_DIR (${config.dataDir})`;
  const notMigrated = (why: string) => new StartupError(`cannot verify the ledger of ${where}: ${why}; run \`npm run migrate\` or start the server first`);
  // Opening an embedded database that is not there would create one.
  if (!config.databaseUrl && !existsSync(path.join(config.dataDir, 'pglite', 'PG_VERSION'))) throw notMigrated('it has not been created yet');
  const violations = await startStep(`verify the ledger of ${where}`, async () => {
    const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    try {
      const pending = await pendingMigrations(database);
      if (pending.length === listMigrations().length) throw notMigrated('it has never been migrated');
      if (pending.length > 0) throw notMigrated(`${pending.length} of its migrations are not applied (${pending[0]} first)`);
      return await verifyLedger(database.db);
    } finally {
      await database.close();
    }
  });
  if (violations.length === 0) {
    console.log('ledger ok: balances match entries, every transaction and currency sums to zero');
    return;
  }
  for (const v of violations) console.error(`VIOLATION ${v.rule}: ${v.detail}`);
  console.error(`${violations.length} ledger violation(s)`);
  process.exitCode = 1;
});
