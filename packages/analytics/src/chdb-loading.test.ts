import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// A fresh process, so no other test's chDB is mapped already: whether chDB's library is mapped
// into it, after importing the package and opening a store that writes to a ClickHouse server,
// and then after opening an embedded store. What is mapped is what costs the memory.
const SCRIPT = `
  import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
  import { tmpdir } from 'node:os';
  import path from 'node:path';
  const mapped = () => readFileSync('/proc/self/maps', 'utf8').includes('libchdb');
  const { openAnalyticsStore } = await import('@playloop/analytics');
  const server = await openAnalyticsStore({ clickhouseUrl: 'http://127.0.0.1:9', migrate: false });
  const withServer = mapped();
  await server.close();
  const dir = mkdtempSync(path.join(tmpdir(), 'playloop-chdb-load-'));
  const embedded = await openAnalyticsStore({ dataDir: dir, migrate: false });
  const withEmbedded = mapped();
  await embedded.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ withServer, withEmbedded }));
`;

describe.skipIf(!existsSync('/proc/self/maps'))('loading chDB', () => {
  it('maps chDB into a process only when it opens an embedded store', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ withServer: false, withEmbedded: true });
  });
});
