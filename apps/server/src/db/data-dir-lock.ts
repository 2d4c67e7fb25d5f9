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

/**
 * Claims DATA_DIR for this process with a pid file, created exclusively. PGlite does not lock its
 * directory: a second server on the same DATA_DIR opened it too, each wrote into its own memory,
 * and whichever wrote its files last lost the other's writes. A file left by a process that is
 * gone (a crash, a SIGKILL) is taken over. Returns the release, which removes the file if it is
 * still this process's.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, DATA_DIR_LOCK);
  for (let attempt = 0; ; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        const holder = Number.parseInt(readFileSafe(file), 10);
        if (holder === process.pid) rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = Number.parseInt(readFileSafe(file), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new StartupError(
          `cannot open the embedded database in DATA_DIR (${dataDir}): another Playloop (pid ${holder}) is using it; stop it, or set another DATA_DIR`,
        );
      }
      // Left by a process that is gone (or by this one, not released): take it over.
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
