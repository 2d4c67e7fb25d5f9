import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { StartupError } from '../startup.ts';
import { lockDataDir } from './data-dir-lock.ts';
import type { Database } from './database.ts';

/**
 * The file in DATA_DIR naming the one database it serves: that database's instance id (the row
 * migration 0030 makes in `database_instance`), then a line saying which database it is, for people.
 */
export const INSTANCE_FILE = 'instance-id';

/**
 * Whether a server with these settings keeps anything in DATA_DIR: the embedded database, the
 * embedded analytics store (chDB), the generated JWT secret, the demo operator's password. With
 * DATABASE_URL, CLICKHOUSE_URL, JWT_SECRET and an operator of its own (or SEED_DEMO=false) it
 * leaves DATA_DIR alone, and several such nodes may share one.
 */
export function serverUsesDataDir(config: Pick<Config, 'databaseUrl' | 'clickhouseUrl' | 'jwtSecretSource' | 'seedDemo' | 'adminSiteId'>): boolean {
  return !config.databaseUrl || !config.clickhouseUrl || config.jwtSecretSource !== 'env' || (config.seedDemo && !config.adminSiteId);
}

/** DATA_DIR, claimed by this process; see claimDataDir. */
export interface DataDirClaim {
  readonly dataDir: string;
  /**
   * Before an embedded database that does not exist yet is created in DATA_DIR/pglite: refuses
   * (StartupError) when DATA_DIR serves another database, or keeps another's analytics.
   */
  assertMayCreateEmbedded(): void;
  /** Refuses (StartupError) a database other than the one DATA_DIR serves; called before migrating it. */
  assertServes(database: Database): Promise<void>;
  /** Records the (migrated) database in a DATA_DIR that serves none yet: a fresh one, or one from before instance ids. */
  adopt(database: Database): Promise<void>;
  /** Gives DATA_DIR up (also done when the process exits). */
  release(): void;
}

/**
 * Claims DATA_DIR for this process until it exits (lockDataDir), before anything else is done
 * with it or with the database: a second process is refused before it migrates or seeds anything.
 * DATA_DIR's contents are one database's: its analytics in chDB, the secret its tokens are signed
 * with, its demo operator's password. So a DATA_DIR serves one database, whose instance id it
 * records; a start on another database is refused before that database is migrated.
 *
 * A DATA_DIR from before instance ids (none recorded) adopts the database it is next started with,
 * unless that database is brand new and DATA_DIR already keeps another's analytics or operator
 * password: a pre-upgrade DATA_DIR used with two databases belongs to whichever of the two (both
 * migrated before) starts first after the upgrade.
 */
export function claimDataDir(config: Pick<Config, 'dataDir' | 'databaseUrl'>): DataDirClaim {
  const { dataDir, databaseUrl } = config;
  mkdirSync(dataDir, { recursive: true });
  const release = lockDataDir(dataDir, databaseUrl ? 'use DATA_DIR' : undefined);
  // Also on a failed start (process.exit): the next one need not wonder whose the file is.
  process.once('exit', release);
  const file = path.join(dataDir, INSTANCE_FILE);
  const recorded = readRecorded(file);
  const label = databaseUrl ? `the database at DATABASE_URL (${whereIs(databaseUrl)})` : 'the embedded database in DATA_DIR/pglite';
  // As DATA_DIR records it, for the message refusing another database.
  const named = databaseUrl ? `the database at ${whereIs(databaseUrl)}` : label;
  const embedded = !databaseUrl;

  const refuse = (identity: Identity, opened: string) => {
    const refusal = refusalOf({ dataDir, recorded, identity, label: opened, keeps: keptIn(dataDir, embedded), hint: suggestion(databaseUrl) });
    if (refusal) throw new StartupError(refusal);
  };

  return {
    dataDir,
    assertMayCreateEmbedded() {
      if (embedded && !existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))) refuse({ migrated: false, id: undefined }, 'a new embedded database in DATA_DIR/pglite');
    },
    async assertServes(database) {
      refuse(await identityOf(database), label);
    },
    async adopt(database) {
      if (recorded) return;
      const { id } = await identityOf(database);
      if (!id) throw new Error(`${label} has no instance id after its migrations`);
      writeFileSync(file, `${id}\n${named}\n`);
    },
    release() {
      process.off('exit', release);
      release();
    },
  };
}

