import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closedPort } from './closed-port.ts';
import { examplePayloads, newEventId, type Envelope } from '@playloop/contracts';
import { openClickHouseExecutor } from './clickhouse-executor.ts';
import { openAnalyticsStore } from './store.ts';

// scripts/clickhouse.sh as the README has an operator run it: what it says, and `reset` for a
// clean start of an install on a shared server.
const SCRIPT = fileURLToPath(new URL('../../../scripts/clickhouse.sh', import.meta.url));
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the script with its own state folder (no pid of a server it started) against `url`. */
function clickhouseScript(args: string[], url: string): Promise<{ code: number; output: string }> {
  const cache = mkdtempSync(path.join(tmpdir(), 'playloop-ch-script-'));
  dirs.push(cache);
  const env: NodeJS.ProcessEnv = { ...process.env, PLAYLOOP_CACHE: cache, CLICKHOUSE_HTTP: url };
  delete env.CLICKHOUSE_URL;
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('scripts/clickhouse.sh', () => {
  it('status says "not running" and where it asked, exit 1 (it printed nothing)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    expect(await clickhouseScript(['status'], url)).toEqual({
      code: 1,
      output: `clickhouse.sh: not running (nothing answers on ${url}; start one on 127.0.0.1:8123 with scripts/clickhouse.sh start)\n`,
    });
  });

  it.each([
    ['no name: never `playloop` by default', [], /^clickhouse.sh: reset needs the database to drop, spelled out: scripts\/clickhouse.sh reset playloop/],
    ['a name that is not an identifier', ['play-loop'], /^clickhouse.sh: not a database name: "play-loop"/],
    ['ClickHouse’s own database', ['system'], /^clickhouse.sh: refusing to drop ClickHouse's own database "system"/],
  ])('reset refuses %s (exit 2), before asking any server', async (_name, args, message) => {
    const { code, output } = await clickhouseScript(['reset', ...args], `http://127.0.0.1:${await closedPort()}`);
    expect(code).toBe(2);
    expect(output).toMatch(message);
  });

  it.skipIf(!CLICKHOUSE_URL)('reset DATABASE drops that database only; a store opened after it starts empty', async () => {
    const runId = randomUUID().replaceAll('-', '').slice(0, 10);
    const [doomed, kept] = [`playloop_reset_${runId}`, `playloop_kept_${runId}`];
    const day = '2026-11-20';
    const signup = (): Envelope => ({
      event_id: newEventId(new Date(`${day}T08:00:00Z`)),
      event_type: 'user.signup',
      user_id: randomUUID(),
      ts: `${day}T08:00:00.000Z`,
      trace_id: randomUUID(),
      payload: examplePayloads['user.signup'],
      version: 1,
    }) as Envelope;
    for (const database of [doomed, kept]) {
      const store = await openAnalyticsStore({ clickhouseUrl: CLICKHOUSE_URL, database });
      await store.insertEvents([signup()]);
      await store.close();
    }
    const exec = openClickHouseExecutor({ url: CLICKHOUSE_URL! });
    try {
      const shown = CLICKHOUSE_URL!.replace(/\/$/, '');
      expect(await clickhouseScript(['reset', doomed], CLICKHOUSE_URL!)).toEqual({
        code: 0,
        output: `clickhouse.sh: dropped database ${doomed} on ${shown} (its tables: events and KPIs); a server or sink creates it again, empty, when it starts\n`,
      });
      const left = await exec.select<{ name: string }>(`SELECT name FROM system.databases WHERE name IN ('${doomed}', '${kept}')`);
      expect(left.map((r) => r.name)).toEqual([kept]);
      expect(await clickhouseScript(['reset', doomed], CLICKHOUSE_URL!)).toMatchObject({ code: 0, output: `clickhouse.sh: no database ${doomed} on ${shown}: nothing to drop\n` });

      const fresh = await openAnalyticsStore({ clickhouseUrl: CLICKHOUSE_URL, database: doomed });
      expect((await fresh.kpis(day, day)).totals.signups).toBe(0);
      await fresh.close();
      const other = await openAnalyticsStore({ clickhouseUrl: CLICKHOUSE_URL, database: kept });
      expect((await other.kpis(day, day)).totals.signups).toBe(1);
      await other.close();
    } finally {
      await exec.command(`DROP DATABASE IF EXISTS ${doomed}`);
      await exec.command(`DROP DATABASE IF EXISTS ${kept}`);
      await exec.close();
    }
  });
});
