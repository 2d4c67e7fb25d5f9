import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { withDatabase } from './database.ts';

// `npm start` runs `tsx src/main.ts` in apps/server; this is the same without npm in between,
// so the signal reaches the server itself and its exit code is the one we see. The command-line
// tools (`npm run migrate`, `npm run ledger:verify`) are run the same way.
const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Normally a few seconds; generous because a loaded CI machine (two test workers, PGlite initdb,
// tsx transpiling the server) has been seen to take 25 s.
export const READY_WITHIN_MS = 90_000;

export interface Server {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

// Every server this file started, so afterAll can kill any still running whatever failed.
const spawned: Server[] = [];

/** Kills every server still running (afterAll: a failed assertion must not leave one behind). */
export async function killServers(): Promise<void> {
  for (const server of spawned) {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

// The process must find its own secret and database settings, not inherit the runner's.
function childEnvOf(env: Record<string, string>): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env };
  delete childEnv.JWT_SECRET;
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'CLICKHOUSE_URL'] as const) if (!env[name]) delete childEnv[name];
  return childEnv;
}

export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: { ...childEnvOf(env), PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server = { child, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited };
  spawned.push(server);
  try {
    await waitUntilReady(server);
  } catch (err) {
    // A server that never got ready must not outlive the test.
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  return server;
}

/** Polls /readyz until 200; fails early if the process dies, and after a bounded wait. */
async function waitUntilReady(server: Server): Promise<void> {
  let dead = false;
  void server.exited.then(() => (dead = true));
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`server exited before it was ready:\n${server.output()}`);
    const status = await fetch(`${server.baseUrl}/readyz`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready within ${READY_WITHIN_MS} ms:\n${server.output()}`);
}

/** SIGTERM, then the exit code; SIGKILL if the graceful shutdown hangs. */
export async function stopServer(server: Server): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 12_000);
  try {
    return await server.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the server (or a command-line tool: `src/cli/migrate.ts`) until it exits by itself, as a
 * start that must fail does; its exit code and output.
 */
export async function runToExit(env: Record<string, string>, script = 'src/main.ts'): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: SERVER_DIR, env: childEnvOf(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), READY_WITHIN_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

export const api = async (server: Server, method: string, url: string, body?: unknown, token?: string) => {
  const res = await fetch(server.baseUrl + url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as unknown };
};

/** One statement on the PostgreSQL server (or database) at `url`, on a connection of its own. */
export async function pgQuery<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the PostgreSQL server, so the process under test finds it as a new install does. */
export async function createEmptyDatabase(serverUrl: string) {
  const name = `playloop_start_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await pgQuery(serverUrl, `CREATE DATABASE ${name}`);
  return { name, url: withDatabase(serverUrl, name), drop: () => pgQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}) };
}

/** The tables of the database at `url` (none: nothing was migrated there). */
export async function tablesOf(url: string): Promise<string[]> {
  const rows = await pgQuery<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  return rows.map((r) => r.tablename);
}
