import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { loadConfig } from '../config.ts';

/** `npm run migrate`: applies pending migrations to the configured database. */
const config = loadConfig();
const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
try {
  const applied = await migrate(database);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} finally {
  await database.close();
}
