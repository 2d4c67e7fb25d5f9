import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthResponseSchema } from '@playloop/contracts';
import { withDatabase } from './database.ts';

// `npm start` runs `tsx src/main.ts` in apps/server; this is the same without npm in between,
// so the signal reaches the server itself and its exit code is the one we see.
const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN = { site_id: 'operator', password: 'operator-password-1' };
// Normally a few seconds; generous because a loaded CI machine (two test workers, PGlite initdb,
// tsx transpiling the server) has been seen to take 25 s.
const READY_WITHIN_MS = 90_000;

interface Server {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

// Every server this file started, so afterAll can kill any still running whatever failed.
const spawned: Server[] = [];

async function freePort(): Promise<number> {
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

async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' };
  // The server must find its own secret and database settings, not inherit the runner's.
  delete childEnv.JWT_SECRET;
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'CLICKHOUSE_URL'] as const) if (!env[name]) delete childEnv[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: childEnv,
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
async function stopServer(server: Server): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 12_000);
  try {
    return await server.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the server until it exits by itself (a start that must fail); its exit code and output. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env };
  delete childEnv.JWT_SECRET;
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'CLICKHOUSE_URL'] as const) if (!env[name]) delete childEnv[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: SERVER_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), READY_WITHIN_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

const api = async (server: Server, method: string, url: string, body?: unknown, token?: string) => {
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

// A fresh, empty database on the PostgreSQL server, so the server's own start migrates it.
async function createEmptyDatabase(serverUrl: string) {
  const name = `playloop_start_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  return { url: withDatabase(serverUrl, name), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

describe('starting the server as `npm start` does', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-start-'));
    env = { DATA_DIR: dataDir, ADMIN_SITE_ID: ADMIN.site_id, ADMIN_PASSWORD: ADMIN.password };
    if (process.env.DATABASE_URL) {
      const database = await createEmptyDatabase(process.env.DATABASE_URL);
      env.DATABASE_URL = database.url;
      dropDatabase = database.drop;
    }
  });

  afterAll(async () => {
    // Never leave a server behind, even when an assertion failed half-way.
    for (const server of spawned) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      await server.exited;
    }
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, serves signup and the operator account, and exits 0 on SIGTERM; a restart keeps data and secret', async () => {
    const first = await startServer(env);
    expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);

    const signup = await api(first, 'POST', '/api/auth/signup', { site_id: `start_${randomBytes(3).toString('hex')}`, nickname: 'Starter', password: 'longenough1' });
    expect(signup.status).toBe(201);
    const player = AuthResponseSchema.parse(signup.body);

    const adminLogin = await api(first, 'POST', '/api/auth/login', ADMIN);
    expect(adminLogin.status).toBe(200);
    const admin = AuthResponseSchema.parse(adminLogin.body);
    const me = await api(first, 'GET', '/api/auth/me', undefined, admin.access_token);
    expect(me).toMatchObject({ status: 200, body: { user: { site_id: ADMIN.site_id, role: 'admin' } } });

    expect(await stopServer(first)).toBe(0);

    // Same DATA_DIR (and database): the player is still there and the old token still verifies.
    const second = await startServer(env);
    const again = await api(second, 'GET', '/api/auth/me', undefined, player.access_token);
    expect(again).toMatchObject({ status: 200, body: { user: { id: player.user.id, role: 'player' } } });
    expect((await api(second, 'POST', '/api/auth/login', ADMIN)).status).toBe(200);
    expect(await stopServer(second)).toBe(0);
  }, 4 * READY_WITHIN_MS);
});

describe('a first `npm start` with nothing configured', () => {
  let dataDir: string;
  afterAll(async () => {
    for (const server of spawned) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      await server.exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes the demo operator once, with a random password kept in DATA_DIR, and never again', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-demo-'));
    const first = await startServer({ DATA_DIR: dataDir, SEED_DEMO: 'true', ADMIN_SITE_ID: '', ADMIN_PASSWORD: '' });
    const file = path.join(dataDir, 'demo-operator.txt');
    const saved = readFileSync(file, 'utf8');
    const password = /password: (\S+)/.exec(saved)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(first.output()).toContain(password);
    const login = await api(first, 'POST', '/api/auth/login', { site_id: 'operator', password });
    expect(login.status).toBe(200);
    const admin = AuthResponseSchema.parse(login.body);
    expect(admin.user.role).toBe('admin');
    expect((await api(first, 'GET', '/api/admin/events', undefined, admin.access_token)).status).toBe(200);
    expect(await stopServer(first)).toBe(0);

    // A restart seeds nothing and leaves the account and its password as they were.
    const second = await startServer({ DATA_DIR: dataDir, SEED_DEMO: 'true', ADMIN_SITE_ID: '', ADMIN_PASSWORD: '' });
    expect(second.output()).not.toContain('demo operator account');
    expect(readFileSync(file, 'utf8')).toBe(saved);
    expect((await api(second, 'POST', '/api/auth/login', { site_id: 'operator', password })).status).toBe(200);
    expect(await stopServer(second)).toBe(0);
  }, 4 * READY_WITHIN_MS);

  it('refuses a second server on its DATA_DIR in one line, and exits 0 on SIGTERM with a live stream open', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'playloop-shared-'));
    try {
      const first = await startServer({ DATA_DIR: dir, SEED_DEMO: 'false', ADMIN_SITE_ID: '', ADMIN_PASSWORD: '' });
      // PGlite does not lock its files: a second server would write over the first one's.
      const second = await runToExit({ DATA_DIR: dir, SEED_DEMO: 'false' });
      expect(second.code, second.output).toBe(1);
      expect(second.output).toContain(`playloop: cannot open the embedded database in DATA_DIR (${dir}): another Playloop (pid ${first.child.pid}) is using it`);
      expect(second.output).not.toMatch(/^\s+at /m);

      const signup = await api(first, 'POST', '/api/auth/signup', { site_id: `sh_${randomBytes(3).toString('hex')}`, nickname: 'Streamer', password: 'longenough1' });
      const player = AuthResponseSchema.parse(signup.body);
      const streaming = new AbortController();
      const stream = await fetch(`${first.baseUrl}/api/stream?access_token=${player.access_token}`, { signal: streaming.signal });
      expect(stream.status).toBe(200);
      // The stream's listener is closed before the database (it was closed after it, and exited 1).
      expect(await stopServer(first)).toBe(0);
      streaming.abort();
      expect(first.output()).not.toContain('shutdown failed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 4 * READY_WITHIN_MS);
});

describe('a start that cannot succeed says why in one line', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'playloop-nostart-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  // A failure an operator can fix is named with the setting behind it, and no stack trace.
  const expectOneLine = (run: { code: number | null; output: string }, ...parts: string[]) => {
    expect(run.code, run.output).toBe(1);
    const line = run.output.split('\n').find((l) => l.startsWith('playloop: ')) ?? '';
    for (const part of parts) expect(line, run.output).toContain(part);
    expect(run.output).not.toMatch(/^\s+at /m);
  };

  it('a setting that cannot be used', async () => {
    expectOneLine(await runToExit({ DATA_DIR: dataDir(), PORT: 'abc' }), 'PORT must be a non-negative integer, got "abc"');
    expectOneLine(await runToExit({ DATA_DIR: dataDir(), RESET_TIMEZONE: 'Mars/Olympus_Mons' }), 'RESET_TIMEZONE', 'Mars/Olympus_Mons');
  });

  it('a database that does not answer', async () => {
    const port = await freePort();
    const run = await runToExit({ DATA_DIR: dataDir(), DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/playloop` });
    expectOneLine(run, 'cannot open the database at DATABASE_URL', `connection refused by 127.0.0.1:${port}`);
  });

  it('a port another program holds', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const run = await runToExit({ DATA_DIR: dataDir(), PORT: String(port), SEED_DEMO: 'false' });
      expectOneLine(run, `cannot listen on 127.0.0.1:${port} (HOST, PORT)`, 'already in use');
    } finally {
      holder.close();
    }
  }, 2 * READY_WITHIN_MS);
});
