import { migrateDatabase } from '../bootstrap.ts';
import { loadConfig } from '../config.ts';
import { claimDataDir } from '../db/data-dir-owner.ts';
import { runCommand, startStep } from '../startup.ts';

/** `npm run migrate`: applies pending migrations to the configured database. */
await runCommand(async () => {
  const config = loadConfig();
  // DATA_DIR only holds the embedded database here: claimed, and checked, as the server does.
  const dataDir = config.databaseUrl ? undefined : claimDataDir(config);
  const where = config.databaseUrl ? 'the database at DATABASE_URL' : `the embedded database in DATA_DIR (${config.dataDir})`;
  const { database, applied } = await startStep(`migrate ${where}`, () => migrateDatabase(config, dataDir));
  await database.close();
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
});
