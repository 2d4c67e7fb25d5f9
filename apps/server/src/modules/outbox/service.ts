import { randomUUID } from 'node:crypto';
import {
  ENVELOPE_VERSION,
  newEventId,
  parseEnvelopePayload,
  type Envelope,
  type EnvelopeEventType,
  type EnvelopePayload,
} from '@playloop/contracts';
import type { QueryCreator } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { RequestMoment } from '../auth/service.ts';
import { insertOutboxRow, insertOutboxRows, prunePublishedOutbox, withOutboxRows, type OutboxRowInput } from './repo.ts';

export interface OutboxEvent<T extends EnvelopeEventType> {
  eventType: T;
  userId: string;
  payload: EnvelopePayload<T>;
  /**
   * The trace of the request that made the change (`request.traceId`), passed down explicitly;
   * undefined outside a request (a new trace is started). Not read from an AsyncLocalStorage: on
   * Node 20 that turns on promise hooks for the whole process, which cost every request about a
   * tenth of its throughput.
   */
  traceId?: string | undefined;
  idempotencyKey?: string | undefined;
  /** The time of the state change (from the service's clock); becomes `ts` and the id's time. */
  now: Date;
}

/**
 * Writes one analytics event into the outbox on the caller's transaction, so it commits or rolls
 * back with the state change it describes. The payload is checked against its contract first: a
 * bad payload is a bug at the caller and fails the transaction rather than poisoning the pipeline.
 */
export async function appendOutbox<T extends EnvelopeEventType>(trx: Db, event: OutboxEvent<T>): Promise<Envelope> {
  const envelope = toEnvelope(event);
  await insertOutboxRow(trx, envelope, event.now);
  return envelope;
}

/** Like `appendOutbox` for several events at once, in one statement and in list order. */
export async function appendOutboxEvents(trx: Db, events: OutboxEvent<EnvelopeEventType>[]): Promise<Envelope[]> {
  const envelopes = events.map(toEnvelope);
  await insertOutboxRows(
    trx,
    envelopes.map((envelope, i) => ({ envelope, createdAt: events[i]!.now })),
  );
  return envelopes;
}

/**
 * `trx` with `events` riding on its next statement (see `withOutboxRows`): the events commit or
 * roll back with that write, in list order, at no extra round trip.
 */
export function withOutboxEvents(trx: Db, events: OutboxEvent<EnvelopeEventType>[]): QueryCreator<DB> {
  return withOutboxRows(trx, outboxRowsOf(events));
}

/** The outbox rows of `events`, for a statement that writes them itself (see `outboxInsert`). */
export function outboxRowsOf(events: OutboxEvent<EnvelopeEventType>[]): OutboxRowInput[] {
  return events.map((event) => ({ envelope: toEnvelope(event), createdAt: event.now }));
}

function toEnvelope<T extends EnvelopeEventType>(event: OutboxEvent<T>): Envelope {
  const payload = parseEnvelopePayload(event.eventType, event.payload);
  return {
    event_id: newEventId(event.now),
    event_type: event.eventType,
    user_id: event.userId,
    ts: event.now.toISOString(),
    trace_id: event.traceId ?? randomUUID(),
    payload,
    version: ENVELOPE_VERSION,
    ...(event.idempotencyKey ? { idempotency_key: event.idempotencyKey } : {}),
  } as Envelope;
}

/** Signup hook: `user.signup`, in the signup transaction. */
export async function recordSignup(trx: Db, user: { id: string; site_id: string }, at: RequestMoment): Promise<void> {
  await appendOutbox(trx, { eventType: 'user.signup', userId: user.id, payload: { site_id: user.site_id }, ...at });
}

/** Login hook: `user.login`, in the login transaction (a token refresh is not a login). */
export async function recordLogin(trx: Db, user: { id: string; site_id: string }, at: RequestMoment): Promise<void> {
  await appendOutbox(trx, { eventType: 'user.login', userId: user.id, payload: { site_id: user.site_id }, ...at });
}

/**
 * Deletes published rows past the retention (the replay window of the runbook), a bounded number
 * of chunks per call so a sweep after a long pause does not hold the database for long; the next
 * sweep goes on. Returns how many rows went.
 */
export async function pruneOutbox(db: Db, now: Date, retentionHours: number, maxChunks = 20): Promise<number> {
  if (retentionHours <= 0) return 0;
  const before = new Date(now.getTime() - retentionHours * 3_600_000);
  const chunk = 5_000;
  let total = 0;
  for (let i = 0; i < maxChunks; i++) {
    const deleted = await prunePublishedOutbox(db, before, chunk);
    total += deleted;
    if (deleted < chunk) break;
  }
  return total;
}
