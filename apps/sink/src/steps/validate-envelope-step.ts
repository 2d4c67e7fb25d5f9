import { parseEnvelopeBytes, type Envelope } from '@playloop/contracts';
import { dlq, drop, ok, type SinkMessage, type StepResult } from '../results.ts';

/** Decodes and validates the envelope v1 in a message; an empty value (a tombstone) is dropped. */
export function createValidateEnvelopeStep(): (message: SinkMessage) => StepResult<Envelope> {
  return (message) => {
    if (message.value === null || message.value.length === 0) return drop('empty_message');
    const parsed = parseEnvelopeBytes(message.value);
    if (parsed.ok) return ok(parsed.envelope);
    return dlq('validate-envelope', parsed.reason, parsed.detail);
  };
}
