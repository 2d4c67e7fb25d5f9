import { Kafka, logLevel, type Admin } from 'kafkajs';
import { eventTopics, kafkaGroupIdFrom } from '@playloop/contracts';
import { openAnalyticsStore, type AnalyticsStore } from '@playloop/analytics';
import type { Config } from '../../config.ts';
import { createInProcessPublisher, createKafkaPublisher } from './publishers.ts';
import type { Publisher } from './relay.ts';

/** What the server needs from the analytics pipeline: a publisher for the relay, a store for KPIs. */
export interface Pipeline {
  publisher: Publisher;
  /** The store the KPI endpoint reads (never the OLTP tables). */
  store: AnalyticsStore;
  /** The far side of the pipeline, for GET /api/admin/pipeline. */
  sinkStatus(): Promise<Record<string, unknown>>;
  /** Settings for the relay the app runs (tests turn the background loop off). */
  relay?: { autoStart?: boolean; batchSize?: number; pollMs?: number; lingerMs?: number; backoff?: { initialMs: number; maxMs: number } };
  close(): Promise<void>;
}

/** The in-process pipeline: the relay writes straight into `store`. */
export function inProcessPipeline(store: AnalyticsStore, relay?: Pipeline['relay']): Pipeline {
  const publisher = createInProcessPublisher(store);
  return {
    publisher,
    store,
    relay,
    async sinkStatus() {
      return { mode: 'in-process', store: store.kind, ...publisher.stats(), ...(await storeStatus(store)) };
    },
    close: () => store.close(),
  };
}

/**
 * Opens the configured pipeline: with KAFKA_BROKERS the relay publishes to Kafka and the sink
 * workers write to ClickHouse; without it, batches go straight to the analytics store. The store
 * is a ClickHouse server with CLICKHOUSE_URL, else chDB under DATA_DIR; its database is
 * CLICKHOUSE_DATABASE (`playloop`), the one the sink workers write with the same setting. The
 * lag reported is that of KAFKA_GROUP_ID (`<KAFKA_TOPIC_PREFIX>-sink`), the sink workers' group.
 */
export async function openPipeline(
  config: Pick<Config, 'kafkaBrokers' | 'kafkaTopicPrefix' | 'clickhouseUrl' | 'dataDir'> & Partial<Pick<Config, 'clickhouseDatabase' | 'kafkaGroupId'>>,
  options: {
    /** The sink workers' consumer group, instead of the config's (tests). */
    groupId?: string;
    /** An analytics store already open (tests); otherwise one is opened from the config. */
    store?: AnalyticsStore;
    relay?: Pipeline['relay'];
  } = {},
): Promise<Pipeline> {
  const store =
    options.store ?? (await openAnalyticsStore({ clickhouseUrl: config.clickhouseUrl, dataDir: config.dataDir, database: config.clickhouseDatabase }));
  if (!config.kafkaBrokers) return inProcessPipeline(store, options.relay);

  const brokers = config.kafkaBrokers.split(',').map((b) => b.trim()).filter(Boolean);
  const publisher = createKafkaPublisher({ brokers, topicPrefix: config.kafkaTopicPrefix });
  const groupId = options.groupId ?? config.kafkaGroupId ?? kafkaGroupIdFrom(undefined, config.kafkaTopicPrefix);
  const lag = createLagReader(brokers, groupId, eventTopics(config.kafkaTopicPrefix));
  return {
    publisher,
    store,
    relay: options.relay,
    sinkStatus: async () => ({
      mode: 'kafka',
      store: store.kind,
      consumer_group: groupId,
      ...(await lag.read()),
      ...(await storeStatus(store)),
    }),
    async close() {
      await lag.close();
      await publisher.close();
      await store.close();
    },
  };
}

async function storeStatus(store: AnalyticsStore): Promise<Record<string, unknown>> {
  try {
    const stats = await store.stats();
    return { store_reachable: true, store_rows: stats.rows, store_last_insert_at: stats.last_insert_at };
  } catch (err) {
    return { store_reachable: false, store_error: (err as Error).message.slice(0, 200) };
  }
}

/**
 * Messages the consumer group has not committed yet, per topic and in all. One admin client is kept
 * between calls; a failed call drops it so the next one reconnects.
 */
function createLagReader(brokers: string[], groupId: string, topics: string[]) {
  let admin: Admin | undefined;
  const kafka = new Kafka({
    clientId: 'playloop-pipeline-status',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 3_000,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
  });
  return {
    async read(): Promise<Record<string, unknown>> {
      try {
        if (!admin) {
          admin = kafka.admin();
          await admin.connect();
        }
        const lagByTopic: Record<string, number> = {};
        const committed = await admin.fetchOffsets({ groupId, topics });
        for (const { topic, partitions } of committed) {
          const ends = await admin.fetchTopicOffsets(topic);
          let lag = 0;
          for (const end of ends) {
            const done = partitions.find((p) => p.partition === end.partition);
            const from = done && Number(done.offset) >= 0 ? Number(done.offset) : Number(end.low);
            lag += Math.max(0, Number(end.high) - from);
          }
          lagByTopic[topic] = lag;
        }
        return { kafka_reachable: true, lag: Object.values(lagByTopic).reduce((a, b) => a + b, 0), lag_by_topic: lagByTopic };
      } catch (err) {
        const stale = admin;
        admin = undefined;
        await stale?.disconnect().catch(() => {});
        return { kafka_reachable: false, kafka_error: (err as Error).message.slice(0, 200) };
      }
    },
    async close() {
      await admin?.disconnect().catch(() => {});
      admin = undefined;
    },
  };
}
