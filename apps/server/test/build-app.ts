import { buildApp, type App, type AppOptions } from '../src/app.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestContext {
  app: App;
  db: TestDatabase['database']['db'];
  database: TestDatabase['database'];
  clock: ManualClock;
  /** The test database's connection string on PostgreSQL (for a second session, e.g. to hold a lock); undefined on PGlite. */
  url: string | undefined;
  close(): Promise<void>;
}

/** Builds the app on a fresh database with a manual clock; call `close` in afterAll. */
export async function buildTestApp(
  overrides: Partial<Omit<AppOptions, 'database' | 'config'>> & { config?: Partial<AppOptions['config']> } = {},
): Promise<TestContext> {
  const testDb = await createTestDatabase();
  const clock = overrides.clock instanceof ManualClock ? overrides.clock : new ManualClock();
  const app = await buildApp({
    ...overrides,
    config: { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC', ...overrides.config },
    clock,
    database: testDb.database,
  });
  await app.ready();
  return {
    app,
    db: testDb.database.db,
    database: testDb.database,
    clock,
    url: testDb.url,
    async close() {
      await app.close();
      await testDb.drop();
    },
  };
}
