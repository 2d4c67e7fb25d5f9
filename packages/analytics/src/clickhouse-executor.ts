import { Readable } from 'node:stream';
import { createClient } from '@clickhouse/client';
import type { ClickHouseExecutor } from './executor.ts';

export interface ClickHouseServerOptions {
  /** `http://[user:password@]host:8123`. */
  url: string;
  requestTimeoutMs?: number;
}

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
