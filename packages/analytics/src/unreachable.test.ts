import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from './closed-port.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// A fresh process opens a store at STORE_URL as the sink and the server do, and prints what the
// open failed with. Whatever else the process prints (the client's own log) is in its output too.
const SCRIPT = `
  const { openAnalyticsStore } = await import('@playloop/analytics');
  const timeout = process.env.STORE_TIMEOUT_MS ? Number(process.env.STORE_TIMEOUT_MS) : undefined;
  try {
    await openAnalyticsStore({ clickhouseUrl: process.env.STORE_URL, requestTimeoutMs: timeout });
    console.log('opened');
  } catch (err) {
    const { name, message, code, address, port } = err;
    console.log(JSON.stringify({ name, message, code, address, port }));
  }
`;

async function openInChild(url: string, timeoutMs?: number) {
  const env = { ...process.env, STORE_URL: url, ...(timeoutMs ? { STORE_TIMEOUT_MS: String(timeoutMs) } : {}) };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: ROOT, env });
  return { stdout, stderr };
}

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('an analytics store at a CLICKHOUSE_URL that does not answer', () => {
  // The client's default logger printed an 18-line dump of the request's error (arguments, stack,
  // errno fields) before the sink's or the server's own line about it.
  it('fails the open with one line naming the URL, the reason and what was tried, and prints nothing else', async () => {
    const port = await closedPort();
    const { stdout, stderr } = await openInChild(`http://playloop:s3cret@127.0.0.1:${port}`);
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toEqual({
      name: 'AnalyticsStoreUnreachableError',
      message: `the analytics store at CLICKHOUSE_URL http://playloop:***@127.0.0.1:${port} is unreachable: connection refused by 127.0.0.1:${port} (is ClickHouse running there?); tried once to create database playloop and apply the analytics migrations`,
      // What the server's start step reads to print its own one line (startup.ts).
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port,
    });
  });

  it('says a server that takes the connection but never answers did not answer in time', async () => {
    const silent = createServer((socket) => void sockets.push(socket));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const { stdout, stderr } = await openInChild(`http://127.0.0.1:${port}`, 300);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      name: 'AnalyticsStoreUnreachableError',
      message: `the analytics store at CLICKHOUSE_URL http://127.0.0.1:${port} is unreachable: no answer from 127.0.0.1:${port} in time; tried once to create database playloop and apply the analytics migrations`,
      code: 'ETIMEDOUT',
      address: `127.0.0.1:${port}`,
    });
  });
});
