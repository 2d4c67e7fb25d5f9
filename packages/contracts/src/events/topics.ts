import type { EnvelopeEventType } from './envelope.ts';

/** The Kafka topic families of SPEC §5; the full name is `{prefix}.{family}.v1`. */
export const TOPIC_FAMILIES = ['users', 'gameplay', 'liveops', 'rewards', 'shop'] as const;
export type TopicFamily = (typeof TOPIC_FAMILIES)[number];

const familyOf: Record<EnvelopeEventType, TopicFamily> = {
  'user.signup': 'users',
  'user.login': 'users',
  'event.participate': 'liveops',
  'event.progress': 'liveops',
  'event.claim': 'liveops',
  'mission.progress': 'liveops',
  'mission.claim': 'liveops',
  'game.session.start': 'gameplay',
  'game.session.end': 'gameplay',
  'reward.granted': 'rewards',
  'shop.purchase.succeeded': 'shop',
  'shop.purchase.failed': 'shop',
};

/** The topic an event type is published to. */
export function topicFor(eventType: EnvelopeEventType, prefix: string): string {
  return `${prefix}.${familyOf[eventType]}.v1`;
}

/** Every topic the sink consumes, in a stable order. */
export function eventTopics(prefix: string): string[] {
  return TOPIC_FAMILIES.map((family) => `${prefix}.${family}.v1`);
}

/** Where messages that fail validation go, with the original bytes. */
export function dlqTopic(prefix: string): string {
  return `${prefix}.dlq.v1`;
}

// A Kafka topic name is at most 249 of [A-Za-z0-9._-]; the longest name made from the prefix is
// `{prefix}.gameplay.v1` (12 more characters).
const TOPIC_PREFIX = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * KAFKA_TOPIC_PREFIX, as the server and the sink read it: `playloop` when unset. A prefix the
 * broker would refuse as part of a topic name is refused at start, naming the setting, rather
 * than at the first publish.
 */
export function kafkaTopicPrefixFrom(value: string | undefined): string {
  if (value === undefined || value === '') return 'playloop';
  if (!TOPIC_PREFIX.test(value)) throw new Error(`KAFKA_TOPIC_PREFIX must be 1 to 200 letters, digits, '.', '_' or '-' (Kafka's topic-name characters), got "${value}"`);
  return value;
}

/**
 * KAFKA_GROUP_ID, as the sink and the server (whose GET /api/admin/pipeline reports this group's
 * lag) read it: `<KAFKA_TOPIC_PREFIX>-sink` by default (`playloop-sink` for the default prefix).
 * One group per install: two installs sharing a Kafka with their own prefixes but one group would
 * have their sinks in one group, whose leader assigns only the topics it subscribed to, and the
 * other install's events would be read by nobody.
 */
export function kafkaGroupIdFrom(value: string | undefined, topicPrefix: string): string {
  if (!value) return `${topicPrefix}-sink`;
  // A space or a control character is a mistake in the setting, not a group another install uses.
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) throw new Error(`KAFKA_GROUP_ID must be at most 255 printable characters without spaces, got "${value}"`);
  return value;
}
