import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closedPort } from './closed-port.ts';

// scripts/kafka.sh as the README has a newcomer run it (`npm run kafka`): what it says.
const KAFKA_SCRIPT = fileURLToPath(new URL('../../../scripts/kafka.sh', import.meta.url));
const BROKERS = process.env.KAFKA_BROKERS;

/** Runs the script to its end; its exit code and what it printed (its lines go to stderr). */
function kafkaScript(args: string[], env: Record<string, string>, timeout = 60_000): Promise<{ code: number; output: string }> {
  const base = { ...process.env };
  for (const k of ['KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'KAFKA_DATA_DIR', 'KAFKA_TOPIC_PREFIX', 'KAFKA_PARTITIONS']) delete base[k];
  return new Promise((resolve) => {
    execFile('bash', [KAFKA_SCRIPT, ...args], { env: { ...base, ...env }, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'playloop-kafka-script-'));
  dirs.push(dir);
  return dir;
};

describe('scripts/kafka.sh', () => {
  it('status says "not running" and where the broker would answer, exit 1 (it printed nothing)', async () => {
    const [port, dataDir] = [await closedPort(), tempDir()];
    const { code, output } = await kafkaScript(['status'], { KAFKA_PORT: String(port), KAFKA_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(output).toBe(`kafka.sh: not running (it would answer on 127.0.0.1:${port}, data in ${dataDir}; start it with scripts/kafka.sh start)\n`);
  });

  it('refuses a topic prefix Kafka could not name topics after, before it starts a JVM', async () => {
    const { code, output } = await kafkaScript(['topics', 'nu test'], { KAFKA_DATA_DIR: tempDir() });
    expect(code).toBe(2);
    expect(output).toBe(`kafka.sh: not a topic prefix: "nu test" (letters, digits, '.', '_' and '-' only)\n`);
  });

  // A broker of its own (free ports, its own data folder) from the jars `npm run kafka` fetched:
  // the pipeline suite runs where those are.
  it.skipIf(!BROKERS)(
    'start names the topics of KAFKA_TOPIC_PREFIX it created, then found; topics PREFIX adds another; the announced log has the broker in it',
    async () => {
      const [port, controllerPort, dataDir] = [await closedPort(), await closedPort(), tempDir()];
      const prefix = `k${randomUUID().replaceAll('-', '').slice(0, 8)}`;
      const env = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controllerPort), KAFKA_DATA_DIR: dataDir, KAFKA_HEAP: '256m', KAFKA_PARTITIONS: '1', KAFKA_TOPIC_PREFIX: prefix };
      const topics = (p: string) => ['users', 'gameplay', 'liveops', 'rewards', 'shop', 'dlq'].map((f) => `${p}.${f}.v1`).join(' ');
      const logFile = path.join(dataDir, 'kafka.log');
      try {
        const first = await kafkaScript(['start'], env, 180_000);
        expect(first.code).toBe(0);
        expect(first.output).toContain(`log ${logFile}\n`);
        // Before, the topics line of a first start was thrown away with the retries' errors.
        expect(first.output).toContain(`kafka.sh: topics created ${topics(prefix)} (1 partition each)\n`);
        // Before, the broker logged into logs/server.log and the announced kafka.log stayed empty.
        expect(readFileSync(logFile, 'utf8')).toMatch(/\] INFO .*Creating new partition .*\.v1-0/);

        const again = await kafkaScript(['start'], env);
        expect(again.code).toBe(0);
        expect(again.output).toContain(`kafka.sh: topics already there: ${topics(prefix)}\n`);

        const other = `${prefix}x`;
        const added = await kafkaScript(['topics', other, prefix], env);
        expect(added.code).toBe(0);
        expect(added.output).toBe(`kafka.sh: topics created ${topics(other)} (1 partition each)\nkafka.sh: topics already there: ${topics(prefix)}\n`);

        const status = await kafkaScript(['status'], env);
        expect(status).toMatchObject({ code: 0, output: expect.stringMatching(new RegExp(`^kafka.sh: running \\(pid \\d+\\), answering on 127.0.0.1:${port}, log ${logFile}\\n$`)) });
      } finally {
        await kafkaScript(['stop'], env, 60_000);
      }
    },
    300_000,
  );
});
