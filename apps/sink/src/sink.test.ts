import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlqTopic, eventTopics, examplePayloads, newEventId, topicFor, type Envelope } from '@playloop/contracts';
import { openAnalyticsStore, openClickHouseExecutor, type AnalyticsStore } from '@playloop/analytics';
import { createKafkaPublisher, toOutboxMessage, type KafkaPublisher } from '../../server/src/modules/outbox/publishers.ts';
import { loadSinkConfig } from './config.ts';
import { createSink, type Sink } from './consumer.ts';

// Real Apache Kafka (scripts/kafka.sh) into chDB, or into the ClickHouse server when
// CLICKHOUSE_URL is set. Each run uses its own topic prefix, consumer groups and database.
const BROKERS = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL;
const DAY = '2026-11-20';

const runId = randomUUID().replaceAll('-', '').slice(0, 10);
const prefix = `t${runId}`;
const database = `playloop_sink_${runId}`;
// Two more installs on the same Kafka, each with its own prefix and a day of its own in the store.
const installs = ['a', 'b'].map((x, i) => ({ prefix: `s${x}${runId}`, day: `2026-11-2${i + 1}` }));
// Topics of one partition each, for the DLQ test: a bad message and a good one in one batch.
const dlqTestPrefix = `d${runId}`;
// Every topic of the run, created up front: KafkaJS's createTopics in the middle of the run, right
// after other topics were deleted, sometimes failed ("This server does not host this topic-partition").
// The partitions' leaders are waited for (see beforeAll).
const topicsOf = (p: string) => [...eventTopics(p), dlqTopic(p)];
const allTopics = [...topicsOf(prefix), ...installs.flatMap((install) => topicsOf(install.prefix)), ...topicsOf(dlqTestPrefix)];
let kafka: Kafka;
let admin: Admin;
let store: AnalyticsStore;
let publisher: KafkaPublisher;
let dataDir: string | undefined;

const envelope = (type: 'user.signup' | 'user.login' | 'shop.purchase.succeeded', userId: string, time = '12:00:00', day = DAY): Envelope =>
  ({
    event_id: newEventId(new Date(`${day}T${time}Z`)),
    event_type: type,
    user_id: userId,
    ts: `${day}T${time}.000Z`,
    trace_id: randomUUID(),
    payload: type === 'shop.purchase.succeeded' ? { ...examplePayloads[type], total_price: 10, currency_type: 'soft' } : examplePayloads[type],
    version: 1,
  }) as Envelope;

/** Signups, logins and purchases of `users` new players; returns the envelopes and the KPIs they make. */
function world(users: number) {
  const events: Envelope[] = [];
  for (let i = 0; i < users; i += 1) {
    const id = randomUUID();
    events.push(envelope('user.signup', id, '08:00:00'), envelope('user.login', id, '09:00:00'));
    if (i % 4 === 0) events.push(envelope('shop.purchase.succeeded', id, '10:00:00'));
  }
  const purchases = Math.ceil(users / 4);
  return { events, totals: { active_users: users, signups: users, sessions: 0, claims: 0, purchases, revenue: { soft: purchases * 10, premium: 0 } } };
}

async function totals() {
  return (await store.kpis(DAY, DAY)).totals;
}

type Totals = Awaited<ReturnType<typeof totals>>;
/** The totals after `added` (a `world`'s, no sessions or claims) on top of `before`. */
const plus = (before: Totals, added: ReturnType<typeof world>['totals']): Totals => ({
  active_users: before.active_users + added.active_users,
  signups: before.signups + added.signups,
  sessions: 0,
  claims: 0,
  purchases: before.purchases + added.purchases,
  revenue: { soft: before.revenue.soft + added.revenue.soft, premium: 0 },
});

async function groupLag(groupId: string): Promise<number> {
  let lag = 0;
  for (const topic of eventTopics(prefix)) {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const end of ends) {
      const done = committed?.partitions.find((p) => p.partition === end.partition);
      const at = done && Number(done.offset) >= 0 ? Number(done.offset) : 0;
      lag += Number(end.high) - at;
    }
  }
  return lag;
}

const sinkFor = (groupId: string): Sink =>
  createSink({ brokers: BROKERS!, topicPrefix: prefix, groupId, store, writeRetry: { attempts: 3, initialMs: 50, maxMs: 200 } });

