/** Reads the sink's settings from the environment (the same names the server uses). */
export function loadSinkConfig(env: NodeJS.ProcessEnv = process.env) {
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is required (e.g. 127.0.0.1:9092)');
  return {
    brokers: env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
    topicPrefix: env.KAFKA_TOPIC_PREFIX || 'playloop',
    groupId: env.KAFKA_GROUP_ID || 'playloop-sink',
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    clickhouseDatabase: env.CLICKHOUSE_DATABASE || 'playloop',
    dataDir: env.DATA_DIR || './data',
    partitionsConsumedConcurrently: Number(env.SINK_CONCURRENCY || 16),
  };
}
