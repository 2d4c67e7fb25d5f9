/** f) Start times, and the server's memory with the embedded analytics store. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ROOT, rssMiB, sleep, startServer, waitForHttp } from './lib.ts';
import { fmt, NODE_ARGS, report } from './context.ts';

export const ANALYTICS = process.env.CLICKHOUSE_URL ? 'ClickHouse server' : 'embedded chDB';

/**
 * The same server with the embedded analytics store instead of the ClickHouse server, at rest:
 * chDB runs inside the server process, and its library alone is about 150 MiB of it.
 */
export async function embeddedAnalyticsRss(dbUrl: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'playloop-bench-chdb-'));
  const server = await startServer({ DATABASE_URL: dbUrl, DATA_DIR: dataDir, CLICKHOUSE_URL: '', KAFKA_BROKERS: '', JWT_SECRET: randomBytes(32).toString('hex') }, { nodeArgs: NODE_ARGS });
  try {
    await sleep(1000);
    report({ bench: 'f) memory', figure: 'server RSS at rest MiB (same database; analytics: embedded chDB)', value: fmt(rssMiB(server.child.pid!), 1) });
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * `npm start` (the embedded default: PGlite, chDB) on a fresh data directory, then again on the
 * same one: seconds from the command to /readyz 200 each time.
 */
export async function startTime() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'playloop-start-'));
  const port = await freePort();
  try {
    report({ bench: 'f) start', figure: '`npm start` to /readyz 200, first start (PGlite, migrate, seed)', value: `${fmt(await npmStartSeconds(dataDir, port), 2)} s` });
    report({ bench: 'f) start', figure: '`npm start` to /readyz 200, restart (same DATA_DIR)', value: `${fmt(await npmStartSeconds(dataDir, port), 2)} s` });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One `npm start` until /readyz answers 200, stopped again (its whole process group). */
async function npmStartSeconds(dataDir: string, port: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', CLICKHOUSE_URL: '', KAFKA_BROKERS: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdio: 'ignore', detached: true });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000, child);
    return (performance.now() - t0) / 1000;
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
