import { Kafka, Partitioners, logLevel, type Consumer, type KafkaMessage, type Producer, type RetryOptions as KafkaRetryOptions } from 'kafkajs';
import { dlqTopic, eventTopics, type Envelope } from '@playloop/contracts';
import type { AnalyticsStore } from '@playloop/analytics';
import { createCoalescingWriter, type CoalescingOptions } from './coalescing-writer.ts';
import { createKafkaReachability, type SinkLog } from './kafka-reachability.ts';
import type { SinkMessage } from './results.ts';
import { createCheckTopicStep } from './steps/check-topic-step.ts';
import { createSendToDlqStep, type DeadLetter } from './steps/send-to-dlq-step.ts';
import { createValidateEnvelopeStep } from './steps/validate-envelope-step.ts';
import { createWriteEventsStep, type RetryOptions } from './steps/write-events-step.ts';

export interface SinkOptions {
  brokers: string[];
  topicPrefix: string;
  groupId: string;
  store: AnalyticsStore;
  clientId?: string;
  /**
   * Partitions handled at once in this worker (default 16: every partition of the five topics at
   * the default three each). Their batches share one insert, so more partitions at once means
   * fewer, larger inserts; one partition's batches still run one after another, in order.
   */
  partitionsConsumedConcurrently?: number;
  /** How batches of concurrent partitions are joined into one insert. */
  coalesce?: CoalescingOptions;
  /** Largest fetch per partition, so the largest insert (default 4 MiB). */
  maxBytesPerPartition?: number;
  writeRetry?: RetryOptions;
  /** KafkaJS's retries of a failed request or connection (defaults: 8 retries from 300 ms, at most 10 s apart). */
  kafkaRetry?: Pick<KafkaRetryOptions, 'retries' | 'initialRetryTime' | 'maxRetryTime'>;
  /** Waits before restarting a consumer that KafkaJS gave up on: doubles from `initialMs` to `maxMs` (defaults 500 ms, 15 s). */
  restartBackoff?: { initialMs: number; maxMs: number };
  log?: SinkLog;
}

export type SinkStats = {
  batches: number;
  written: number;
  dead_lettered: number;
  dropped: number;
  /** Consumers this worker built again after KafkaJS gave one up. */
  restarts: number;
  last_batch_at: string | null;
  /** False from a failed connection to a broker until the brokers answer again. */
  kafka_reachable: boolean;
  /** Connections to a broker that failed (refused, timed out), every retry counted. */
  kafka_connect_failures: number;
};

export interface ProcessedBatch {
  envelopes: Envelope[];
  letters: DeadLetter[];
  dropped: number;
}

/** Runs every message of a batch through the steps; pure, so the table tests can drive it. */
export function createMessagePipeline(topicPrefix: string) {
  const validate = createValidateEnvelopeStep();
  const checkTopic = createCheckTopicStep(topicPrefix);
  return (messages: readonly SinkMessage[]): ProcessedBatch => {
    const out: ProcessedBatch = { envelopes: [], letters: [], dropped: 0 };
    for (const message of messages) {
      let result = validate(message);
      if (result.type === 'ok') result = checkTopic(result.value, message);
      if (result.type === 'ok') out.envelopes.push(result.value);
      else if (result.type === 'dlq') out.letters.push({ message, reason: result.reason, step: result.step, detail: result.detail });
      else out.dropped += 1;
    }
    return out;
  };
}

/**
 * The offsets this worker has dead-lettered and not yet committed, per topic-partition. A batch
 * whose write fails is not committed and comes again (the same consumer after KafkaJS restarts it,
 * or the one the worker builds): its bad messages are already in the DLQ and are not sent again.
 * An offset is forgotten once its partition is committed past it. Only what the DLQ acknowledged
 * is remembered, so a failed DLQ send is retried with its batch; a worker that dies between the DLQ
 * send and the commit remembers nothing, and the next one sends those messages again.
 */
