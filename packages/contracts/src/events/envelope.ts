import { z } from 'zod';
import { EventClaimV1Schema } from './event.claim.v1.ts';
import { EventParticipateV1Schema } from './event.participate.v1.ts';
import { EventProgressV1Schema } from './event.progress.v1.ts';
import { GameSessionEndV1Schema } from './game.session.end.v1.ts';
import { GameSessionStartV1Schema } from './game.session.start.v1.ts';
import { MissionClaimV1Schema } from './mission.claim.v1.ts';
import { MissionProgressV1Schema } from './mission.progress.v1.ts';
import { RewardGrantedV1Schema } from './reward.granted.v1.ts';
import { ShopPurchaseFailedV1Schema } from './shop.purchase.failed.v1.ts';
import { ShopPurchaseSucceededV1Schema } from './shop.purchase.succeeded.v1.ts';
import { UserLoginV1Schema } from './user.login.v1.ts';
import { UserSignupV1Schema } from './user.signup.v1.ts';

/** The payload schema of every event type of SPEC §5, version 1. */
export const envelopePayloadSchemas = {
  'user.signup': UserSignupV1Schema,
  'user.login': UserLoginV1Schema,
  'event.participate': EventParticipateV1Schema,
  'event.progress': EventProgressV1Schema,
  'event.claim': EventClaimV1Schema,
  'mission.progress': MissionProgressV1Schema,
  'mission.claim': MissionClaimV1Schema,
  'game.session.start': GameSessionStartV1Schema,
  'game.session.end': GameSessionEndV1Schema,
  'reward.granted': RewardGrantedV1Schema,
  'shop.purchase.succeeded': ShopPurchaseSucceededV1Schema,
  'shop.purchase.failed': ShopPurchaseFailedV1Schema,
} as const;

export type EnvelopeEventType = keyof typeof envelopePayloadSchemas;
export const ENVELOPE_EVENT_TYPES = Object.keys(envelopePayloadSchemas) as EnvelopeEventType[];
export const EnvelopeEventTypeSchema = z.enum(ENVELOPE_EVENT_TYPES as [EnvelopeEventType, ...EnvelopeEventType[]]);
export type EnvelopePayload<T extends EnvelopeEventType> = z.infer<(typeof envelopePayloadSchemas)[T]>;

export const ENVELOPE_VERSION = 1;

/**
 * The fields every envelope has. `event_id` is a UUIDv7 (time-ordered, the dedupe key downstream);
 * `ts` is ISO 8601 in UTC with `Z`; `trace_id` is the request's trace as a UUID-shaped id (taken
 * from `traceparent`, so it need not carry RFC 9562 version bits).
 */
const envelopeFields = {
  event_id: z.uuid({ version: 'v7' }),
  user_id: z.uuid(),
  ts: z.iso.datetime({ offset: false }),
  trace_id: z.guid(),
  version: z.literal(ENVELOPE_VERSION),
  idempotency_key: z.string().min(1).max(255).optional(),
};

const envelopeOf = <T extends EnvelopeEventType>(type: T) =>
  z.strictObject({ ...envelopeFields, event_type: z.literal(type), payload: envelopePayloadSchemas[type] });

/** Envelope v1 of one event type, its payload checked against that type's schema. */
export type EnvelopeOf<T extends EnvelopeEventType> = z.infer<ReturnType<typeof envelopeOf<T>>>;

/** Any envelope v1, discriminated by `event_type`. */
export const EnvelopeSchema = z.discriminatedUnion('event_type', [
  envelopeOf('user.signup'),
  envelopeOf('user.login'),
  envelopeOf('event.participate'),
  envelopeOf('event.progress'),
  envelopeOf('event.claim'),
  envelopeOf('mission.progress'),
  envelopeOf('mission.claim'),
  envelopeOf('game.session.start'),
  envelopeOf('game.session.end'),
  envelopeOf('reward.granted'),
  envelopeOf('shop.purchase.succeeded'),
  envelopeOf('shop.purchase.failed'),
]);
export type Envelope = z.infer<typeof EnvelopeSchema>;

export type EnvelopeParseResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; reason: 'invalid_json' | 'invalid_envelope'; detail: string };

/** Validates an already-decoded value as an envelope v1; a bad one is a value, never a throw. */
export function parseEnvelope(value: unknown): EnvelopeParseResult {
  const result = EnvelopeSchema.safeParse(value);
  if (result.success) return { ok: true, envelope: result.data };
  const detail = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, reason: 'invalid_envelope', detail };
}

// One decoder for every message: `decode` without `stream` starts fresh each call, and making a
// decoder per message was a visible share of the sink's CPU.
let utf8: InstanceType<typeof TextDecoder> | undefined;

/** Decodes message bytes (UTF-8 JSON) and validates them as an envelope v1. */
export function parseEnvelopeBytes(bytes: Uint8Array | string | null | undefined): EnvelopeParseResult {
  if (bytes === null || bytes === undefined) return { ok: false, reason: 'invalid_json', detail: 'empty message' };
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : (utf8 ??= new TextDecoder('utf-8', { fatal: true })).decode(bytes));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', detail: (err as Error).message.slice(0, 200) };
  }
  return parseEnvelope(value);
}

/** Validates one event type's payload; throws a ZodError on a bad one (an emitter bug). */
export function parseEnvelopePayload<T extends EnvelopeEventType>(type: T, payload: unknown): EnvelopePayload<T> {
  return envelopePayloadSchemas[type].parse(payload) as EnvelopePayload<T>;
}
