import { randomUUID } from 'node:crypto';
import {
  examplePayloads,
  newEventId,
  type Envelope,
  type EnvelopeEventType,
  type EnvelopePayload,
} from '@playloop/contracts';

/** An envelope v1 for tests: the example payload of its type unless one is given. */
export function makeEnvelope<T extends EnvelopeEventType>(
  eventType: T,
  userId: string,
  ts: string,
  payload?: Partial<EnvelopePayload<T>>,
): Envelope {
  return {
    event_id: newEventId(new Date(ts)),
    event_type: eventType,
    user_id: userId,
    ts,
    trace_id: randomUUID(),
    payload: { ...examplePayloads[eventType], ...payload },
    version: 1,
  } as Envelope;
}
