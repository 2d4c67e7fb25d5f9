import path from 'node:path';
import type { Envelope, Kpis } from '@playloop/contracts';
import { openChdbExecutor } from './chdb-executor.ts';
import { openClickHouseExecutor } from './clickhouse-executor.ts';
import { assertIdentifier, type ClickHouseExecutor } from './executor.ts';
import { queryKpis } from './kpis.ts';
import { migrateAnalytics } from './migrate.ts';
import { toEventsLogJsonLine } from './rows.ts';

export interface AnalyticsStoreStats {
  /** Rows in events_log, redelivered copies included until merges fold them. */
  rows: number;
  /** When the newest row was written (UTC, `YYYY-MM-DD hh:mm:ss`), or null when empty. */
  last_insert_at: string | null;
}

/** The analytics store the server and the sink share: chDB embedded, or a ClickHouse server. */
export interface AnalyticsStore {
  readonly kind: 'chdb' | 'clickhouse';
  readonly database: string;
  /** Creates the database, tables and views (idempotent). */
  migrate(): Promise<string[]>;
  /** Writes validated envelopes in one insert; writing the same ones again changes no KPI. */
  insertEvents(envelopes: readonly Envelope[]): Promise<void>;
  /** SPEC's operator KPIs for UTC days `from`..`to` (`YYYY-MM-DD`, both included). */
  kpis(from: string, to: string): Promise<Kpis>;
  stats(): Promise<AnalyticsStoreStats>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store over an executor; the SQL is the same for both engines. */
export function createAnalyticsStore(exec: ClickHouseExecutor, database = 'playloop'): AnalyticsStore {
  const db = assertIdentifier(database);
  return {
    kind: exec.kind,
    database: db,
    migrate: () => migrateAnalytics(exec, db),
    async insertEvents(envelopes) {
      if (envelopes.length === 0) return;
      // Sent, not left to DEFAULT: 18.16 fills a column missing from JSONEachRow with zero.
      const insertedAt = new Date().toISOString().slice(0, 19).replace('T', ' ');
      let body = '';
      for (const e of envelopes) body += `${toEventsLogJsonLine(e, insertedAt)}\n`;
      await exec.insertJsonLines(`${db}.events_log`, body);
    },
    kpis: (from, to) => queryKpis(exec, db, from, to),
    async stats() {
      const [row] = await exec.select<{ rows: unknown; last: string }>(
        `SELECT count() AS rows, toString(max(inserted_at)) AS last FROM ${db}.events_log`,
      );
      const rows = Number(row?.rows ?? 0);
      return { rows, last_insert_at: rows > 0 && row ? row.last : null };
    },
    ping: () => exec.ping(),
    close: () => exec.close(),
  };
}

export interface OpenAnalyticsOptions {
  /** A ClickHouse server (`CLICKHOUSE_URL`); when absent, chDB under `dataDir/chdb`. */
  clickhouseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** Defaults to `playloop` (`CLICKHOUSE_DATABASE`). */
  database?: string | undefined;
  /** Run the migrations on open (default true). */
  migrate?: boolean;
  /** How long a request to the ClickHouse server may take (default 30 s). */
  requestTimeoutMs?: number;
}

// How a request fails when no ClickHouse server answers at all, as opposed to one answering with an error.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

type SocketError = Error & { code?: string; address?: string; port?: number; hostname?: string; syscall?: string };

/**
 * No ClickHouse server answered at `CLICKHOUSE_URL` (refused, unknown host, no answer in time). The
 * message is one line: the URL (its password masked), the reason and `tried`. The socket error's
 * `code`, `address`, `port`, `hostname` and `syscall` are kept: the server's start step reads them
 * to name the reason in its own line.
 */
export class AnalyticsStoreUnreachableError extends Error {
  readonly code: string;
  readonly address: string | undefined;
  readonly port: number | undefined;
  readonly hostname: string | undefined;
  readonly syscall: string | undefined;

  constructor(url: string, tried: string, cause: SocketError) {
    const target = new URL(url);
    const timedOut = cause.code === undefined;
    const reason = timedOut
      ? `no answer from ${target.host} in time`
      : cause.code === 'ECONNREFUSED'
        ? `connection refused by ${cause.address ?? target.hostname}:${cause.port ?? target.port} (is ClickHouse running there?)`
        : cause.code === 'ENOTFOUND' || cause.code === 'EAI_AGAIN'
          ? `host ${cause.hostname ?? target.hostname} not found (${cause.code})`
          : `${cause.address ?? target.host} did not answer (${cause.code})`;
    super(`the analytics store at CLICKHOUSE_URL ${maskPassword(target)} is unreachable: ${reason}; ${tried}`, { cause });
    this.name = 'AnalyticsStoreUnreachableError';
    this.code = cause.code ?? 'ETIMEDOUT';
    this.address = cause.address ?? (timedOut ? target.host : undefined);
    this.port = cause.port;
    this.hostname = cause.hostname;
    this.syscall = cause.syscall;
  }
}

function maskPassword(url: URL): string {
  const shown = new URL(url);
  if (shown.password) shown.password = '***';
  return shown.toString().replace(/\/$/, '');
}

/** The socket error under `err` (a migration's error wraps it) when no server answered, else undefined. */
function unreachableCause(err: unknown): SocketError | undefined {
  for (let e = err as SocketError | undefined, depth = 0; e instanceof Error && depth < 5; e = e.cause as SocketError | undefined, depth += 1) {
    if (e.code !== undefined && UNREACHABLE_CODES.has(e.code)) return e;
    // @clickhouse/client's own request timeout: a plain error, no code.
    if (e.code === undefined && e.message === 'Timeout error.') return e;
  }
  return undefined;
}

/** Opens the configured analytics store and brings its schema up to date. */
export async function openAnalyticsStore(options: OpenAnalyticsOptions): Promise<AnalyticsStore> {
  const exec = options.clickhouseUrl
    ? openClickHouseExecutor({ url: options.clickhouseUrl, requestTimeoutMs: options.requestTimeoutMs })
    : await openChdbExecutor(path.join(path.resolve(options.dataDir ?? './data'), 'chdb'));
  const store = createAnalyticsStore(exec, options.database ?? 'playloop');
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close().catch(() => {});
      const cause = options.clickhouseUrl ? unreachableCause(err) : undefined;
      if (cause) {
        throw new AnalyticsStoreUnreachableError(options.clickhouseUrl!, `tried once to create database ${store.database} and apply the analytics migrations`, cause);
      }
      throw err;
    }
  }
  return store;
}
