import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthResponseSchema } from '@playloop/contracts';
import { openDatabase } from '../src/db/database.ts';
import { api, createEmptyDatabase, freePort, killServers, READY_WITHIN_MS, runToExit, startServer, stopServer, tablesOf } from './processes.ts';

const ADMIN = { site_id: 'operator', password: 'operator-password-1' };

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
    await killServers();
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
    await killServers();
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
  }, 3 * READY_WITHIN_MS);
});

// What a failed start must leave as it found: the new database untouched, DATA_DIR's files as they were.
const demoEnv = (dataDir: string, more: Record<string, string> = {}) => ({ DATA_DIR: dataDir, SEED_DEMO: 'true', ADMIN_SITE_ID: '', ADMIN_PASSWORD: '', ...more });
const oneLine = (run: { code: number | null; output: string }) => {
  expect(run.code, run.output).toBe(1);
  expect(run.output).not.toMatch(/^\s+at /m);
  return run.output.split('\n').find((l) => l.startsWith('playloop: ')) ?? '';
};
/** A start that must fail, on a free port (so that it is not the port that stops it); its one line. */
const refusedStart = async (env: Record<string, string>) => oneLine(await runToExit({ PORT: String(await freePort()), ...env }));
const demoPassword = (dataDir: string) => /password: (\S+)/.exec(readFileSync(path.join(dataDir, 'demo-operator.txt'), 'utf8'))?.[1] ?? '';

