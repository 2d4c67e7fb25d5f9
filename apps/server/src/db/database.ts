import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { announceAfterCommit } from './announce-after-commit.ts';
import { lockDataDir } from './data-dir-lock.ts';
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
   * PostgreSQL: one dedicated connection outside the pool (re-established if it drops; `events`
   * hears the drop and the return); PGlite: its in-process listener, which never drops. Resolves
   * to the unlisten function.
   */
  listen(channel: string, onPayload: (payload: string) => void, events?: ListenEvents): Promise<() => Promise<void>>;
  /**
   * Holds the session-level advisory lock (key1, key2) until the returned function is called, so
   * that other nodes can tell from `pg_locks` that the holder is alive. PostgreSQL: on a connection
   * of its own outside the pool, taken again when that connection comes back after a drop (while
   * it is down, the holder looks dead). PGlite: on its one session, whose locks nest (there is no
   * other process to tell apart). Rejects when another session holds the key.
   */
  holdAdvisoryLock(key1: number, key2: number): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** What a listener hears of its LISTEN connection after it first stood. */
export interface ListenEvents {
  /** The connection dropped: what commits from now until `restored` is announced to no one here. */
  lost?: () => void;
  /** LISTENing again on a new connection: every NOTIFY committed from now on arrives. */
  restored?: () => void;
}

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when absent, PGlite is used. */
  url?: string | undefined;
  /** Where PGlite keeps its files; in memory when absent. */
  dataDir?: string | undefined;
  poolSize?: number;
  /**
   * PostgreSQL: how long a statement of the pool's may run, and wait for a lock, before it is
   * cancelled (answered 503 UNAVAILABLE); absent or 0, without end. Migrations run without them.
   */
  timeouts?: { statementMs: number; lockMs: number } | undefined;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 20, options.timeouts);
  return openPGlite(options.dataDir);
}

// A connection idle inside a transaction this long is ended by PostgreSQL, its locks released: a
// node that stalls mid-transaction (a paused VM, a blocked event loop) must not hold a wallet's
// lock for ever. Far above any transaction of ours, which only waits on its own statements.
const IDLE_IN_TRANSACTION_MS = 60_000;

function openPostgres(url: string, max: number, timeouts: DatabaseOptions['timeouts']): Database {
  // Sent as startup parameters: each connection's defaults, which RESET returns to.
  const limits = timeouts && {
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: timeouts.statementMs || timeouts.lockMs ? IDLE_IN_TRANSACTION_MS : 0,
  };
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000, ...limits });
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
        // A script (a migration building an index on a large table, waiting for another node's
        // migration lock) runs as long as it takes; the connection's limits come back after it.
        if (limits) await client.query('SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0');
        // Without parameters pg uses the simple query protocol, which runs several statements.
        return await fn(async (script) => {
          const result = (await client.query(script)) as unknown as pg.QueryResult | pg.QueryResult[];
          const last = Array.isArray(result) ? result.at(-1) : result;
          return (last?.rows ?? []) as Row[];
        });
      } finally {
        const reset = limits ? client.query('RESET statement_timeout; RESET lock_timeout; RESET idle_in_transaction_session_timeout') : Promise.resolve();
        // A connection that cannot be reset is not given back to the pool with no limits.
        await reset.then(
          () => client.release(),
          (err: Error) => client.release(err),
        );
      }
    },
    listen: (channel, onPayload, events) => listenPostgres(url, channel, onPayload, events),
    holdAdvisoryLock: (key1, key2) =>
      dedicatedConnection(url, async (c) => {
        const { rows } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [key1, key2]);
        if (!rows[0]?.ok) throw new Error(`advisory lock (${key1}, ${key2}) is held by another session`);
      }),
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

/**
 * A connection of its own, outside the pool, until the returned function closes it: `setUp` runs
 * on it after every connect. A dropped one connects again a second later (and again while that
 * fails); `events` hears each drop and each return. Resolves once the first connection is set up;
 * rejects if that fails, leaving nothing behind.
 */
async function dedicatedConnection(
  url: string,
  setUp: (c: pg.Client) => Promise<void>,
  events: ListenEvents = {},
): Promise<() => Promise<void>> {
  let stopped = false;
  // Drops are reconnected only once the first connection stood: a caller told it failed holds nothing.
  let live = false;
  let client: pg.Client | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  // One retry pending at a time, whether the drop is reported by an 'error' event, a failed
  // connect, or both.
  const reconnect = () => {
    if (stopped || !live || retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch(reconnect);
    }, 1000);
  };
  const connect = async (): Promise<void> => {
    // TCP keepalive: a connection that dies without a reset reaching this node (a peer gone, a
    // NAT entry dropped) is found within minutes instead of never, and counts as a drop.
    const c = new pg.Client({ connectionString: url, keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
    c.on('error', () => {
      // pg may report one drop twice (the socket's error, then its end): only the first, on the
      // connection in use, is a loss.
      if (client === c) {
        client = null;
        if (!stopped) events.lost?.();
      }
      c.end().catch(() => {});
      reconnect();
    });
    try {
      await c.connect();
      await setUp(c);
    } catch (err) {
      c.removeAllListeners('error');
      c.on('error', () => {});
      await c.end().catch(() => {});
      throw err;
    }
    if (stopped) await c.end().catch(() => {});
    else {
      client = c;
      if (live) events.restored?.();
    }
  };
  await connect();
  live = true;
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
  };
}

// LISTEN needs a connection of its own for as long as it listens.
function listenPostgres(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  events?: ListenEvents,
): Promise<() => Promise<void>> {
  return dedicatedConnection(
    url,
    async (c) => {
      c.on('notification', (msg) => {
        if (msg.channel === channel && msg.payload !== undefined) onPayload(msg.payload);
      });
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    },
    events,
  );
}

async function openPGlite(dataDir: string | undefined): Promise<Database> {
  let dir: string | undefined;
  let unlock = () => {};
  if (dataDir) {
    dir = path.join(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const pglite = new PGlite(dir, { parsers: { [INT8_OID]: (v: string) => Number(v) } });
  try {
    await pglite.waitReady;
  } catch (err) {
    unlock();
    throw err;
  }
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
    async holdAdvisoryLock(key1, key2) {
      const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${key1}::int, ${key2}::int) AS ok`.execute(db);
      if (!rows[0]?.ok) throw new Error(`advisory lock (${key1}, ${key2}) is held by another session`);
      return async () => {
        await sql`SELECT pg_advisory_unlock(${key1}::int, ${key2}::int)`.execute(db).catch(() => {});
      };
    },
    async close() {
      await db.destroy();
      await pglite.close();
      unlock();
    },
  };
}