export function createDeadLetterMemory() {
  const sent = new Map<string, Set<string>>();
  const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;
  return {
    /** The letters not sent to the DLQ yet by this worker. */
    unsent(letters: readonly DeadLetter[]): DeadLetter[] {
      return letters.filter(({ message }) => !sent.get(keyOf(message.topic, message.partition))?.has(message.offset));
    },
    /** Records letters the DLQ has taken. */
    remember(letters: readonly DeadLetter[]): void {
      for (const { message } of letters) {
        const key = keyOf(message.topic, message.partition);
        let offsets = sent.get(key);
        if (!offsets) sent.set(key, (offsets = new Set()));
        offsets.add(message.offset);
      }
    },
    /** Forgets the offsets of a partition up to `lastCommitted`, which no batch brings again. */
    committed(topic: string, partition: number, lastCommitted: string): void {
      const key = keyOf(topic, partition);
      const offsets = sent.get(key);
      if (!offsets) return;
      const last = BigInt(lastCommitted);
      for (const offset of offsets) if (BigInt(offset) <= last) offsets.delete(offset);
      if (offsets.size === 0) sent.delete(key);
    },
    /** Offsets remembered, every partition together. */
    size: (): number => [...sent.values()].reduce((n, offsets) => n + offsets.size, 0),
  };
}

function decodeHeaders(raw: KafkaMessage['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return headers;
}

/** A Kafka message as the steps see it. Headers are decoded on first use: only the DLQ reads them. */
function toSinkMessage(topic: string, partition: number, m: KafkaMessage): SinkMessage {
  let headers: Record<string, string> | undefined;
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value ?? null,
    get headers() {
      return (headers ??= decodeHeaders(m.headers));
    },
  };
}

/**
 * The sink worker: a member of the consumer group over the event topics. Each fetched batch (one
 * partition) is validated message by message; rejects go to the DLQ, the rest to the analytics
 * store; only once they are stored is the batch's offset committed. Batches of the partitions
 * handled at once share one insert (a failed insert fails all of them, and none commits). A crash
 * anywhere before the commit means the batch is delivered again, which the store's dedupe by
 * event_id absorbs; its bad messages this worker has already dead-lettered are not sent again.
 */
