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