describe.skipIf(!BROKERS)('sink on Apache Kafka', () => {
  beforeAll(async () => {
    kafka = new Kafka({ clientId: 'sink-test', brokers: BROKERS!, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        ...topicsOf(prefix).map((topic) => ({ topic, numPartitions: 2 })),
        ...installs.flatMap((install) => topicsOf(install.prefix)).map((topic) => ({ topic, numPartitions: 3 })),
        ...topicsOf(dlqTestPrefix).map((topic) => ({ topic, numPartitions: 1 })),
      ],
    });
    // Created is not yet ready: a produce right after sometimes failed ("Out of bounds.", from
    // @platformatic/kafka reading the broker's answer). Each partition's leader answering a
    // ListOffsets request is.
    for (const topic of allTopics) {
      for (let attempt = 1; !(await admin.fetchTopicOffsets(topic).then(() => true, () => false)); attempt += 1) {
        if (attempt >= 300) throw new Error(`no leader answers for every partition of ${topic}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (CLICKHOUSE_URL) {
      store = await openAnalyticsStore({ clickhouseUrl: CLICKHOUSE_URL, database });
    } else {
      dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-sink-'));
      store = await openAnalyticsStore({ dataDir });
    }
    publisher = createKafkaPublisher({ brokers: BROKERS!, topicPrefix: prefix });
  });

  afterAll(async () => {
    await publisher?.close();
    await admin?.deleteTopics({ topics: allTopics }).catch(() => {});
    await admin?.disconnect();
    if (CLICKHOUSE_URL) {
      const exec = openClickHouseExecutor({ url: CLICKHOUSE_URL });
      await exec.command(`DROP DATABASE IF EXISTS ${database}`);
      await exec.close();
    }
    await store?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start while a topic it reads or writes is missing, naming those topics and what creates them', async () => {
    // Only the users topic of this prefix exists. KafkaJS alone said "This server does not host
    // this topic-partition", naming none.
    const other = `m${runId}`;
    const [users, ...rest] = eventTopics(other);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: users!, numPartitions: 1 }] });
    try {
      const sink = createSink({ brokers: BROKERS!, topicPrefix: other, groupId: `gm-${runId}`, store });
      const missing = [...rest, dlqTopic(other)];
      await expect(sink.start()).rejects.toThrow(
        `Kafka has no topic ${missing.join(', ')} (the broker does not create topics): create the topics of KAFKA_TOPIC_PREFIX=${other} with \`KAFKA_TOPIC_PREFIX=${other} npm run kafka\``,
      );
      // It never joined the group.
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      expect(groups).not.toContain(`gm-${runId}`);
    } finally {
      await admin.deleteTopics({ topics: [users!] }).catch(() => {});
    }
  });

  it('writes what the relay publishes, dead-letters malformed messages and goes on, and counts a redelivery once', async () => {
    const { events, totals: expected } = world(40);
    const groupId = `g1-${runId}`;
    const sink = sinkFor(groupId);
    await sink.start();
    try {
      await publisher.publish(events.slice(0, 30).map(toOutboxMessage));
      // Three bad messages in the middle of the stream: not JSON, not an envelope, wrong topic.
      const producer = kafka.producer();
      await producer.connect();
      const usersTopic = topicFor('user.signup', prefix);
      const wrongTopic = events.find((e) => e.event_type === 'user.login')!;
      const bad = [
        { topic: usersTopic, key: 'k1', value: '{"event_type": "user.signup", ' },
        { topic: usersTopic, key: 'k2', value: JSON.stringify({ ...events[0], version: 2 }) },
        { topic: topicFor('shop.purchase.succeeded', prefix), key: wrongTopic.user_id, value: JSON.stringify(wrongTopic) },
      ];
      for (const m of bad) await producer.send({ topic: m.topic, messages: [{ key: m.key, value: m.value, headers: { origin: 'test' } }] });
      await producer.disconnect();
      await publisher.publish(events.slice(30).map(toOutboxMessage));

      await expect.poll(totals, { timeout: 60_000, interval: 250 }).toEqual(expected);
      await expect.poll(() => sink.stats().dead_lettered, { timeout: 30_000 }).toBe(3);

      // The DLQ keeps the original bytes, with the reason and where each message came from.
      const letters = await readTopic(dlqTopic(prefix), 3);
      expect(letters.map((l) => l.value).sort()).toEqual(bad.map((b) => b.value).sort());
      for (const l of letters) {
        expect(l.headers).toMatchObject({ origin: 'test', 'dlq-topic': expect.stringMatching(new RegExp(`^${prefix}\\.`)) });
        expect(l.headers['dlq-partition']).toMatch(/^\d+$/);
        expect(l.headers['dlq-offset']).toMatch(/^\d+$/);
      }
      expect(letters.map((l) => l.headers['dlq-reason']).sort()).toEqual(['invalid_envelope', 'invalid_json', 'wrong_topic']);

      // A batch delivered again (the relay retrying after a lost acknowledgement) changes nothing.
      const written = sink.stats().written;
      await publisher.publish(events.slice(0, 25).map(toOutboxMessage));
      await expect.poll(() => sink.stats().written, { timeout: 30_000 }).toBeGreaterThanOrEqual(written + 25);
      expect(await totals()).toEqual(expected);
      await expect.poll(() => groupLag(groupId), { timeout: 30_000 }).toBe(0);
    } finally {
      await sink.stop();
    }
  });

  it('stops cleanly with everything it read committed; a restarted worker reads nothing twice', async () => {
    const groupId = `g2-${runId}`;
    const first = sinkFor(groupId);
    await first.start();
    await expect.poll(() => groupLag(groupId), { timeout: 60_000, interval: 250 }).toBe(0);
    await first.stop();
    const second = sinkFor(groupId);
    await second.start();
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      expect(second.stats().batches).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it('builds a new consumer when KafkaJS gives one up, and loses and repeats nothing', async () => {
    const before = await totals();
    const { events, totals: added } = world(30);
    const groupId = `g4-${runId}`;
    // The store fails its first insert with an error KafkaJS does not retry (a TypeError, as
    // fetch's "fetch failed" is): KafkaJS stops the consumer for good.
    let failures = 1;
    const flaky: AnalyticsStore = {
      ...store,
      insertEvents: async (envelopes) => {
        if (failures > 0) {
          failures -= 1;
          throw new TypeError('store client failed');
        }
        return store.insertEvents(envelopes);
      },
    };
    const crashes: unknown[] = [];
    const sink = createSink({
      brokers: BROKERS!,
      topicPrefix: prefix,
      groupId,
      store: flaky,
      writeRetry: { attempts: 1, initialMs: 50, maxMs: 50 },
      restartBackoff: { initialMs: 50, maxMs: 500 },
      log: (level, message, extra) => {
        if (message.startsWith('consumer crashed')) crashes.push(extra?.restart);
      },
    });
    await publisher.publish(events.map(toOutboxMessage));
    await sink.start();
    try {
      await expect.poll(() => groupLag(groupId), { timeout: 60_000, interval: 250 }).toBe(0);
      expect(crashes).toEqual([false]);
      expect(sink.stats().restarts).toBe(1);
      expect(failures).toBe(0);
    } finally {
      await sink.stop();
    }
    expect(await totals()).toEqual(plus(before, added));
  }, 120_000);

  // Two installs on one Kafka set up as the runbook says, each with its own KAFKA_TOPIC_PREFIX (and
  // its own database; here one store, a day each), KAFKA_GROUP_ID unset: both installs' sinks were
  // in the group `playloop-sink`, whose leader assigned only its own install's topics, and the
  // other install's events were read by nobody.
  it("delivers each install's events when two installs with their own prefixes share the Kafka", async () => {
    const storeEnv = CLICKHOUSE_URL ? { CLICKHOUSE_URL } : { SINK_STORE: 'chdb' };
    const sinks: Sink[] = [];
    const publishers: KafkaPublisher[] = [];
    try {
      for (const install of installs) {
        const { groupId } = loadSinkConfig({ KAFKA_BROKERS: BROKERS!.join(','), KAFKA_TOPIC_PREFIX: install.prefix, ...storeEnv });
        // The default group, made this run's: the broker keeps other runs' groups.
        const sink = createSink({ brokers: BROKERS!, topicPrefix: install.prefix, groupId: `${groupId}-${runId}`, store });
        sinks.push(sink);
        await sink.start();
        publishers.push(createKafkaPublisher({ brokers: BROKERS!, topicPrefix: install.prefix }));
      }
      const n = 30;
      for (const [i, { day }] of installs.entries()) {
        await publishers[i]!.publish(Array.from({ length: n }, () => toOutboxMessage(envelope('user.signup', randomUUID(), '08:00:00', day))));
      }
      const signups = () => Promise.all(installs.map(async ({ day }) => (await store.kpis(day, day)).totals.signups));
      await expect.poll(signups, { timeout: 30_000, interval: 500 }).toEqual([n, n]);
    } finally {
      for (const sink of sinks) await sink.stop().catch(() => {});
      for (const p of publishers) await p.close();
    }
  }, 90_000);

  // A batch whose insert fails is not committed and comes again; its bad message went to the DLQ
  // at every delivery (three copies after two failed inserts).
  it('dead-letters a bad message once, however many times its batch is delivered again', async () => {
    const own = dlqTestPrefix;
    const day = '2026-11-23';
    // The store refuses the first two inserts (ClickHouse down for a moment), then takes them.
    let failures = 2;
    const flaky: AnalyticsStore = {
      ...store,
      insertEvents: async (envelopes) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('ClickHouse is down');
        }
        return store.insertEvents(envelopes);
      },
    };
    const sink = createSink({
      brokers: BROKERS!,
      topicPrefix: own,
      groupId: `gd-${runId}`,
      store: flaky,
      writeRetry: { attempts: 1, initialMs: 10, maxMs: 10 },
      restartBackoff: { initialMs: 50, maxMs: 200 },
    });
    try {
      // One partition: the bad message and the good one come in the same batch, every time.
      const userId = randomUUID();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: topicFor('user.signup', own),
        messages: [{ key: userId, value: '{"not":"an envelope"}' }, { key: userId, value: JSON.stringify(envelope('user.signup', userId, '08:00:00', day)) }],
      });
      await producer.disconnect();
      await sink.start();
      await expect.poll(async () => (await store.kpis(day, day)).totals.signups, { timeout: 60_000, interval: 500 }).toBe(1);
      expect(failures).toBe(0);
      expect(sink.stats().dead_lettered).toBe(1);
    } finally {
      await sink.stop();
    }
    const [dlq] = await admin.fetchTopicOffsets(dlqTopic(own));
    expect(Number(dlq!.high)).toBe(1);
  }, 90_000);

  it('loses nothing and counts nothing twice when a worker is SIGKILLed mid-stream and restarted', async () => {
    const before = await totals();
    const { events, totals: added } = world(1500);
    const groupId = `g3-${runId}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_BROKERS: BROKERS!.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: groupId,
      SINK_CONCURRENCY: '1',
      ...(CLICKHOUSE_URL ? { CLICKHOUSE_URL, CLICKHOUSE_DATABASE: database } : {}),
    };
    if (!CLICKHOUSE_URL) {
      // chDB admits one process per directory: this test hands the directory over to the worker,
      // which writes there only when asked (without CLICKHOUSE_URL it refuses to start).
      await store.close();
      env.DATA_DIR = dataDir!;
      env.SINK_STORE = 'chdb';
    }
    // The backlog is in Kafka first; the worker is killed once it has committed part of it.
    for (let i = 0; i < events.length; i += 500) await publisher.publish(events.slice(i, i + 500).map(toOutboxMessage));
    const backlog = await groupLag(groupId);
    expect(backlog).toBeGreaterThanOrEqual(events.length);
    const firstRun = startWorker(env);
    let lagAtKill = 0;
    try {
      await expect.poll(() => groupLag(groupId), { timeout: 60_000, interval: 20 }).toBeLessThan(backlog);
    } finally {
      firstRun.kill('SIGKILL');
      await new Promise((r) => firstRun.once('exit', r));
      lagAtKill = await groupLag(groupId);
    }
    expect(lagAtKill).toBeGreaterThan(0);
    const secondRun = startWorker(env);
    try {
      await waitForLine(secondRun, /"message":"consuming"/, 60_000);
      await expect.poll(() => groupLag(groupId), { timeout: 120_000, interval: 500 }).toBe(0);
      secondRun.kill('SIGTERM');
      const code = await new Promise((r) => secondRun.once('exit', r));
      expect(code).toBe(0);
    } finally {
      if (secondRun.exitCode === null) secondRun.kill('SIGKILL');
    }
    if (!CLICKHOUSE_URL) store = await openAnalyticsStore({ dataDir: dataDir! });
    // The new group read the whole topics from the start: the earlier tests' events as well.
    expect(await totals()).toEqual(plus(before, added));
  }, 240_000);
});

async function readTopic(topic: string, count: number) {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: { value: string; headers: Record<string, string> }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} from ${topic}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ value: message.value?.toString() ?? '', headers });
        if (out.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

const SINK_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

function startWorker(env: NodeJS.ProcessEnv): ChildProcess & { output: string } {
  const child = spawn(process.execPath, ['--import', 'tsx', SINK_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    output: string;
  };
  child.output = '';
  child.stdout?.on('data', (d: Buffer) => (child.output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (child.output += d.toString()));
  return child;
}

async function waitForLine(child: ChildProcess & { output: string }, pattern: RegExp, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output)) {
    if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}: ${child.output}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} from the worker: ${child.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
