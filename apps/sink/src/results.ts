/**
 * What a sink step returns: bad data is a value, not an exception. `ok` carries the value on to
 * the next step; `drop` discards the message (nothing to keep); `dlq` sends its original bytes to
 * the dead-letter topic with the reason. Exceptions are for failures worth retrying or crashing on
 * (the store is down, a bug): they stop the batch before its offsets are committed.
 */
export type StepResult<T> =
  | { type: 'ok'; value: T }
  | { type: 'drop'; reason: string }
  | { type: 'dlq'; reason: string; step: string; detail: string };

export const ok = <T>(value: T): StepResult<T> => ({ type: 'ok', value });
export const drop = <T = never>(reason: string): StepResult<T> => ({ type: 'drop', reason });
export const dlq = <T = never>(step: string, reason: string, detail: string): StepResult<T> => ({
  type: 'dlq',
  reason,
  step,
  detail,
});

/** A message as the steps see it: the original bytes and where they came from. */
export interface SinkMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** A step over one message and what the steps before it made of it. */
export type Step<In, Out> = (input: In, message: SinkMessage) => StepResult<Out>;
