/**
 * Pipeline throughput: events per second from the outbox to the analytics store, and how long the
 * last event took to land. `npm run bench` (or `node --import tsx bench/pipeline.ts`).
 *
 *   BENCH_EVENTS (20000)   events written to the outbox before the clock starts
 *   BENCH_BATCH (500)      relay batch size
 *   KAFKA_BROKERS          also run the Kafka path: relay → Kafka → sink (in this process) → store
 *   CLICKHOUSE_URL         write to this ClickHouse server instead of chDB in a temporary folder
 *
 * The outbox is PGlite in memory (or DATABASE_URL). Each run uses its own topics and database,
 * deleted afterwards. Prints one JSON line per path.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { dlqTopic, eventTopics, examplePayloads, type EnvelopeEventType } from '@playloop/contracts';
import { openAnalyticsStore, openClickHouseExecutor, type AnalyticsStore } from '@playloop/analytics';
import { openDatabase, type Database } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { systemClock } from '../apps/server/src/lib/clock.ts';
import { createInProcessPublisher, createKafkaPublisher } from '../apps/server/src/modules/outbox/publishers.ts';
import { createOutboxRelay, type Publisher } from '../apps/server/src/modules/outbox/relay.ts';
import { appendOutbox } from '../apps/server/src/modules/outbox/service.ts';
import { createSink } from '../apps/sink/src/consumer.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const BROKERS = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL;
const runId = randomUUID().replaceAll('-', '').slice(0, 8);

const MIX: EnvelopeEventType[] = ['user.login', 'game.session.start', 'game.session.end', 'event.progress', 'reward.granted'];

/** Writes `n` events for `n / 10` users into the outbox, 500 per transaction. */
async function fillOutbox(database: Database, n: number): Promise<void> {
  const users = Array.from({ length: Math.max(1, Math.ceil(n / 10)) }, () => randomUUID());
  for (let i = 0; i < n; i += 500) {
    await database.db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(n, i + 500); j += 1) {
        const eventType = MIX[j % MIX.length]!;
        await appendOutbox(trx, { eventType, userId: users[j % users.length]!, payload: examplePayloads[eventType], now: new Date() } as never);
      }
    });
  }
}

async function storedEvents(store: AnalyticsStore): Promise<number> {
  return (await store.stats()).rows;
}

async function run(name: string, store: AnalyticsStore, publisher: Publisher, waitForStore: boolean) {
  const database = await openDatabase({ url: process.env.DATABASE_URL });
  await migrate(database);
  try {
    await database.db.deleteFrom('outbox' as never).execute();
    const before = await storedEvents(store);
    await fillOutbox(database, EVENTS);
    const relay = createOutboxRelay({ db: database.db, clock: systemClock, publisher, batchSize: BATCH });
    const started = performance.now();
    await relay.drain();
    const relayed = performance.now();
    if (waitForStore) {
      while ((await storedEvents(store)) - before < EVENTS) await new Promise((r) => setTimeout(r, 20));
    }
    const landed = performance.now();
    const seconds = (landed - started) / 1000;
    console.log(
      JSON.stringify({
        path: name,
        store: store.kind,
        events: EVENTS,
        batch: BATCH,
        relay_s: Number(((relayed - started) / 1000).toFixed(2)),
        total_s: Number(seconds.toFixed(2)),
        events_per_s: Math.round(EVENTS / seconds),
        last_event_lag_ms: Math.round(landed - relayed),
      }),
    );
  } finally {
    await database.close();
  }
}

async function main() {
  const database = `playloop_bench_${runId}`;
  let dataDir: string | undefined;
  let store: AnalyticsStore;
  if (CLICKHOUSE_URL) {
    store = await openAnalyticsStore({ clickhouseUrl: CLICKHOUSE_URL, database });
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-bench-'));
    store = await openAnalyticsStore({ dataDir });
  }
  try {
    await run('outbox → in-process relay → store', store, createInProcessPublisher(store), false);

    if (BROKERS) {
      const prefix = `bench${runId}`;
      const admin = new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const topics = [...eventTopics(prefix), dlqTopic(prefix)];
      await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
      const sink = createSink({ brokers: BROKERS, topicPrefix: prefix, groupId: `bench-${runId}`, store });
      await sink.start();
      const publisher = createKafkaPublisher({ brokers: BROKERS, topicPrefix: prefix });
      try {
        await run('outbox → relay → Kafka → sink → store', store, publisher, true);
      } finally {
        await publisher.close();
        await sink.stop();
        await admin.deleteTopics({ topics }).catch(() => {});
        await admin.disconnect();
      }
    }
  } finally {
    if (CLICKHOUSE_URL) {
      const exec = openClickHouseExecutor({ url: CLICKHOUSE_URL });
      await exec.command(`DROP DATABASE IF EXISTS ${database}`);
      await exec.close();
    }
    await store.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
