import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the reliability suite (apps/server/chaos). Real components, no mocks,
// on a PostgreSQL server: DATABASE_URL names the server (each file creates and drops its own
// databases; the named database is only used to connect). One file at a time: several of them
// start servers and a PostgreSQL cluster of their own, and this has to hold on 2 cores.
export default defineConfig({
  test: {
    include: ['apps/server/chaos/**/*.chaos.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    env: { DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
