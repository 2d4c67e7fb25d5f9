/**
 * Pipeline throughput and end-to-end lag, outbox → analytics store, for the embedded path and
 * (with KAFKA_BROKERS) the Kafka path. `npm run bench:pipeline` prints one JSON line per figure;
 * `npm run bench` (bench/run.ts) calls `pipelineBench` below, which runs this file in a child and
 * reports the figures into bench/RESULTS.md.
 *
 *   BENCH_RATE (24000)            events/s offered to the outbox in the sustained run
 *   BENCH_PIPELINE_SECONDS (10)   length of the sustained run
 *   BENCH_EVENTS (20000)          backlog for the drain run (written first, then relayed)
 *   BENCH_BATCH                   relay batch size (default: the relay's)
 *   KAFKA_BROKERS                 also run relay → Kafka → sink → store
 *   BENCH_PIPELINE_PATHS          `embedded`, `kafka` or both (the default), comma-separated
 *   CLICKHOUSE_URL                write to this ClickHouse server instead of chDB in a temporary folder
 *   DATABASE_URL                  the outbox on this PostgreSQL database (else PGlite in memory)
 *
 * Two runs per path:
 *   sustained  a writer commits events into the outbox at BENCH_RATE (every 10 ms, one multi-row
 *              insert, rows as appendOutbox makes them) while the relay runs its loop; events/s is
 *              events stored / (last stored − first committed); the lag of each event is the time
 *              from its commit (`created_at`, the envelope's `ts`) to the moment the insert that
 *              carried it returned (from then on a query sees it). p50/p99/max over every event.
 *   drain      BENCH_EVENTS are written first, then relayed: the capacity of the path.
 *
 * On the Kafka path the sink runs in its own process, as `npm run sink` does in production; it
 * reports each event's landing time to this process. Each run uses its own topics, consumer group
 * and database, deleted afterwards.
 */
import { fork, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Kafka, logLevel } from 'kafkajs';
import { dlqTopic, eventTopics, examplePayloads, newEventId, type Envelope, type EnvelopeEventType } from '@playloop/contracts';
import { openAnalyticsStore, openClickHouseExecutor, type AnalyticsStore } from '@playloop/analytics';
import { openDatabase, type Database } from '../apps/server/src/db/database.ts';
import { migrate } from '../apps/server/src/db/migrate.ts';
import { systemClock } from '../apps/server/src/lib/clock.ts';
import { createInProcessPublisher, createKafkaPublisher } from '../apps/server/src/modules/outbox/publishers.ts';
import { createOutboxRelay, type Publisher } from '../apps/server/src/modules/outbox/relay.ts';
import { createSink } from '../apps/sink/src/consumer.ts';

// Above the 20 000 ev/s target: events/s is counted to the last landing, so a path that keeps up
// with an offered rate reports a little less than it (by its lag over the run's length).
const RATE = Number(process.env.BENCH_RATE ?? 24_000);
const SECONDS = Number(process.env.BENCH_PIPELINE_SECONDS ?? 10);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const BATCH = process.env.BENCH_BATCH ? Number(process.env.BENCH_BATCH) : undefined;
const BROKERS = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL;
const PATHS = new Set((process.env.BENCH_PIPELINE_PATHS ?? 'embedded,kafka').split(',').map((p) => p.trim()));
const SELF = fileURLToPath(import.meta.url);

const MIX: EnvelopeEventType[] = ['user.login', 'game.session.start', 'game.session.end', 'event.progress', 'reward.granted'];

/** One figure line of the output. */
export interface PipelineFigure {
  path: 'embedded' | 'kafka';
  /** What carries the events, for the report: e.g. "in-process relay → chdb". */
  route: string;
  run: 'sustained' | 'drain';
  events: number;
  /** Events/s committed to the outbox (sustained run). */
  offered_per_s?: number;
  events_per_s: number;
  lag_p50_ms?: number;
  lag_p99_ms?: number;
  lag_max_ms?: number;
  relay_batch: number | 'default';
}

// ------------------------------------------------------------------------------ landing times

