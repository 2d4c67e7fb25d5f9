import { Readable } from 'node:stream';
import { createClient, type ErrorLogParams, type Logger, type LogParams, type WarnLogParams } from '@clickhouse/client';
import type { ClickHouseExecutor } from './executor.ts';

export interface ClickHouseServerOptions {
  /** `http://[user:password@]host:8123`. */
  url: string;
  requestTimeoutMs?: number;
}

/**
 * The client's own log, one line an entry. A failed request is left out: its caller gets the error
 * and reports it once (the client's default logger printed an 18-line dump of each one first, so
 * an unreachable CLICKHOUSE_URL buried the one line that says so). What no caller sees, such as a
 * socket pool's housekeeping failing, is still printed, in one line.
 */
class OneLineLogger implements Logger {
  trace(_params: LogParams) {}
  debug(_params: LogParams) {}
  info(_params: LogParams) {}
  warn({ module, message, err }: WarnLogParams) {
    if (!message.endsWith('HTTP request error.')) console.warn(clientLine(module, message, err));
  }
  error({ module, message, err }: ErrorLogParams) {
    if (!message.endsWith('HTTP request error.')) console.error(clientLine(module, message, err));
  }
}

const clientLine = (module: string, message: string, err: Error | undefined) =>
  `[@clickhouse/client] ${module}: ${message}${err ? ` ${err.message}` : ''}`;

/** A ClickHouse server over HTTP (works with 18.16 and current releases). */
export function openClickHouseExecutor(options: ClickHouseServerOptions): ClickHouseExecutor {
  const url = new URL(options.url);
  const username = decodeURIComponent(url.username) || 'default';
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const client = createClient({
    url: url.toString().replace(/\/$/, ''),
    username,
    password,
    request_timeout: options.requestTimeoutMs ?? 30_000,
    // Settings the 18.16 server does not know would fail every query; send none by default.
    clickhouse_settings: {},
    log: { LoggerClass: OneLineLogger },
  });
  return {
    kind: 'clickhouse',
    async command(sql) {
      await client.command({ query: sql });
    },
    async select<T>(sql: string) {
      const result = await client.query({ query: sql, format: 'JSONEachRow' });
      return (await result.json()) as T[];
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      await client.insert({ table, values: rows as object[], format: 'JSONEachRow' });
    },
    async insertJsonLines(table, body) {
      if (body === '') return;
      // The body is sent as is: no per-row encoding in the client (the writer made the lines).
      const result = await client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([Buffer.from(body)], { objectMode: false }),
      });
      // Reading the (empty) answer to the end frees the socket for the next request.
      for await (const _chunk of result.stream) void _chunk;
    },
    async ping() {
      const result = await client.ping();
      return result.success;
    },
    close: () => client.close(),
  };
}