describe('a DATA_DIR belongs to one database', () => {
  const dirs: string[] = [];
  const drops: (() => Promise<void>)[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'playloop-owner-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await killServers();
    for (const drop of drops) await drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const emptyDatabase = async () => {
    const database = await createEmptyDatabase(process.env.DATABASE_URL!);
    drops.push(database.drop);
    return database;
  };

  // The README's path from the embedded default to PostgreSQL: chDB stays in DATA_DIR whatever
  // DATABASE_URL says, so the new database's KPIs counted the embedded one's players, and its demo
  // seed wrote its operator's password over the embedded one's.
  it.runIf(process.env.DATABASE_URL)('`npm start`, then `DATABASE_URL=… npm start` on the same DATA_DIR is refused before the new database is touched', async () => {
    const dir = dataDir();
    const embedded = await startServer(demoEnv(dir));
    const password = demoPassword(dir);
    expect(await stopServer(embedded)).toBe(0);
    const saved = readFileSync(path.join(dir, 'demo-operator.txt'), 'utf8');

    const db2 = await emptyDatabase();
    const refused = await refusedStart(demoEnv(dir, { DATABASE_URL: db2.url }));
    expect(refused).toContain(`DATA_DIR (${dir})`);
    expect(refused).toContain('give each database its own DATA_DIR');
    expect(await tablesOf(db2.url)).toEqual([]);
    expect(readFileSync(path.join(dir, 'demo-operator.txt'), 'utf8')).toBe(saved);

    // The embedded install is as it was; db2 runs with a DATA_DIR of its own.
    const again = await startServer(demoEnv(dir));
    expect((await api(again, 'POST', '/api/auth/login', { site_id: 'operator', password })).status).toBe(200);
    expect(await stopServer(again)).toBe(0);
    const dir2 = dataDir();
    const onDb2 = await startServer(demoEnv(dir2, { DATABASE_URL: db2.url }));
    expect((await api(onDb2, 'POST', '/api/auth/login', { site_id: 'operator', password: demoPassword(dir2) })).status).toBe(200);
    expect(await stopServer(onDb2)).toBe(0);

    // And back: db2's DATA_DIR does not get an embedded database of its own.
    const back = await refusedStart(demoEnv(dir2));
    expect(back).toContain('give each database its own DATA_DIR');
    expect(existsSync(path.join(dir2, 'pglite'))).toBe(false);
  }, 6 * READY_WITHIN_MS);

  it('a DATA_DIR whose embedded database was deleted gets no new one beside the old analytics', async () => {
    const dir = dataDir();
    expect(await stopServer(await startServer(demoEnv(dir)))).toBe(0);
    const saved = readFileSync(path.join(dir, 'demo-operator.txt'), 'utf8');
    rmSync(path.join(dir, 'pglite'), { recursive: true, force: true });
    const refused = await refusedStart(demoEnv(dir));
    expect(refused).toContain('give each database its own DATA_DIR');
    expect(existsSync(path.join(dir, 'pglite'))).toBe(false);
    expect(readFileSync(path.join(dir, 'demo-operator.txt'), 'utf8')).toBe(saved);
  }, 3 * READY_WITHIN_MS);

  // An install from before DATA_DIR recorded its database: no instance table, no instance-id file.
  it('a DATA_DIR and database from before the upgrade keep working together', async () => {
    const dir = dataDir();
    const url = process.env.DATABASE_URL ? (await emptyDatabase()).url : undefined;
    const env = demoEnv(dir, url ? { DATABASE_URL: url } : {});
    expect(await stopServer(await startServer(env))).toBe(0);
    const password = demoPassword(dir);
    const idFile = path.join(dir, 'instance-id');
    expect(readFileSync(idFile, 'utf8')).toMatch(/^[0-9a-f-]{36}\n/);

    const database = await openDatabase({ url, dataDir: dir });
    try {
      await sql`DROP TABLE database_instance`.execute(database.db);
      await sql`DELETE FROM schema_migrations WHERE name LIKE '%_database_instance_id.sql'`.execute(database.db);
    } finally {
      await database.close();
    }
    rmSync(idFile);

    const upgraded = await startServer(env);
    expect((await api(upgraded, 'POST', '/api/auth/login', { site_id: 'operator', password })).status).toBe(200);
    expect(await stopServer(upgraded)).toBe(0);
    expect(existsSync(idFile)).toBe(true);
    // Adopted for good: the next start is as any other.
    expect(await stopServer(await startServer(env))).toBe(0);
  }, 4 * READY_WITHIN_MS);
});

describe('a start refused on a DATA_DIR in use changes nothing', () => {
  const dirs: string[] = [];
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await killServers();
    for (const drop of drops) await drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  // It went on to migrate and seed the new database and write its demo operator's password over
  // the running server's, then failed on chDB's own lock with a stack.
  it.runIf(process.env.DATABASE_URL)('a second start on PostgreSQL fails at once, before it migrates anything', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'playloop-inuse-'));
    dirs.push(dir);
    const first = await startServer(demoEnv(dir));
    const saved = readFileSync(path.join(dir, 'demo-operator.txt'), 'utf8');
    const db2 = await createEmptyDatabase(process.env.DATABASE_URL!);
    drops.push(db2.drop);
    const line = await refusedStart(demoEnv(dir, { DATABASE_URL: db2.url }));
    expect(line).toContain(`DATA_DIR (${dir}): another Playloop (pid ${first.child.pid}) is using it`);
    expect(await tablesOf(db2.url)).toEqual([]);
    expect(readFileSync(path.join(dir, 'demo-operator.txt'), 'utf8')).toBe(saved);
    expect(await stopServer(first)).toBe(0);
  }, 3 * READY_WITHIN_MS);

  // Another process (a `SINK_STORE=chdb` sink, a chDB shell) holding the server's DATA_DIR/chdb.
  it('an analytics store another process holds is named in one line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'playloop-chdb-'));
    dirs.push(dir);
    const env: Record<string, string> = { DATA_DIR: dir, SEED_DEMO: 'false' };
    if (process.env.DATABASE_URL) {
      const database = await createEmptyDatabase(process.env.DATABASE_URL);
      drops.push(database.drop);
      env.DATABASE_URL = database.url;
    }
    expect(await stopServer(await startServer(env))).toBe(0);
    const holder = spawn(process.execPath, ['-e', "new (require('chdb').Session)(process.argv[1]); console.log('open'); setInterval(() => {}, 60_000)", path.join(dir, 'chdb')], {
      cwd: path.dirname(fileURLToPath(import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('open') && resolve());
        holder.once('exit', (code) => reject(new Error(`the chDB holder exited (${code})`)));
      });
      const line = await refusedStart(env);
      expect(line).toContain('playloop: cannot open the analytics store');
      expect(line).toContain(path.join(dir, 'chdb'));
    } finally {
      holder.kill('SIGKILL');
    }
  }, 3 * READY_WITHIN_MS);
});