/** Every event's landing, first copy only (a redelivered copy changes nothing in the store). */
class Landings {
  private seen = new Set<string>();
  readonly lags: number[] = [];
  lastAt = 0;
  add(ids: readonly string[], lags: readonly number[], at: number) {
    for (let i = 0; i < ids.length; i += 1) {
      if (this.seen.has(ids[i]!)) continue;
      this.seen.add(ids[i]!);
      this.lags.push(lags[i]!);
    }
    this.lastAt = at;
  }
  get count() {
    return this.seen.size;
  }
  reset() {
    this.seen.clear();
    this.lags.length = 0;
  }
}

/**
 * The store, reporting for every event written how long after its `ts` the insert returned. Ids
 * and lags go as two plain arrays: the sink worker sends them to this process for every batch, and
 * an object per event cost both processes CPU the pipeline itself needs.
 */
function timedStore(store: AnalyticsStore, onLanded: (ids: string[], lags: number[], at: number) => void): AnalyticsStore {
  return {
    ...store,
    kind: store.kind,
    database: store.database,
    async insertEvents(envelopes) {
      await store.insertEvents(envelopes);
      const at = Date.now();
      onLanded(
        envelopes.map((e) => e.event_id),
        envelopes.map((e) => at - Date.parse(e.ts)),
        at,
      );
    },
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

// ------------------------------------------------------------------------------ outbox writer

/**
 * Writes `n` outbox rows in one statement, as appendOutbox would (same envelope, same columns).
 * The envelopes go as one JSON array, split by `json_array_elements` (which keeps each element's
 * text as written), rather than as a text[] parameter: escaping thousands of JSON strings into an
 * array literal cost the writer more CPU than building them, on the cores the pipeline shares.
 */
async function writeOutbox(database: Database, users: string[], n: number, seq: { i: number }): Promise<void> {
  const now = new Date();
  const ids: string[] = [];
  const types: string[] = [];
  const userIds: string[] = [];
  const envelopes: string[] = [];
  for (let k = 0; k < n; k += 1, seq.i += 1) {
    const eventType = MIX[seq.i % MIX.length]!;
    const envelope = {
      event_id: newEventId(now),
      event_type: eventType,
      user_id: users[seq.i % users.length]!,
      ts: now.toISOString(),
      trace_id: randomUUID(),
      payload: examplePayloads[eventType],
      version: 1,
    } as Envelope;
    ids.push(envelope.event_id);
    types.push(eventType);
    userIds.push(envelope.user_id);
    envelopes.push(JSON.stringify(envelope));
  }
  await sql`
    INSERT INTO outbox (event_id, event_type, user_id, envelope, created_at)
    SELECT e, t, u, j, ${now}
    FROM ROWS FROM (unnest(${ids}::uuid[]), unnest(${types}::text[]), unnest(${userIds}::uuid[]), json_array_elements(${`[${envelopes.join(',')}]`}::json))
      AS x(e, t, u, j)`.execute(database.db);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(landings: Landings, count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (landings.count < count) {
    if (Date.now() > deadline) throw new Error(`only ${landings.count} of ${count} events reached the store in ${timeoutMs / 1000} s`);
    await sleep(10);
  }
}

/** The sustained run and the drain run of one path. */
async function measurePath(pathName: 'embedded' | 'kafka', route: string, publisher: Publisher, landings: Landings): Promise<PipelineFigure[]> {
  const database = await openDatabase({ url: process.env.DATABASE_URL });
  await migrate(database);
  const users = Array.from({ length: 2_000 }, () => randomUUID());
  const seq = { i: 0 };
  const relayBatch = BATCH ?? 'default';
  const figures: PipelineFigure[] = [];
  try {
    // Each path starts from an empty outbox, as on a fresh database. This machine's PostgreSQL runs
    // with autovacuum off, so a DELETE would leave the previous path's rows (and the dead version
    // of every row it marked published) for this path's claims to step over.
    await sql`TRUNCATE outbox, outbox_leases`.execute(database.db);
    const relay = createOutboxRelay({ db: database.db, clock: systemClock, publisher, pollMs: 50, holdLock: (k1, k2) => database.holdAdvisoryLock(k1, k2), ...(BATCH ? { batchSize: BATCH } : {}) });

    // Warm up (connections, consumer group join, JIT), so the timed runs measure the steady state.
    await writeOutbox(database, users, 500, seq);
    relay.start();
    await waitFor(landings, 500, 120_000);
    landings.reset();

    // Sustained: commit at RATE for SECONDS while the relay runs.
    const started = Date.now();
    let written = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE) - written;
      if (due > 0) {
        const n = Math.min(due, 5_000);
        await writeOutbox(database, users, n, seq);
        written += n;
      }
      relay.poke();
      await sleep(10);
    }
    const offeredSeconds = (Date.now() - started) / 1000;
    await waitFor(landings, written, 300_000);
    const lags = [...landings.lags].sort((a, b) => a - b);
    figures.push({
      path: pathName,
      route,
      run: 'sustained',
      events: written,
      offered_per_s: Math.round(written / offeredSeconds),
      events_per_s: Math.round(written / ((landings.lastAt - started) / 1000)),
      lag_p50_ms: percentile(lags, 50),
      lag_p99_ms: percentile(lags, 99),
      lag_max_ms: lags.at(-1) ?? 0,
      relay_batch: relayBatch,
    });
    await relay.stop();

    // Drain: the backlog first, then the relay as fast as it goes.
    landings.reset();
    for (let i = 0; i < EVENTS; i += 5_000) await writeOutbox(database, users, Math.min(5_000, EVENTS - i), seq);
    const drainStarted = Date.now();
    relay.start();
    await waitFor(landings, EVENTS, 300_000);
    await relay.stop();
    figures.push({
      path: pathName,
      route,
      run: 'drain',
      events: EVENTS,
      events_per_s: Math.round(EVENTS / ((landings.lastAt - drainStarted) / 1000)),
      relay_batch: relayBatch,
    });
  } finally {
    await database.close();
  }
  return figures;
}

// ------------------------------------------------------------------------------ sink worker

interface SinkWorkerMessage {
  type: 'ready' | 'landed';
  ids?: string[];
  lags?: number[];
  at?: number;
}

/** The sink in its own process (as `npm run sink`), telling the parent when each event landed. */
async function sinkWorker() {
  const prefix = process.env.BENCH_PREFIX!;
  const store = CLICKHOUSE_URL
    ? await openAnalyticsStore({ clickhouseUrl: CLICKHOUSE_URL, database: process.env.BENCH_DATABASE! })
    : await openAnalyticsStore({ dataDir: process.env.BENCH_DATA_DIR! });
  const timed = timedStore(store, (ids, lags, at) => process.send!({ type: 'landed', ids, lags, at } satisfies SinkWorkerMessage));
  const sink = createSink({ brokers: BROKERS!, topicPrefix: prefix, groupId: `bench-${prefix}`, store: timed });
  process.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    void sink
      .stop()
      .then(() => store.close())
      .finally(() => process.exit(0));
  });
  await sink.start();
  process.send!({ type: 'ready' } satisfies SinkWorkerMessage);
}

