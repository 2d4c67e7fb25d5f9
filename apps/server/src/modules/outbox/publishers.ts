import { murmur2, ProduceAcks, Producer, stringSerializers, type MessageToProduce } from '@platformatic/kafka';
import { topicFor, type Envelope } from '@playloop/contracts';
import type { AnalyticsStore } from '@playloop/analytics';
import type { OutboxMessage, Publisher } from './relay.ts';

/** An envelope as the relay would hand it on (tests and tools that publish without an outbox). */
export function toOutboxMessage(envelope: Envelope): OutboxMessage {
  return { event_id: envelope.event_id, event_type: envelope.event_type, user_id: envelope.user_id, json: JSON.stringify(envelope) };
}

export interface InProcessPublisher extends Publisher {
  stats(): { written_total: number; batches_total: number; last_write_at: string | null };
}

/**
 * The embedded default: batches go straight to the analytics writer (chDB, or a ClickHouse
 * server), with no bus in between. The relay's retry covers a store that is down.
 */
export function createInProcessPublisher(store: AnalyticsStore, clock: () => Date = () => new Date()): InProcessPublisher {
  let written = 0;
  let batches = 0;
  let lastWriteAt: Date | null = null;
  return {
    name: 'in-process',
    async publish(messages) {
      // The outbox holds only envelopes appendOutbox validated; no second validation here.
      const envelopes = messages.map((m) => JSON.parse(m.json) as Envelope);
      await store.insertEvents(envelopes);
      written += envelopes.length;
      batches += 1;
      lastWriteAt = clock();
    },
    stats: () => ({ written_total: written, batches_total: batches, last_write_at: lastWriteAt?.toISOString() ?? null }),
  };
}

export interface KafkaPublisherOptions {
  brokers: string[];
  topicPrefix: string;
  clientId?: string;
  /** Per-request timeout; a broker that does not answer fails the batch so the relay backs off. */
  requestTimeoutMs?: number;
  /**
   * Largest produce request (default 900 000 bytes of keys, values and headers). A relay batch
   * above it goes out as several requests, one after the other, so no partition's record batch
   * reaches the broker's `message.max.bytes` (1 MiB by default) however large the relay batch.
   */
  maxRequestBytes?: number;
}

/** Bytes a message adds to a produce request, near enough to keep requests under the limit. */
const messageBytes = (m: OutboxMessage) => Buffer.byteLength(m.json) + m.user_id.length + m.event_type.length + m.event_id.length + 64;

/**
 * Splits a batch, in order, into runs of at most `maxBytes` (a message larger than that alone is
 * a run of one: the broker then refuses it, the relay backs off and `last_error` says why).
 */
export function splitBySize<T>(items: readonly T[], maxBytes: number, size: (item: T) => number): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const b = size(item);
    if (run.length > 0 && bytes + b > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += b;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * The partition of a key as Kafka's Java client and KafkaJS choose it: the positive murmur2 hash
 * of the key's bytes, modulo the partition count (the client applies the modulo). So a user's
 * events stay on the partition they had before the relay changed client. Keys are user ids, which
 * repeat: hashes are kept per key (bounded) rather than computed per message.
 */
export function javaCompatiblePartitioner(): (message: MessageToProduce<string, string, string, string>) => number {
  const memo = new Map<string, number>();
  return (message) => {
    const key = message.key ?? '';
    let hash = memo.get(key);
    if (hash === undefined) {
      hash = murmur2(Buffer.from(key)) & 0x7fffffff;
      if (memo.size >= 100_000) memo.clear();
      memo.set(key, hash);
    }
    return hash;
  };
}

export interface KafkaPublisher extends Publisher {
  close(): Promise<void>;
}

/** Kafka's error code for a topic the broker does not have. */
const UNKNOWN_TOPIC_OR_PARTITION = 3;

/**
 * The topics a failed send named as unknown to the broker. @platformatic/kafka 1.x reports a
 * missing topic (with auto-creation off) as `MultipleErrors` "metadata failed 3 times", whose
 * `errors` are `ResponseError`s carrying the Metadata response: the missing topic is the one with
 * `errorCode` 3 there (their own `errors` say only UNKNOWN_TOPIC_OR_PARTITION, at `/topics/<i>`).
 */
export function unknownTopicsOf(err: unknown): string[] {
  const topics = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (typeof e !== 'object' || e === null || seen.has(e) || depth > 6) return;
    seen.add(e);
    const { response, errors, cause } = e as { response?: { topics?: unknown }; errors?: unknown; cause?: unknown };
    if (Array.isArray(response?.topics)) {
      for (const t of response.topics as { name?: unknown; errorCode?: unknown }[]) {
        if (t?.errorCode === UNKNOWN_TOPIC_OR_PARTITION && typeof t.name === 'string') topics.add(t.name);
      }
    }
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
    visit(cause, depth + 1);
  };
  visit(err, 0);
  return [...topics].sort();
}

