import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from './closed-port.ts';

// `npm run sink` as an operator starts it, against ports nothing listens on: what it prints.
const SINK_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

type Worker = ChildProcess & { output: string; exited: Promise<number | null> };

const workers: Worker[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await w.exited;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startSink(env: Record<string, string>): Worker {
  const base = { ...process.env };
  for (const k of ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_DATABASE', 'DATA_DIR', 'KAFKA_TOPIC_PREFIX', 'KAFKA_GROUP_ID', 'SINK_STORE']) delete base[k];
  const child = spawn(process.execPath, ['--import', 'tsx', SINK_MAIN], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) as Worker;
  child.output = '';
  child.stdout?.on('data', (d: Buffer) => (child.output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (child.output += d.toString()));
  child.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  workers.push(child);
  return child;
}

const lines = (output: string) => output.split('\n').filter((l) => l.trim() !== '');

describe('npm run sink', () => {
  it('with KAFKA_BROKERS but no CLICKHOUSE_URL, refuses to start in one line and exits 1, before it joins the group', async () => {
    // A broker that answers would be joined: before, this worker warned, then took its share of
    // the group's partitions into a chDB nobody reads. A closed port shows it exits without trying.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-sink-main-'));
    dirs.push(dataDir);
    const sink = startSink({ KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`, DATA_DIR: dataDir });
    expect(await sink.exited).toBe(1);
    expect(lines(sink.output)).toHaveLength(1);
    expect(JSON.parse(sink.output)).toMatchObject({
      level: 'error',
      message: 'sink failed to start',
      error: expect.stringMatching(/^KAFKA_BROKERS needs CLICKHOUSE_URL: .*or SINK_STORE=chdb for a chDB under DATA_DIR that only this process can read$/),
    });
  });

  it('with CLICKHOUSE_URL unreachable, says so in one line naming the URL and what was tried, and exits 1 as before', async () => {
    const [kafkaPort, clickhousePort] = [await closedPort(), await closedPort()];
    const sink = startSink({ KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`, CLICKHOUSE_URL: `http://127.0.0.1:${clickhousePort}` });
    expect(await sink.exited).toBe(1);
    // Not the client's dump of the request first: only the sink's own line.
    expect(lines(sink.output)).toHaveLength(1);
    expect(JSON.parse(sink.output)).toMatchObject({
      level: 'error',
      service: 'sink',
      message: 'sink failed to start',
      error: `the analytics store at CLICKHOUSE_URL http://127.0.0.1:${clickhousePort} is unreachable: connection refused by 127.0.0.1:${clickhousePort} (is ClickHouse running there?); tried once to create database playloop and apply the analytics migrations`,
    });
  });

  it('with KAFKA_BROKERS unreachable, warns at the first failed connection, naming the brokers, while it goes on retrying', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-sink-main-'));
    dirs.push(dataDir);
    const [a, b] = [await closedPort(), await closedPort()];
    const brokers = `127.0.0.1:${a},127.0.0.1:${b}`;
    const sink = startSink({ KAFKA_BROKERS: brokers, DATA_DIR: dataDir, SINK_STORE: 'chdb' });
    // The first line after the chDB notice; before the fix nothing came until the retries ran out
    // (about a minute, then "sink failed to start"), with a progress line at 30 s on the way.
    await expect.poll(() => lines(sink.output).length, { timeout: 90_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    const [chdbNotice, second] = lines(sink.output).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(chdbNotice).toMatchObject({ level: 'warn', message: expect.stringContaining('SINK_STORE=chdb: writing to chDB under DATA_DIR') });
    expect(second).toMatchObject({
      level: 'warn',
      message: 'cannot connect to Kafka; retrying',
      brokers,
      broker: `127.0.0.1:${a}`,
      error: `Connection error: connect ECONNREFUSED 127.0.0.1:${a}`,
    });
    // Still retrying (not exited); a stop while it connects is clean, as before.
    expect(sink.exitCode).toBeNull();
    sink.kill('SIGTERM');
    expect(await sink.exited).toBe(0);
  }, 120_000);
});
