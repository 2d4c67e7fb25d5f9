import { fileURLToPath } from 'node:url';
import { build, createLogger, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';
import { noNodeBuiltins } from '../vite.config.ts';

const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));

/** The guard's resolveId, called as the bundler would. */
function resolve(source: string, importer = '/app/src/x.ts'): unknown {
  const plugin = noNodeBuiltins();
  const hook = plugin.resolveId as unknown as (this: { error(message: string): never }, source: string, importer: string) => unknown;
  return hook.call(
    {
      error(message: string): never {
        throw new Error(message);
      },
    },
    source,
    importer,
  );
}

describe('the web build', () => {
  it.each(['node:crypto', 'crypto', 'node:fs', 'buffer'])('refuses an import of the Node built-in %s', (source) => {
    expect(() => resolve(source, '/repo/packages/contracts/src/events/event-id.ts')).toThrow(
      `/repo/packages/contracts/src/events/event-id.ts imports the Node built-in "${source}"`,
    );
  });

  it.each(['react', 'zod', '@playloop/contracts', './app.tsx', 'crypto-js'])('leaves %s to the usual resolution', (source) => {
    expect(resolve(source)).toBeNull();
  });

  it('bundles the app (and the contracts it imports) with no warning', async () => {
    const warnings: string[] = [];
    const logger = createLogger('warn', { allowClearScreen: false });
    logger.warn = (message) => void warnings.push(message);
    logger.warnOnce = (message) => void warnings.push(message);
    // As `npm run build:web` runs it: Vite reports some problems (a stubbed built-in among them)
    // only in a production build, and Vitest runs with NODE_ENV=test.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const output = (await build({ configFile, logLevel: 'warn', customLogger: logger, build: { write: false } })) as Rollup.RollupOutput;
      expect(output.output.some((chunk) => chunk.fileName.endsWith('.js'))).toBe(true);
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    expect(warnings).toEqual([]);
  });
});