/**
 * A send that failed because the broker has no such topic. The client's own message ("metadata
 * failed 3 times") hides the cause, and the relay retries it forever: this one names the topics
 * and what creates them. The client's error is kept as `cause`.
 */
export class KafkaTopicMissingError extends Error {
  readonly topics: string[];
  constructor(topics: string[], topicPrefix: string, cause: unknown) {
    super(
      `Kafka has no topic ${topics.join(', ')} (UNKNOWN_TOPIC_OR_PARTITION; the broker does not create topics): create the topics of KAFKA_TOPIC_PREFIX=${topicPrefix} with \`KAFKA_TOPIC_PREFIX=${topicPrefix} npm run kafka\` (scripts/kafka.sh, the local broker) or your Kafka tools; the relay retries until they exist`,
      { cause },
    );
    this.name = 'KafkaTopicMissingError';
    this.topics = topics;
  }
}

/**
 * Publishes envelopes to Kafka: topic by event type, key = user id (one partition per user, so a
 * user's events stay in order), value = the envelope JSON as the outbox holds it, acks from all
 * in-sync replicas. A batch goes out in as few produce requests as its size allows, in order, each
 * awaited before the next, so a failure leaves no later message ahead of an earlier one. No
 * compression: on the measured machine the pipeline is CPU-bound, and the broker is local. The
 * client's own retries are short: the relay's backoff is the retry that matters.
 *
 * The client is @platformatic/kafka (1.22, the last line without a Node 22 dependency), not
 * KafkaJS: in the relay's profile KafkaJS's record encoding, CRC and key hashing were a quarter of
 * the relay process's CPU, and on this machine it produced 34–45k msg/s against 55–69k. The sink
 * still consumes with KafkaJS; the wire format is Kafka's, so either side can change alone.
 */
export function createKafkaPublisher(options: KafkaPublisherOptions): KafkaPublisher {
  const producer = new Producer({
    clientId: options.clientId ?? 'playloop-relay',
    bootstrapBrokers: options.brokers,
    serializers: stringSerializers,
    connectTimeout: 3_000,
    timeout: options.requestTimeoutMs ?? 10_000,
    retries: 2,
    retryDelay: 200,
    // One request in flight per connection keeps per-partition order across the client's retries.
    maxInflights: 1,
    autocreateTopics: false,
    acks: ProduceAcks.ALL,
    partitioner: javaCompatiblePartitioner(),
  });

  return {
    name: 'kafka',
    async publish(batch) {
      if (batch.length === 0) return;
      for (const run of splitBySize(batch, options.maxRequestBytes ?? 900_000, messageBytes)) {
        await producer
          .send({
            messages: run.map((m) => ({
              topic: topicFor(m.event_type, options.topicPrefix),
              key: m.user_id,
              value: m.json,
              headers: { event_type: m.event_type, event_id: m.event_id },
            })),
          })
          .catch((err: unknown) => {
            const missing = unknownTopicsOf(err);
            throw missing.length > 0 ? new KafkaTopicMissingError(missing, options.topicPrefix, err) : err;
          });
      }
    },
    async close() {
      await producer.close().catch(() => {});
    },
  };
}
