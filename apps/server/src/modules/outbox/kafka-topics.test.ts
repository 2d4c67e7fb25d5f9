import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { examplePayloads, newEventId, topicFor, type Envelope } from '@playloop/contracts';
import { createKafkaPublisher, KafkaTopicMissingError, toOutboxMessage, unknownTopicsOf } from './publishers.ts';

// A KAFKA_TOPIC_PREFIX whose topics nobody created: the broker creates none, and
// @platformatic/kafka says only "metadata failed 3 times", which the relay logged forever.
const BROKERS = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);

const envelope = (type: 'user.signup' | 'game.session.start'): Envelope =>
  ({
    event_id: newEventId(new Date()),
    event_type: type,
    user_id: randomUUID(),
    ts: new Date().toISOString(),
    trace_id: randomUUID(),
    payload: examplePayloads[type],
    version: 1,
  }) as Envelope;

describe('unknownTopicsOf', () => {
  // The shape @platformatic/kafka 1.22 threw against Kafka 4.1.1 for a send to users.v1 (present)
  // and nutest.users.v1 (missing), trimmed: MultipleErrors → ResponseError per attempt, carrying
  // the Metadata response → ProtocolError UNKNOWN_TOPIC_OR_PARTITION.
  const metadataFailure = () => {
    const attempt = Object.assign(new AggregateError([Object.assign(new Error('This server does not host this topic-partition.'), { apiId: 'UNKNOWN_TOPIC_OR_PARTITION', apiCode: 3, path: '/topics/1' })], 'Received response with error while executing API Metadata(v12)'), {
      code: 'PLT_KFK_RESPONSE',
      response: { topics: [{ errorCode: 0, name: 'playloop.users.v1', partitions: [{}] }, { errorCode: 3, name: 'nutest.users.v1', partitions: [] }] },
    });
    return Object.assign(new AggregateError([attempt, attempt, attempt], 'metadata failed 3 times.'), { code: 'PLT_KFK_MULTIPLE' });
  };

  it.each([
    ['a metadata failure naming one missing topic', metadataFailure(), ['nutest.users.v1']],
    ['the same under a cause', new Error('wrapped', { cause: metadataFailure() }), ['nutest.users.v1']],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), []],
    ['not an error', 'metadata failed', []],
  ])('%s', (_name, err, topics) => {
    expect(unknownTopicsOf(err)).toEqual(topics);
  });
});

describe.skipIf(!BROKERS)('Kafka publisher with topics missing on the broker', () => {
  it('fails the batch naming the missing topic and what creates it, the client error kept as cause', async () => {
    const prefix = `m${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const users = topicFor('user.signup', prefix);
    const admin = new Kafka({ clientId: 'topics-test', brokers: BROKERS!, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: users, numPartitions: 1 }] });
    const publisher = createKafkaPublisher({ brokers: BROKERS!, topicPrefix: prefix });
    try {
      // users exists, gameplay does not.
      const failure = await publisher.publish([envelope('user.signup'), envelope('game.session.start')].map(toOutboxMessage)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(KafkaTopicMissingError);
      const gameplay = topicFor('game.session.start', prefix);
      expect((failure as KafkaTopicMissingError).topics).toEqual([gameplay]);
      // What the relay keeps as last_error and logs with "outbox publish failed; backing off".
      expect((failure as Error).message).toBe(
        `Kafka has no topic ${gameplay} (UNKNOWN_TOPIC_OR_PARTITION; the broker does not create topics): create the topics of KAFKA_TOPIC_PREFIX=${prefix} with \`KAFKA_TOPIC_PREFIX=${prefix} npm run kafka\` (scripts/kafka.sh, the local broker) or your Kafka tools; the relay retries until they exist`,
      );
      expect(((failure as Error).cause as Error).message).toBe('metadata failed 3 times.');
    } finally {
      await publisher.close();
      await admin.deleteTopics({ topics: [users] }).catch(() => {});
      await admin.disconnect();
    }
  });
});