// ------------------------------------------------------------------------------ main

async function main() {
  const runId = randomUUID().replaceAll('-', '').slice(0, 8);
  const database = `playloop_bench_${runId}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-bench-'));
  const store = CLICKHOUSE_URL
    ? await openAnalyticsStore({ clickhouseUrl: CLICKHOUSE_URL, database })
    : await openAnalyticsStore({ dataDir: path.join(dataDir, 'embedded') });
  const print = (figures: PipelineFigure[]) => figures.forEach((f) => console.log(JSON.stringify(f)));
  try {
    if (PATHS.has('embedded')) {
      const landings = new Landings();
      const embedded = createInProcessPublisher(timedStore(store, (ids, lags, at) => landings.add(ids, lags, at)));
      print(await measurePath('embedded', `in-process relay → ${store.kind}`, embedded, landings));
    }

    if (BROKERS && PATHS.has('kafka')) {
      const prefix = `bench${runId}`;
      const admin = new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const topics = [...eventTopics(prefix), dlqTopic(prefix)];
      await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
      const kafkaLandings = new Landings();
      const worker = fork(SELF, ['--sink-worker'], {
        // Profiling flags (`node --cpu-prof … bench/pipeline.ts`) reach the sink worker too.
        execArgv: [...process.execArgv.filter((a) => a.startsWith('--cpu-prof')), '--import', 'tsx'],
        env: { ...process.env, BENCH_PREFIX: prefix, BENCH_DATABASE: database, BENCH_DATA_DIR: path.join(dataDir, 'sink') },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const publisher = createKafkaPublisher({ brokers: BROKERS, topicPrefix: prefix });
      try {
        await new Promise<void>((resolve, reject) => {
          worker.on('message', (m: SinkWorkerMessage) => {
            if (m.type === 'ready') resolve();
            else if (m.ids) kafkaLandings.add(m.ids, m.lags!, m.at!);
          });
          worker.once('exit', (code) => reject(new Error(`the sink worker exited (${code})`)));
        });
        print(await measurePath('kafka', `relay → Kafka → sink process → ${store.kind}`, publisher, kafkaLandings));
      } finally {
        await publisher.close();
        worker.send({ type: 'stop' });
        await Promise.race([exited, sleep(15_000)]);
        if (worker.exitCode === null) worker.kill('SIGKILL');
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
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------ bench/run.ts

interface ReportRow {
  bench: string;
  figure: string;
  value: string;
  target?: string;
  ok?: boolean;
}

/**
 * For bench/run.ts: runs this file in a child against `dbUrl` (with the caller's KAFKA_BROKERS and
 * CLICKHOUSE_URL) and reports throughput and lag per path; the Kafka path carries issue 7's targets.
 */
export async function pipelineBench(dbUrl: string, out: { report: (row: ReportRow) => void; notes: string[] }): Promise<void> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', SELF], {
    cwd: path.dirname(path.dirname(SELF)),
    env: { ...process.env, DATABASE_URL: dbUrl },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (child.status !== 0) {
    out.notes.push(`bench/pipeline.ts failed: ${(child.stderr ?? '').slice(-500)}`);
    return;
  }
  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  for (const line of child.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const f = JSON.parse(line) as PipelineFigure;
    const kafka = f.path === 'kafka';
    const bench = 'e) pipeline';
    if (f.run === 'sustained') {
      out.report({
        bench,
        figure: `${f.route}: sustained, ${fmt(f.offered_per_s ?? 0)} ev/s offered for ${SECONDS} s`,
        value: `${fmt(f.events_per_s)} ev/s`,
        ...(kafka ? { target: '≥ 20,000 ev/s', ok: f.events_per_s >= 20_000 } : {}),
      });
      out.report({
        bench,
        figure: `${f.path}: lag p50 / p99 / max ms (outbox commit → visible in store)`,
        value: `${fmt(f.lag_p50_ms ?? 0)} / ${fmt(f.lag_p99_ms ?? 0)} / ${fmt(f.lag_max_ms ?? 0)}`,
        ...(kafka ? { target: 'p99 < 5 s', ok: (f.lag_p99_ms ?? Infinity) < 5_000 } : {}),
      });
    } else {
      out.report({ bench, figure: `${f.path}: backlog of ${fmt(f.events)} drained`, value: `${fmt(f.events_per_s)} ev/s` });
    }
  }
  if (!process.env.KAFKA_BROKERS) {
    out.notes.push(
      'Pipeline ran the embedded path only (no KAFKA_BROKERS); the 20,000 ev/s / p99 < 5 s target is for the Kafka path: `npm run kafka && npm run clickhouse`, then `KAFKA_BROKERS=127.0.0.1:9092 CLICKHOUSE_URL=http://127.0.0.1:8123 npm run bench`.',
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  (process.argv.includes('--sink-worker') ? sinkWorker() : main()).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
