import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { DataDirClaim } from './db/data-dir-owner.ts';
import { openDatabase, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import type { Clock } from './lib/clock.ts';
import { MemoryRateLimitStore, RedisRateLimitStore, type RateLimitStore } from './lib/rate-limit.ts';
import { hashPassword } from './modules/auth/passwords.ts';
import { insertAdminIfAbsent, upsertAdmin } from './modules/users/repo.ts';
import { openPlayerAccounts } from './modules/wallet/ledger.ts';

/** Where the OLTP store is, and the limits of the server's requests on it. */
type StoreConfig = Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databaseTimeouts'>>;

/**
 * Opens the configured store and brings its schema up to date. With DATA_DIR claimed (the server,
 * `npm run migrate` on the embedded store), only a database DATA_DIR serves: another is refused
 * before anything is created or migrated in it, and a DATA_DIR serving none yet records this one.
 */
export async function openMigratedDatabase(config: StoreConfig, dataDir?: DataDirClaim): Promise<Database> {
  return (await migrateDatabase(config, dataDir)).database;
}

/** openMigratedDatabase, with the migrations it applied. */
export async function migrateDatabase(
  config: StoreConfig,
  dataDir?: DataDirClaim,
): Promise<{ database: Database; applied: string[] }> {
  dataDir?.assertMayCreateEmbedded();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, timeouts: config.databaseTimeouts });
  try {
    await dataDir?.assertServes(database);
    const applied = await migrate(database);
    await dataDir?.adopt(database);
    return { database, applied };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/**
 * Shared counters in Redis when REDIS_URL is set, else in this process. A command waits at most
 * a second: a Redis that is down answers logins 503 at once rather than after the reconnects.
 * Its connection errors are logged once per outage (ioredis reports each reconnect attempt, and
 * without a listener as an unhandled error with its stack).
 */
export function createRateLimitStore(config: Pick<Config, 'redisUrl'>, warn: (message: string) => void = console.warn): RateLimitStore {
  if (!config.redisUrl) return new MemoryRateLimitStore();
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, commandTimeout: 1_000 });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) warn(`REDIS_URL does not answer (${err.message}); logins are refused with 503 until it does`);
    down = true;
  });
  redis.on('ready', () => (down = false));
  return new RedisRateLimitStore(redis);
}

/** Ensures the operator account named by ADMIN_SITE_ID / ADMIN_PASSWORD. */
export async function ensureAdmin(database: Database, config: Pick<Config, 'adminSiteId' | 'adminPassword'>, clock: Clock) {
  if (!config.adminSiteId || !config.adminPassword) return undefined;
  const password_hash = await hashPassword(config.adminPassword);
  // With the wallet a signup opens: an operator may be granted currency (or play) like anyone.
  return database.db.transaction().execute(async (trx) => {
    const admin = await upsertAdmin(trx, { site_id: config.adminSiteId!, password_hash, created_at: clock.now() });
    await openPlayerAccounts(trx, admin.id);
    return admin;
  });
}

export const DEMO_OPERATOR_SITE_ID = 'operator';
export const DEMO_OPERATOR_FILE = 'demo-operator.txt';

/**
 * The demo's operator account, made once, on the start that seeds the demo, when no operator is
 * configured: without one nobody could open the console of a fresh `npm start`. The password is
 * random, printed once and kept readable only by this user in DATA_DIR; a real deployment sets
 * ADMIN_SITE_ID / ADMIN_PASSWORD (or SEED_DEMO=false) instead.
 */
export async function createDemoOperator(database: Database, config: Pick<Config, 'dataDir'>, clock: Clock) {
  const password = randomBytes(15).toString('base64url');
  const password_hash = await hashPassword(password);
  const created = await database.db.transaction().execute(async (trx) => {
    const inserted = await insertAdminIfAbsent(trx, { site_id: DEMO_OPERATOR_SITE_ID, password_hash, created_at: clock.now() });
    if (inserted) await openPlayerAccounts(trx, inserted.id);
    return inserted;
  });
  if (!created) return undefined;
  const file = path.join(config.dataDir, DEMO_OPERATOR_FILE);
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, `site_id: ${DEMO_OPERATOR_SITE_ID}\npassword: ${password}\n`, { mode: 0o600 });
  return { site_id: DEMO_OPERATOR_SITE_ID, password, file };
}
