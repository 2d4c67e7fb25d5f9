import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Browser tests in real Chromium (npm run test:e2e); kept out of the default `npm test`.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['apps/web/e2e/**/*.e2e.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
