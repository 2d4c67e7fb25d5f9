import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clickhouseDatabaseFrom } from '@playloop/analytics';
import { kafkaGroupIdFrom, kafkaTopicPrefixFrom } from '@playloop/contracts';

// DATA_DIR's default is the repository's ./data, as the server's: `npm run sink` runs in apps/sink.
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** SINK_CONCURRENCY: how many partitions' batches are handled at once, 1 to 256. */
function concurrencyOf(value: string | undefined): number {
  if (!value) return 16;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`SINK_CONCURRENCY must be a whole number from 1 to 256, got "${value}"`);
  return n;
}

/**
 * The store the sink writes: the ClickHouse server at CLICKHOUSE_URL, which the API servers read
 * the KPIs from. A worker writing anywhere else still joins the group and takes its share of the
 * partitions, so the events of those partitions would vanish from every server's KPIs while the
 * pipeline looks healthy: without CLICKHOUSE_URL the sink refuses to start, as the server refuses
 * KAFKA_BROKERS without it. `SINK_STORE=chdb` asks for chDB under DATA_DIR on purpose (tests, a
 * single-process trial in a group of its own): only one process at a time can open it.
 */
function storeOf(env: NodeJS.ProcessEnv): { clickhouseUrl: string | undefined } {
  const clickhouseUrl = env.CLICKHOUSE_URL || undefined;
  const store = env.SINK_STORE || undefined;
  if (store !== undefined && store !== 'chdb') throw new Error(`SINK_STORE must be chdb or unset, got "${store}"`);
  if (store === 'chdb' && clickhouseUrl) throw new Error('SINK_STORE=chdb and CLICKHOUSE_URL are both set: unset one (CLICKHOUSE_URL writes to that ClickHouse server)');
  if (store === undefined && !clickhouseUrl) {
    throw new Error(
      'KAFKA_BROKERS needs CLICKHOUSE_URL: the sink writes the events to the ClickHouse server the API servers read the KPIs from, and a worker writing elsewhere still takes its share of the consumer group\'s partitions from the real sinks; set CLICKHOUSE_URL (and CLICKHOUSE_DATABASE) as for the server, or SINK_STORE=chdb for a chDB under DATA_DIR that only this process can read',
    );
  }
  return { clickhouseUrl };
}

/** Reads the sink's settings from the environment (the same names the server uses). */
export function loadSinkConfig(env: NodeJS.ProcessEnv = process.env) {
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is required (e.g. 127.0.0.1:9092)');
  const topicPrefix = kafkaTopicPrefixFrom(env.KAFKA_TOPIC_PREFIX);
  return {
    brokers: env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
    topicPrefix,
    groupId: kafkaGroupIdFrom(env.KAFKA_GROUP_ID, topicPrefix),
    ...storeOf(env),
    clickhouseDatabase: clickhouseDatabaseFrom(env.CLICKHOUSE_DATABASE),
    dataDir: env.DATA_DIR || path.join(REPO_ROOT, 'data'),
    partitionsConsumedConcurrently: concurrencyOf(env.SINK_CONCURRENCY),
  };
}
