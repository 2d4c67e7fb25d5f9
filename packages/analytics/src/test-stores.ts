import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openChdbExecutor } from './chdb-executor.ts';
import { openClickHouseExecutor } from './clickhouse-executor.ts';
import { createAnalyticsStore, type AnalyticsStore } from './store.ts';

/** The stores a test runs on: chDB always, the ClickHouse server when CLICKHOUSE_URL is set. */
export const testBackends = [
  { name: 'chDB' as const, skip: false },
  { name: 'ClickHouse server' as const, skip: !process.env.CLICKHOUSE_URL },
];

/**
 * A migrated store of its own for one test file: chDB in a temporary directory, or a fresh
 * database on the ClickHouse server at CLICKHOUSE_URL. `drop` closes it and removes what it made.
 */
export async function openTestStore(name: (typeof testBackends)[number]['name']): Promise<{ store: AnalyticsStore; drop: () => Promise<void> }> {
  let store: AnalyticsStore;
  let drop: () => Promise<void>;
  if (name === 'chDB') {
    const dir = mkdtempSync(path.join(tmpdir(), 'playloop-chdb-'));
    store = createAnalyticsStore(await openChdbExecutor(dir), 'playloop');
    drop = async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const database = `playloop_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const exec = openClickHouseExecutor({ url: process.env.CLICKHOUSE_URL! });
    store = createAnalyticsStore(exec, database);
    drop = async () => {
      await exec.command(`DROP DATABASE IF EXISTS ${database}`);
      await store.close();
    };
  }
  try {
    await store.migrate();
  } catch (err) {
    await drop();
    throw err;
  }
  return { store, drop };
}
