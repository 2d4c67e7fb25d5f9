import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ServerChild } from '../../../bench/lib.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { createTestDatabase, type TestDatabase } from '../test/database.ts';

/** What a chaos file that runs the real server process works with. */
export interface ServerProcessSetup {
  /** The test database's connection string, for the server's DATABASE_URL. */
  url: string;
  dataDir: string;
  /** A small pool of its own, to read what the server left behind (it may be dead). */
  observer: Database;
  /** The server process, once started; killed in afterAll whatever happened. */
  server: ServerChild | undefined;
}

/**
 * Registers beforeAll/afterAll for a chaos file that starts the real server: a fresh database on
 * PostgreSQL (the chaos suite needs DATABASE_URL), a DATA_DIR, an observer pool; all removed after.
 */
export function serverProcessSetup(name: string): ServerProcessSetup {
  let testDb: TestDatabase | undefined;
  const setup = { server: undefined } as ServerProcessSetup;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    if (!testDb.url) throw new Error('the chaos suite runs on PostgreSQL: set DATABASE_URL');
    setup.url = testDb.url;
    setup.dataDir = mkdtempSync(path.join(tmpdir(), `playloop-chaos-${name}-`));
    setup.observer = await openDatabase({ url: testDb.url, poolSize: 2 });
  });
  afterAll(async () => {
    await setup.server?.stop('SIGKILL');
    await setup.observer?.close();
    await testDb?.drop();
    if (setup.dataDir) rmSync(setup.dataDir, { recursive: true, force: true });
  });
  return setup;
}
