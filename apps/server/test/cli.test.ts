import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_DIR_LOCK } from '../src/db/data-dir-lock.ts';
import { withDatabase } from './database.ts';
import { createEmptyDatabase, freePort, READY_WITHIN_MS, runToExit, tablesOf } from './processes.ts';

// `npm run migrate` and `npm run ledger:verify`, run for real: a failure an operator can foresee
// is one `playloop: …` line and exit code 1, as for the server, never a Node stack.
const MIGRATE = 'src/cli/migrate.ts';
const VERIFY = 'src/cli/ledger-verify.ts';

const dirs: string[] = [];
const drops: (() => Promise<void>)[] = [];
const children: ReturnType<typeof spawn>[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const drop of drops) await drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'playloop-cli-'));
  dirs.push(dir);
  return dir;
};
/** The mode's store: a fresh database on the PostgreSQL server of DATABASE_URL, else the embedded one in DATA_DIR. */
const storeEnv = async (dir: string): Promise<Record<string, string>> => {
  if (!process.env.DATABASE_URL) return { DATA_DIR: dir };
  const database = await createEmptyDatabase(process.env.DATABASE_URL);
  drops.push(database.drop);
  return { DATA_DIR: dir, DATABASE_URL: database.url };
};
const expectOneLine = (run: { code: number | null; output: string }, ...parts: string[]) => {
  expect(run.code, run.output).toBe(1);
  expect(run.output).not.toMatch(/^\s+at /m);
  const line = run.output.split('\n').find((l) => l.startsWith('playloop: ')) ?? '';
  for (const part of parts) expect(line, run.output).toContain(part);
};

describe('npm run migrate and npm run ledger:verify', () => {
  it('migrate, then verify: a clean ledger, exit 0', async () => {
    const env = await storeEnv(dataDir());
    const migrated = await runToExit(env, MIGRATE);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toMatch(/^applied: /m);
    const verified = await runToExit(env, VERIFY);
    expect(verified.code, verified.output).toBe(0);
    expect(verified.output).toContain('ledger ok');
    expect((await runToExit(env, MIGRATE)).output).toContain('database is up to date');
  }, 3 * READY_WITHIN_MS);

  // It printed `relation "accounts" does not exist` with a stack, after making pglite/ and a
  // jwt-secret in a DATA_DIR that had nothing.
  it('ledger:verify on a store nobody migrated says to migrate first, and creates nothing', async () => {
    const dir = path.join(dataDir(), 'data');
    const env = await storeEnv(dir);
    expectOneLine(await runToExit(env, VERIFY), 'npm run migrate');
    expect(existsSync(dir)).toBe(false);
    if (env.DATABASE_URL) expect(await tablesOf(env.DATABASE_URL)).toEqual([]);
  });

  it.each([MIGRATE, VERIFY])('%s on the embedded store of a running server is refused in one line', async (script) => {
    const dir = dataDir();
    expect((await runToExit({ DATA_DIR: dir }, MIGRATE)).code).toBe(0);
    // A live process that is not this one, holding DATA_DIR as a server does.
    const server = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
    children.push(server);
    writeFileSync(path.join(dir, DATA_DIR_LOCK), `${server.pid}\n`);
    expectOneLine(await runToExit({ DATA_DIR: dir }, script), `DATA_DIR (${dir})`, `another Playloop (pid ${server.pid}) is using it`);
    server.kill('SIGKILL');
  }, 2 * READY_WITHIN_MS);

  it.each([MIGRATE, VERIFY])('%s against a database server that does not answer', async (script) => {
    const port = await freePort();
    const dir = dataDir();
    expectOneLine(await runToExit({ DATA_DIR: dir, DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/playloop` }, script), 'DATABASE_URL', `connection refused by 127.0.0.1:${port}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(process.env.DATABASE_URL).each([MIGRATE, VERIFY])('%s against a database that does not exist', async (script) => {
    const url = withDatabase(process.env.DATABASE_URL!, 'playloop_no_such_database');
    expectOneLine(await runToExit({ DATA_DIR: dataDir(), DATABASE_URL: url }, script), 'DATABASE_URL', 'database "playloop_no_such_database" does not exist');
  });
});
