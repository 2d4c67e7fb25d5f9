import type { Producer } from 'kafkajs';
import type { SinkMessage } from '../results.ts';

export interface DeadLetter {
  message: SinkMessage;
  reason: string;
  step: string;
  detail: string;
}

/**
 * Sends rejected messages to the DLQ topic: the original key and bytes, the original headers, and
 * headers saying why (reason, step, detail) and where from (topic, partition, offset). Throws if
 * Kafka does not take them, so their offsets are not committed either.
 */
export function createSendToDlqStep(producer: Producer, dlqTopic: string) {
  return async (letters: readonly DeadLetter[]): Promise<void> => {
    if (letters.length === 0) return;
    await producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: letters.map(({ message, reason, step, detail }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          'dlq-reason': reason,
          'dlq-step': step,
          'dlq-detail': detail.slice(0, 1000),
          'dlq-topic': message.topic,
          'dlq-partition': String(message.partition),
          'dlq-offset': message.offset,
        },
      })),
    });
  };
}
