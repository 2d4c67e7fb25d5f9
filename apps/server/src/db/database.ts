import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { announceAfterCommit } from './announce-after-commit.ts';
import { PGlitePool } from './pglite-pool.ts';
import type { DB } from './schema.ts';

// int8 columns hold money and counters; every value we store fits a JS safe integer
// (amounts are capped by the contracts), so they come back as numbers, never strings.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (v) => Number(v));

export type Db = Kysely<DB>;
type Row = Record<string, unknown>;

/** The OLTP store: Kysely over PGlite (embedded default) or a PostgreSQL server. */
export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` on one dedicated connection whose `run` executes multi-statement SQL scripts
   * (migrations, which also hold a session-level advisory lock across statements).
   */
  session<T>(fn: (run: (script: string) => Promise<Row[]>) => Promise<T>): Promise<T>;
  /**
   * LISTENs on a channel: `onPayload` gets each NOTIFY payload once its transaction commits.
   * PostgreSQL: one dedicated connection outside the pool (re-established if it drops);
   * PGlite: its in-process listener. Resolves to the unlisten function.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when absent, PGlite is used. */
  url?: string | undefined;
  /** Where PGlite keeps its files; in memory when absent. */
  dataDir?: string | undefined;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 20);
  return openPGlite(options.dataDir);
}

function openPostgres(url: string, max: number): Database {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // pg-pool drops its error listener while a client is checked out: a server shutdown arriving
  // between two queries of a transaction would be an unhandled 'error' and end the process. The
  // next query on that client fails (503 UNAVAILABLE) and the pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    preparePerConnection(client);
    announceAfterCommit(client);
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    async session(fn) {
      const client = await pool.connect();
      try {
        // Without parameters pg uses the simple query protocol, which runs several statements.
        return await fn(async (script) => {
          const result = (await client.query(script)) as unknown as pg.QueryResult | pg.QueryResult[];
          const last = Array.isArray(result) ? result.at(-1) : result;
          return (last?.rows ?? []) as Row[];
        });
      } finally {
        client.release();
      }
    },
    listen: (channel, onPayload) => listenPostgres(url, channel, onPayload),
    close: () => db.destroy(),
  };
}

// Distinct statement texts that get a prepared statement; past this (an unforeseen source of
// ever-new texts) statements run unnamed as before, so no connection's cache grows without end.
const MAX_PREPARED_TEXTS = 2_000;
const preparedNames = new Map<string, string>();

/**
 * Runs every parameterized statement as a named prepared statement, parsed once per connection:
 * Kysely sends the same few hundred texts over and over, and with unnamed statements PostgreSQL
 * parses and plans each one every time, which on the benchmarks was about half of its time per
 * statement. pg prepares a name on a connection the first time it is used there.
 */
function preparePerConnection(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => unknown;
  client.query = ((config: unknown, values?: unknown) => {
    if (typeof config !== 'string' || !Array.isArray(values) || values.length === 0) return query(config, values);
    let name = preparedNames.get(config);
    if (name === undefined && preparedNames.size < MAX_PREPARED_TEXTS) {
      name = `playloop_${preparedNames.size}`;
      preparedNames.set(config, name);
    }
    return name === undefined ? query(config, values) : query({ name, text: config, values });
  }) as typeof client.query;
}

// LISTEN needs a connection of its own for as long as it listens; a dropped one reconnects.
async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
    });
    c.on('error', () => {
      if (stopped) return;
      client = null;
      c.end().catch(() => {});
      retry = setTimeout(() => connect().catch(() => {}), 1000);
    });
    await c.connect();
    await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

async function openPGlite(dataDir: string | undefined): Promise<Database> {
  let dir: string | undefined;
  if (dataDir) {
    dir = path.join(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
  }
  const pglite = new PGlite(dir, { parsers: { [INT8_OID]: (v: string) => Number(v) } });
  await pglite.waitReady;
  const pool = new PGlitePool(pglite);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'pglite',
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn(async (script) => {
          const results = await pglite.exec(script);
          return (results.at(-1)?.rows ?? []) as Row[];
        });
      } finally {
        client.release();
      }
    },
    listen: (channel, onPayload) => pglite.listen(channel, onPayload),
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}
