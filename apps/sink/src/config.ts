import path from 'node:path';
import { fileURLToPath } from 'node:url';

// DATA_DIR's default is the repository's ./data, as the server's: `npm run sink` runs in apps/sink.
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** SINK_CONCURRENCY: how many partitions' batches are handled at once, 1 to 256. */
function concurrencyOf(value: string | undefined): number {
  if (!value) return 16;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`SINK_CONCURRENCY must be a whole number from 1 to 256, got "${value}"`);
  return n;
}

/** Reads the sink's settings from the environment (the same names the server uses). */
export function loadSinkConfig(env: NodeJS.ProcessEnv = process.env) {
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is required (e.g. 127.0.0.1:9092)');
  return {
    brokers: env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
    topicPrefix: env.KAFKA_TOPIC_PREFIX || 'playloop',
    groupId: env.KAFKA_GROUP_ID || 'playloop-sink',
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    clickhouseDatabase: env.CLICKHOUSE_DATABASE || 'playloop',
    dataDir: env.DATA_DIR || path.join(REPO_ROOT, 'data'),
    partitionsConsumedConcurrently: concurrencyOf(env.SINK_CONCURRENCY),
  };
}
