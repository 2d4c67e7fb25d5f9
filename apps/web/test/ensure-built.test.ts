import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staleReason } from '../scripts/ensure-built.ts';

// `npm start` rebuilds the web app only when its build is missing or older than its sources.
describe('ensure-built: when npm start rebuilds the web app', () => {
  let web: string;
  const at = (file: string, seconds: number) => {
    mkdirSync(path.dirname(path.join(web, file)), { recursive: true });
    writeFileSync(path.join(web, file), file);
    utimesSync(path.join(web, file), seconds, seconds);
  };

  beforeEach(() => {
    web = mkdtempSync(path.join(tmpdir(), 'playloop-web-build-'));
    at('src/app.tsx', 1_000);
    at('src/screens/shop/shop.tsx', 1_000);
    at('public/favicon.svg', 1_000);
    at('index.html', 1_000);
  });
  afterEach(() => rmSync(web, { recursive: true, force: true }));

  it('builds when there is no build', () => {
    expect(staleReason(web)).toBe('web app not built yet');
  });

  it('does nothing when the build is newer than every source', () => {
    at('dist/index.html', 2_000);
    expect(staleReason(web)).toBeNull();
  });

  it.each([
    ['src/screens/shop/shop.tsx', 'src'],
    ['public/favicon.svg', 'public'],
    ['index.html', 'index.html'],
  ])('builds again when %s changed after the build', (file, named) => {
    at('dist/index.html', 2_000);
    at(file, 3_000);
    expect(staleReason(web)).toBe(`web app sources changed since the last build (${named})`);
  });
});
