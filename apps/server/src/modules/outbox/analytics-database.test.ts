import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KpisResponseSchema } from '@playloop/contracts';
import { openClickHouseExecutor } from '@playloop/analytics';
import { buildTestApp, TEST_JWT_SECRET, type TestContext } from '../../../test/build-app.ts';
import { makeAdmin, type TestPlayer } from '../../../test/factories/players.ts';
import { loadConfig } from '../../config.ts';
import { openPipeline, type Pipeline } from './pipeline.ts';

// Installs that share a ClickHouse server each keep their own database (CLICKHOUSE_DATABASE, as
// the sink's): before, the server always wrote and read `playloop`, so a fresh install showed
// another's KPIs. The pipeline is opened from the config as main.ts opens it; chDB embedded, or
// the ClickHouse server when CLICKHOUSE_URL is set.
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL;
const database = `playloop_own_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
let dataDir: string;
let pipeline: Pipeline;
let ctx: TestContext;
let admin: TestPlayer;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-own-db-'));
  const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET, CLICKHOUSE_DATABASE: database, ...(CLICKHOUSE_URL ? { CLICKHOUSE_URL } : {}) });
  pipeline = await openPipeline(config, { relay: { autoStart: false } });
  ctx = await buildTestApp({ pipeline });
  admin = await makeAdmin(ctx);
});
afterAll(async () => {
  await ctx?.close();
  await pipeline?.close();
  if (CLICKHOUSE_URL) {
    const exec = openClickHouseExecutor({ url: CLICKHOUSE_URL });
    await exec.command(`DROP DATABASE IF EXISTS ${database}`);
    await exec.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('CLICKHOUSE_DATABASE', () => {
  it('is where the in-process relay writes the events and the KPI endpoint reads them', async () => {
    expect(pipeline.store.database).toBe(database);
    const relayed = await ctx.app.outboxRelay!.drain();
    expect(relayed).toBeGreaterThan(0);
    const today = ctx.clock.now().toISOString().slice(0, 10);
    const res = await ctx.app.inject({ method: 'GET', url: `/api/admin/analytics/kpis?from=${today}&to=${today}`, headers: admin.headers });
    expect(res.statusCode).toBe(200);
    // The operator's signup, read back from this install's database alone.
    expect(KpisResponseSchema.parse(res.json()).totals.signups).toBe(1);
    if (CLICKHOUSE_URL) {
      const exec = openClickHouseExecutor({ url: CLICKHOUSE_URL });
      try {
        const [row] = await exec.select<{ events: unknown }>(`SELECT uniqExact(event_id) AS events FROM ${database}.events_log`);
        expect(Number(row?.events)).toBe(relayed);
      } finally {
        await exec.close();
      }
    }
  });
});
