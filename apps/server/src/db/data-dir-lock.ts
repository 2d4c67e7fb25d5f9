import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from '../startup.ts';

export const DATA_DIR_LOCK = 'playloop.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// The claims this process holds, by directory: the server claims DATA_DIR before anything else,
// and its embedded database claims it again when it opens; the file goes with the last release.
const held = new Map<string, number>();

/**
 * Claims DATA_DIR for this process with a pid file, created exclusively. PGlite does not lock its
 * directory: a second server on the same DATA_DIR opened it too, each wrote into its own memory,
 * and whichever wrote its files last lost the other's writes. chDB does lock its own, but only when
 * it opens, after the database was migrated and seeded. A file left by a process that is gone (a
 * crash, a SIGKILL) is taken over. Claims of one process nest. Returns the release (once), which
 * removes the file with this process's last claim, if it is still this process's.
 *
 * `what` names the refused step: `cannot <what> (<dataDir>): another Playloop (pid …) is using it`.
 */
export function lockDataDir(dataDir: string, what = 'open the embedded database in DATA_DIR'): () => void {
  const key = path.resolve(dataDir);
  const file = path.join(key, DATA_DIR_LOCK);
  if (!held.has(key)) takeLockFile(file, dataDir, what);
  held.set(key, (held.get(key) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(key) ?? 1) - 1;
    if (left > 0) {
      held.set(key, left);
      return;
    }
    held.delete(key);
    const holder = Number.parseInt(readFileSafe(file), 10);
    if (holder === process.pid) rmSync(file, { force: true });
  };
}

function takeLockFile(file: string, dataDir: string, what: string): void {
  for (let attempt = 0; ; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = Number.parseInt(readFileSafe(file), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new StartupError(`cannot ${what} (${dataDir}): another Playloop (pid ${holder}) is using it; stop it, or set another DATA_DIR`);
      }
      // Left by a process that is gone (or by this one, released without removing it): take it over.
      rmSync(file, { force: true });
    }
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
