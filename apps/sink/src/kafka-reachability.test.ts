import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from './closed-port.ts';
import { dlqTopic, eventTopics } from '@playloop/contracts';
import type { AnalyticsStore } from '@playloop/analytics';
import { createSink } from './consumer.ts';
import { createKafkaReachability } from './kafka-reachability.ts';

type Logged = { level: string; message: string; extra?: Record<string, unknown> };

describe('createKafkaReachability', () => {
  const BROKERS = ['k1:9092', 'k2:9092'];
  const warn = { level: 'warn', message: 'cannot connect to Kafka; retrying', extra: { brokers: 'k1:9092,k2:9092', broker: 'k1:9092', error: 'Connection error: connect ECONNREFUSED' } };
  const connected = (failed_attempts: number, unreachable_for_s: number) => ({
    level: 'info',
    message: 'connected to Kafka',
    extra: { brokers: 'k1:9092,k2:9092', failed_attempts, unreachable_for_s },
  });

  // [at ms, what happened]: 'fail' a connection failed, 'reach' the brokers answered.
  it.each<[string, [number, 'fail' | 'reach'][], Logged[], { kafka_reachable: boolean; kafka_connect_failures: number }]>([
    ['connected at once: nothing to say', [[0, 'reach'], [250, 'reach']], [], { kafka_reachable: true, kafka_connect_failures: 0 }],
    ['the first failure warns', [[0, 'fail']], [warn], { kafka_reachable: false, kafka_connect_failures: 1 }],
    ['retries of the same outage do not warn again', [[0, 'fail'], [300, 'fail'], [900, 'fail'], [2_100, 'fail']], [warn], { kafka_reachable: false, kafka_connect_failures: 4 }],
    ['connecting after an outage is said once', [[0, 'fail'], [300, 'fail'], [4_000, 'reach'], [4_250, 'reach']], [warn, connected(2, 4)], { kafka_reachable: true, kafka_connect_failures: 2 }],
    ['a second outage warns again', [[0, 'fail'], [1_000, 'reach'], [60_000, 'fail'], [61_000, 'fail'], [69_000, 'reach']], [warn, connected(1, 1), warn, connected(2, 9)], { kafka_reachable: true, kafka_connect_failures: 3 }],
  ])('%s', (_name, events, expected, stats) => {
    let clock = 0;
    const logged: Logged[] = [];
    const reachability = createKafkaReachability(BROKERS, (level, message, extra) => logged.push({ level, message, extra }), () => clock);
    for (const [at, what] of events) {
      clock = at;
      if (what === 'fail') reachability.failed('k1:9092', 'Connection error: connect ECONNREFUSED');
      else reachability.reached();
    }
    expect(logged).toEqual(expected);
    expect(reachability.stats()).toEqual(stats);
  });

  // What KafkaJS logs (src/network/connection.js): a connection that could not be made, or that
  // broke, is a failure; a broker's error answer or a consumer's crash is not about reaching it.
  it.each([
    ['Connection', logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:1', 1],
    ['Connection', logLevel.ERROR, 'Connection timeout', 1],
    ['Connection', logLevel.ERROR, 'Connection error: read ECONNRESET', 1],
    ['Connection', logLevel.ERROR, 'Response Fetch(key: 1, version: 11)', 0],
    ['Consumer', logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: Connection error', 0],
    ['BrokerPool', logLevel.ERROR, 'Failed to connect to seed broker, trying another broker from the list: Connection error', 0],
    ['Connection', logLevel.DEBUG, 'Connecting', 0],
  ])('KafkaJS %s at level %s "%s" counts %i failures', (namespace, level, message, failures) => {
    const reachability = createKafkaReachability(['127.0.0.1:1'], () => {});
    reachability.kafkaLogCreator(logLevel.ERROR)({ namespace, level, label: 'ERROR', log: { timestamp: '', message, broker: '127.0.0.1:1' } });
    expect(reachability.stats().kafka_connect_failures).toBe(failures);
  });
});

// Kafka is reached before anything is written: a store that is never called.
const unusedStore = {
  kind: 'chdb',
  database: 'unused',
  insertEvents: () => Promise.reject(new Error('not written before Kafka answers')),
} as unknown as AnalyticsStore;

describe('the sink while no broker answers', () => {
  it('warns once, naming the brokers, at the first failed connection; retries as before, then gives up starting', async () => {
    const port = await closedPort();
    const logged: Logged[] = [];
    const sink = createSink({
      brokers: [`127.0.0.1:${port}`],
      topicPrefix: 'unreachable',
      groupId: 'unreachable',
      store: unusedStore,
      kafkaRetry: { retries: 3, initialRetryTime: 20, maxRetryTime: 50 },
      log: (level, message, extra) => logged.push({ level, message, extra }),
    });
    const failure = (await sink.start().catch((err: unknown) => err)) as Error & { retryCount?: number };
    // The connection was tried four times (KafkaJS's three retries), and said once.
    expect(failure).toMatchObject({ name: 'KafkaJSNumberOfRetriesExceeded', retryCount: 3 });
    expect(sink.stats()).toMatchObject({ kafka_reachable: false, kafka_connect_failures: 4 });
    expect(logged).toEqual([
      {
        level: 'warn',
        message: 'cannot connect to Kafka; retrying',
        extra: { brokers: `127.0.0.1:${port}`, broker: `127.0.0.1:${port}`, error: `Connection error: connect ECONNREFUSED 127.0.0.1:${port}` },
      },
    ]);
  });
});

const BROKERS = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);

describe.skipIf(!BROKERS)('the sink when the brokers come back (Apache Kafka)', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('says once that it connected, after the failed attempts, and joins the group', async () => {
    const prefix = `r${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const admin = new Kafka({ clientId: 'reachability-test', brokers: BROKERS!, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = [...eventTopics(prefix), dlqTopic(prefix)];
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
    // The sink's bootstrap address: closed at first, then a TCP relay to the real broker (whose
    // metadata then sends the clients to the broker's own address).
    const port = await closedPort();
    const logged: Logged[] = [];
    const sink = createSink({
      brokers: [`127.0.0.1:${port}`],
      topicPrefix: prefix,
      groupId: `g-${prefix}`,
      store: unusedStore,
      kafkaRetry: { retries: 50, initialRetryTime: 20, maxRetryTime: 100 },
      log: (level, message, extra) => logged.push({ level, message, extra }),
    });
    try {
      const started = sink.start();
      await expect.poll(() => sink.stats().kafka_connect_failures, { timeout: 30_000, interval: 10 }).toBeGreaterThanOrEqual(3);
      const [host, brokerPort] = BROKERS![0]!.split(':') as [string, string];
      const relay = createServer((client) => {
        const upstream = connect(Number(brokerPort), host);
        sockets.push(client, upstream);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      servers.push(relay);
      await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
      await started;
      const failures = sink.stats().kafka_connect_failures;
      expect(failures).toBeGreaterThanOrEqual(3);
      expect(logged).toEqual([
        expect.objectContaining({ level: 'warn', message: 'cannot connect to Kafka; retrying' }),
        { level: 'info', message: 'connected to Kafka', extra: { brokers: `127.0.0.1:${port}`, failed_attempts: failures, unreachable_for_s: expect.any(Number) } },
      ]);
      expect(sink.stats()).toMatchObject({ kafka_reachable: true });
    } finally {
      await sink.stop();
      await admin.deleteTopics({ topics }).catch(() => {});
      await admin.disconnect();
    }
  });
});