export function createSink(options: SinkOptions) {
  const log = options.log ?? (() => {});
  // Says once that the brokers do not answer, at the first failed connection, and once that they do again.
  const reachability = createKafkaReachability(options.brokers, log);
  const kafka = new Kafka({
    clientId: options.clientId ?? 'playloop-sink',
    brokers: options.brokers,
    logLevel: logLevel.ERROR,
    logCreator: reachability.kafkaLogCreator,
    connectionTimeout: 3_000,
    retry: options.kafkaRetry ?? { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const runSteps = createMessagePipeline(options.topicPrefix);
  const sendToDlq = createSendToDlqStep(producer, dlqTopic(options.topicPrefix));
  const writeEvents = createWriteEventsStep(options.store, options.writeRetry);
  // Kept across the consumers this worker builds, as a redelivered batch may reach any of them.
  const deadLettered = createDeadLetterMemory();
  const stats: Omit<SinkStats, 'kafka_reachable' | 'kafka_connect_failures'> = { batches: 0, written: 0, dead_lettered: 0, dropped: 0, restarts: 0, last_batch_at: null };
  const restartBackoff = options.restartBackoff ?? { initialMs: 500, maxMs: 15_000 };
  let started = false;
  // The write step's retries stop once the worker is stopping, so the batch fails uncommitted.
  const writer = createCoalescingWriter<Envelope>((envelopes) => writeEvents(envelopes, () => started), options.coalesce);
  let consumer: Consumer = newConsumer();
  let restarting: Promise<void> | undefined;
  let wakeRestart: (() => void) | undefined;

  function newConsumer(): Consumer {
    const created = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    created.on(created.events.CRASH, ({ payload }) => {
      log('error', payload.restart ? 'consumer crashed; KafkaJS restarts it from the last committed offsets' : 'consumer crashed; the worker builds a new one', {
        error: payload.error.message,
        restart: payload.restart,
      });
      // KafkaJS restarts a consumer only after a retriable error. After any other — a member id
      // the restarted broker no longer knows, refused inside a batch's commit; a TypeError from a
      // store client — it leaves the consumer stopped while the process lives on, and nothing
      // more would be read. The worker builds a new one, which resumes from the committed offsets.
      if (!payload.restart && created === consumer) void restart();
    });
    // A fetch that came back: the brokers answer (after an outage, the consumer KafkaJS restarted).
    created.on(created.events.FETCH, reachability.reached);
    return created;
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeRestart = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  function restart(): Promise<void> {
    restarting ??= (async () => {
      for (let attempt = 1; started; attempt += 1) {
        await pause(Math.min(restartBackoff.maxMs, restartBackoff.initialMs * 2 ** (attempt - 1)));
        if (!started) return;
        await consumer.disconnect().catch(() => {});
        const next = newConsumer();
        consumer = next;
        try {
          await run(next);
          stats.restarts += 1;
          log('warn', 'consumer restarted', { attempt });
          return;
        } catch (err) {
          log('warn', 'consumer restart failed; trying again', { attempt, error: err instanceof Error ? err.message : String(err) });
        }
      }
    })().finally(() => {
      restarting = undefined;
      wakeRestart = undefined;
    });
    return restarting;
  }

  /**
   * The brokers create no topics, and KafkaJS's subscribe to a missing one fails with "This server
   * does not host this topic-partition", naming none: say which are missing and what creates them.
   */
  async function assertTopicsExist(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [...eventTopics(options.topicPrefix), dlqTopic(options.topicPrefix)].filter((t) => !existing.has(t));
      if (missing.length > 0) {
        throw new Error(
          `Kafka has no topic ${missing.join(', ')} (the broker does not create topics): create the topics of KAFKA_TOPIC_PREFIX=${options.topicPrefix} with \`KAFKA_TOPIC_PREFIX=${options.topicPrefix} npm run kafka\` (scripts/kafka.sh, the local broker) or your Kafka tools, then start the sink again`,
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Connects `target`, joins the group and consumes (its offsets committed after each stored batch). */
  async function run(target: Consumer): Promise<void> {
    await target.connect();
    await target.subscribe({ topics: eventTopics(options.topicPrefix), fromBeginning: true });
    await target.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 16,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        if (batch.messages.length === 0 || isStale()) return;
        const messages = batch.messages.map((m) => toSinkMessage(batch.topic, batch.partition, m));
        const { envelopes, letters, dropped } = runSteps(messages);
        // A batch that failed after its DLQ send comes again: send only what the DLQ has not taken.
        const unsent = deadLettered.unsent(letters);
        await sendToDlq(unsent);
        deadLettered.remember(unsent);
        stats.dead_lettered += unsent.length;
        if (unsent.length > 0) {
          log('warn', 'messages sent to the DLQ', { topic: batch.topic, partition: batch.partition, count: unsent.length, reason: unsent[0]!.reason });
        }
        await writer.write(envelopes);
        const last = messages.at(-1)!.offset;
        resolveOffset(last);
        await target.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        deadLettered.committed(batch.topic, batch.partition, last);
        await heartbeat();
        stats.batches += 1;
        stats.written += envelopes.length;
        stats.dropped += dropped;
        stats.last_batch_at = new Date().toISOString();
      },
    });
  }

  return {
    stats: (): SinkStats => ({ ...stats, ...reachability.stats() }),

    /** Joins the group and consumes until `stop`; refuses to when a topic it reads or writes is missing. */
    async start(): Promise<void> {
      await producer.connect();
      reachability.reached();
      await assertTopicsExist().catch(async (err: unknown) => {
        await producer.disconnect().catch(() => {});
        throw err;
      });
      started = true;
      await run(consumer);
    },

    /** Finishes the batch in flight (written and committed), leaves the group, disconnects. */
    async stop(): Promise<void> {
      if (!started) return;
      started = false;
      wakeRestart?.();
      await restarting;
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

export type Sink = ReturnType<typeof createSink>;
