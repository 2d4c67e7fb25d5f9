import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../startup.ts';
import { DATA_DIR_LOCK, lockDataDir } from './data-dir-lock.ts';
import { openDatabase } from './database.ts';

const dirs: string[] = [];
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'playloop-lock-'));
  dirs.push(dir);
  return dir;
};
/** A live process that is not this one, to stand for another server. */
const otherProcess = () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
};

describe('an embedded database in DATA_DIR', () => {
  it('is claimed by the server that opens it and released when it closes', async () => {
    const dir = dataDir();
    const database = await openDatabase({ dataDir: dir });
    expect(readFileSync(path.join(dir, DATA_DIR_LOCK), 'utf8').trim()).toBe(String(process.pid));
    await database.close();
    expect(existsSync(path.join(dir, DATA_DIR_LOCK))).toBe(false);
  });

  it('is refused to a second server while the first lives, naming it', async () => {
    const dir = dataDir();
    const other = otherProcess();
    writeFileSync(path.join(dir, DATA_DIR_LOCK), `${other.pid}\n`);
    const refused = await openDatabase({ dataDir: dir }).then(
      async (database) => {
        await database.close();
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(StartupError);
    expect((refused as Error).message).toContain(`another Playloop (pid ${other.pid}) is using it`);
    // The other server's claim stands.
    expect(readFileSync(path.join(dir, DATA_DIR_LOCK), 'utf8').trim()).toBe(String(other.pid));
  });

  it('is taken over from a server that is gone (a crash leaves its file)', async () => {
    const dir = dataDir();
    const other = otherProcess();
    writeFileSync(path.join(dir, DATA_DIR_LOCK), `${other.pid}\n`);
    other.kill('SIGKILL');
    await new Promise((resolve) => other.once('exit', resolve));
    const database = await openDatabase({ dataDir: dir });
    expect(readFileSync(path.join(dir, DATA_DIR_LOCK), 'utf8').trim()).toBe(String(process.pid));
    await database.close();
  });
});

describe('DATA_DIR claimed by the server before its database', () => {
  // The server claims DATA_DIR first (chDB, jwt-secret, demo-operator.txt are there too), then its
  // embedded database claims it again: the database closing must not give DATA_DIR up.
  it('claims of one process nest: the file goes with the last release', async () => {
    const dir = dataDir();
    const release = lockDataDir(dir, 'use DATA_DIR');
    const database = await openDatabase({ dataDir: dir });
    await database.close();
    expect(readFileSync(path.join(dir, DATA_DIR_LOCK), 'utf8').trim()).toBe(String(process.pid));
    release();
    release();
    expect(existsSync(path.join(dir, DATA_DIR_LOCK))).toBe(false);
  });

  it('names what it was claimed for when another process holds it', () => {
    const dir = dataDir();
    const other = otherProcess();
    writeFileSync(path.join(dir, DATA_DIR_LOCK), `${other.pid}\n`);
    expect(() => lockDataDir(dir, 'use DATA_DIR')).toThrow(`cannot use DATA_DIR (${dir}): another Playloop (pid ${other.pid}) is using it; stop it, or set another DATA_DIR`);
  });
});
