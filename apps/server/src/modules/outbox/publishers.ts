import { Kafka, logLevel, type Producer } from 'kafkajs';
import { topicFor, type Envelope } from '@playloop/contracts';
import type { AnalyticsStore } from '@playloop/analytics';
import type { Publisher } from './relay.ts';

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
    async publish(envelopes) {
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
}

export interface KafkaPublisher extends Publisher {
  close(): Promise<void>;
}

/**
 * Publishes envelopes to Kafka: topic by event type, key = user id (one partition per user, so a
 * user's events stay in order), value = the envelope JSON, acks from all in-sync replicas. The
 * client's own retries are short: the relay's backoff is the retry that matters.
 */
export function createKafkaPublisher(options: KafkaPublisherOptions): KafkaPublisher {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'playloop-relay',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  // One request in flight keeps per-partition order across the client's retries.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  let connecting: Promise<void> | null = null;

  const connect = () => {
    connecting ??= producer.connect().catch((err: unknown) => {
      connecting = null;
      throw err;
    });
    return connecting;
  };

  return {
    name: 'kafka',
    async publish(envelopes) {
      if (envelopes.length === 0) return;
      await connect();
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
      for (const e of envelopes as Envelope[]) {
        const topic = topicFor(e.event_type, options.topicPrefix);
        let messages = byTopic.get(topic);
        if (!messages) byTopic.set(topic, (messages = []));
        messages.push({
          key: e.user_id,
          value: JSON.stringify(e),
          headers: { event_type: e.event_type, event_id: e.event_id },
        });
      }
      await producer.sendBatch({
        acks: -1,
        timeout: options.requestTimeoutMs ?? 10_000,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
    async close() {
      await producer.disconnect().catch(() => {});
    },
  };
}
