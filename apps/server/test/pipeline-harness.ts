import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { dlqTopic, eventTopics } from '@playloop/contracts';
import { openAnalyticsStore, openClickHouseExecutor, type AnalyticsStore } from '@playloop/analytics';
import { createSink, type Sink } from '../../sink/src/consumer.ts';
import { inProcessPipeline, openPipeline, type Pipeline } from '../src/modules/outbox/pipeline.ts';
import { buildTestApp, type TestContext } from './build-app.ts';

export interface PipelineHarness {
  ctx: TestContext;
  /** 'kafka' when KAFKA_BROKERS is set, else 'embedded'; the store is ClickHouse when CLICKHOUSE_URL is set, else chDB. */
  mode: 'kafka' | 'embedded';
  /** Publishes what the outbox holds (embedded: into the store; Kafka: to the broker). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An app wired to the analytics pipeline the environment names: outbox → in-process relay → chDB
 * (the embedded default), or outbox → Kafka → sink → ClickHouse when KAFKA_BROKERS (and
 * CLICKHOUSE_URL) are set. Each harness uses its own topics, consumer group and database.
 */
export async function openPipelineHarness(): Promise<PipelineHarness> {
  const brokers = process.env.KAFKA_BROKERS?.split(',');
  const clickhouseUrl = process.env.CLICKHOUSE_URL;
  const runId = randomUUID().replaceAll('-', '').slice(0, 10);
  const database = `playloop_loop_${runId}`;
  let dataDir: string | undefined;
  let store: AnalyticsStore;
  if (clickhouseUrl) {
    store = await openAnalyticsStore({ clickhouseUrl, database });
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-loop-'));
    store = await openAnalyticsStore({ dataDir });
  }

  let pipeline: Pipeline;
  let sink: Sink | undefined;
  const prefix = `l${runId}`;
  const topics = [...eventTopics(prefix), dlqTopic(prefix)];
  if (brokers) {
    const admin = new Kafka({ clientId: 'loop', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
    await admin.disconnect();
    const groupId = `sink-${runId}`;
    pipeline = await openPipeline(
      { kafkaBrokers: brokers.join(','), kafkaTopicPrefix: prefix, clickhouseUrl, dataDir: dataDir ?? tmpdir() },
      { store, groupId, relay: { pollMs: 50, backoff: { initialMs: 100, maxMs: 1_000 } } },
    );
    sink = createSink({ brokers, topicPrefix: prefix, groupId, store });
    await sink.start();
  } else {
    pipeline = inProcessPipeline(store, { autoStart: false });
  }
  const ctx = await buildTestApp({ pipeline });

  return {
    ctx,
    mode: brokers ? 'kafka' : 'embedded',
    async flush() {
      await ctx.app.outboxRelay?.drain();
    },
    async close() {
      await ctx.close();
      await sink?.stop();
      await pipeline.close(); // closes the store too
      if (clickhouseUrl) {
        const exec = openClickHouseExecutor({ url: clickhouseUrl });
        await exec.command(`DROP DATABASE IF EXISTS ${database}`);
        await exec.close();
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (brokers) {
        const admin = new Kafka({ clientId: 'loop', brokers, logLevel: logLevel.NOTHING }).admin();
        await admin.connect().then(
          () => admin.deleteTopics({ topics }).finally(() => admin.disconnect()),
          () => {},
        );
      }
    },
  };
}
