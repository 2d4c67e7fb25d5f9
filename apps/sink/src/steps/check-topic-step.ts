import { topicFor, type Envelope } from '@playloop/contracts';
import { dlq, ok, type Step } from '../results.ts';

/**
 * Checks that an envelope arrived on the topic its event type belongs to and keyed by its user,
 * so per-user order (one partition per key) holds for everything the sink accepts.
 */
export function createCheckTopicStep(topicPrefix: string): Step<Envelope, Envelope> {
  return (envelope, message) => {
    const expected = topicFor(envelope.event_type, topicPrefix);
    if (message.topic !== expected) {
      return dlq('check-topic', 'wrong_topic', `${envelope.event_type} belongs on ${expected}, not ${message.topic}`);
    }
    // A message with no key was spread over partitions by the producer: its user's order is lost.
    if (message.key === null || message.key.toString('utf8') !== envelope.user_id) {
      return dlq('check-topic', 'wrong_key', 'the message key is not the envelope user_id');
    }
    return ok(envelope);
  };
}