interface Recorded {
  id: string;
  label: string;
}

/** What the database says it is: migrated at all, and its instance id (none before migration 0030). */
interface Identity {
  migrated: boolean;
  id: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readRecorded(file: string): Recorded | undefined {
  if (!existsSync(file)) return undefined;
  const [id = '', label = ''] = readFileSync(file, 'utf8').split('\n').map((line) => line.trim());
  if (!UUID.test(id)) {
    throw new StartupError(`${file} does not hold a database instance id (it records the database DATA_DIR serves); restore it, or delete it and the next start adopts its database`);
  }
  return { id, label: label || 'a database' };
}

async function identityOf(database: Database): Promise<Identity> {
  const { rows } = await sql<{ migrations: boolean; instance: boolean }>`
    SELECT to_regclass('schema_migrations') IS NOT NULL AS migrations, to_regclass('database_instance') IS NOT NULL AS instance`.execute(database.db);
  const { migrations = false, instance = false } = rows[0] ?? {};
  if (instance) {
    const ids = await sql<{ id: string }>`SELECT instance_id AS id FROM database_instance`.execute(database.db);
    return { migrated: true, id: ids.rows[0]?.id };
  }
  if (!migrations) return { migrated: false, id: undefined };
  const applied = await sql<{ any: boolean }>`SELECT EXISTS (SELECT FROM schema_migrations) AS any`.execute(database.db);
  return { migrated: applied.rows[0]?.any ?? false, id: undefined };
}

/** Why `identity`'s database may not use DATA_DIR, or undefined when it may. */
function refusalOf(state: { dataDir: string; recorded: Recorded | undefined; identity: Identity; label: string; keeps: string[]; hint: string }): string | undefined {
  const { dataDir, recorded, identity, label, keeps, hint } = state;
  const advice = `give each database its own DATA_DIR${hint}`;
  if (recorded) {
    if (identity.id === recorded.id) return undefined;
    const kept = keeps.length ? ` and keeps its ${list(keeps)}` : '';
    return `cannot use DATA_DIR (${dataDir}) for ${label}: DATA_DIR serves another database (${recorded.label}, instance ${recorded.id})${kept}; ${advice}`;
  }
  // Nothing recorded: a fresh DATA_DIR, or one from before instance ids, adopts the database. But a
  // brand-new database is not the one whose analytics or operator password DATA_DIR already keeps.
  const evidence = keeps.filter((k) => !k.includes('jwt-secret'));
  if (identity.migrated || identity.id || evidence.length === 0) return undefined;
  return `cannot use DATA_DIR (${dataDir}) for ${label}, never migrated: DATA_DIR keeps the ${list(evidence)} of another database it served before; ${advice}`;
}

/** What DATA_DIR holds that is one database's (not counting the embedded database itself when it is the one opened). */
function keptIn(dataDir: string, embedded: boolean): string[] {
  const kept: string[] = [];
  if (!embedded && existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))) kept.push('embedded database (pglite/)');
  if (nonEmptyDir(path.join(dataDir, 'chdb'))) kept.push('analytics (chdb/)');
  if (existsSync(path.join(dataDir, 'demo-operator.txt'))) kept.push('demo operator password (demo-operator.txt)');
  if (existsSync(path.join(dataDir, 'jwt-secret'))) kept.push('token secret (jwt-secret)');
  return kept;
}

function nonEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

const list = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

// Host, port and database name: never the user or password a URL may carry.
function whereIs(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}

function suggestion(databaseUrl: string | undefined): string {
  if (!databaseUrl) return '';
  const name = new URL(databaseUrl).pathname.slice(1);
  return /^[\w-]+$/.test(name) ? ` (e.g. DATA_DIR=./data-${name})` : '';
}
