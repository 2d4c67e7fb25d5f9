import { mkdirSync } from 'node:fs';
import type { ClickHouseExecutor } from './executor.ts';

/**
 * chDB (ClickHouse in-process) under `path`. chDB allows one open data directory per process, so
 * a process opens this once; calls are queued so one runs at a time on the session.
 *
 * chDB is imported here, when an embedded store is opened, not with this package: loading its
 * library adds about 150 MiB to a process's RSS, which a server or sink writing to a ClickHouse
 * server (CLICKHOUSE_URL) never needs.
 */
export async function openChdbExecutor(path: string): Promise<ClickHouseExecutor> {
  const { Session } = await import('chdb');
  mkdirSync(path, { recursive: true });
  const session = new Session(path);
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  return {
    kind: 'chdb',
    command: (sql) => serial(async () => void (await session.queryAsync(sql, { format: 'CSV' }))),
    select: <T>(sql: string) =>
      serial(async () => {
        const text = (await session.queryAsync(sql, { format: 'JSONEachRow' })).text();
        return text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as T);
      }),
    insert: (table, rows) =>
      serial(async () => {
        if (rows.length === 0) return;
        const body = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
        await session.insert({ table, values: body, format: 'JSONEachRow' });
      }),
    insertJsonLines: (table, body) =>
      serial(async () => {
        if (body === '') return;
        await session.insert({ table, values: Buffer.from(body), format: 'JSONEachRow' });
      }),
    ping: () =>
      serial(async () => {
        try {
          await session.queryAsync('SELECT 1', { format: 'CSV' });
          return true;
        } catch {
          return false;
        }
      }),
    close: () =>
      serial(async () => {
        session.close();
      }),
  };
}
