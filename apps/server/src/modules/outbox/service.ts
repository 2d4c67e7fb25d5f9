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
  /**
   * The X-Idempotency-Key the request that made the change ran under, if any; becomes the
   * envelope's `idempotency_key`. Passed down like the trace by the keyed actions (purchase,
   * claims, session end, distribute, item use).
   */
  idempotencyKey?: string | null | undefined;
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

/** `events` as made by a request run under `key` (the request's X-Idempotency-Key); unchanged without one. */
export function underKey<E extends OutboxEvent<EnvelopeEventType>>(events: E[], key: string | null | undefined): E[] {
  return key ? events.map((event) => ({ ...event, idempotencyKey: key })) : events;
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

/** Limits of one retention sweep; the defaults are for the minute sweep of main.ts. */
export interface PruneOptions {
  /** Rows walked per statement, each its own short transaction. */
  chunk?: number;
  /** Rows deleted at most per sweep: 6 M, five minutes of the pipeline's 20 000 events/s. */
  maxRows?: number;
  /** Time spent at most per sweep, so the minute sweep ends before the next begins. */
  maxMs?: number;
  /** A monotonic clock in ms for `maxMs` (`performance.now`); tests pass their own. */
  elapsedMs?: () => number;
  /** Stops the sweep between two statements (the server's shutdown). */
  signal?: AbortSignal;
}

export interface PruneResult {
  deleted: number;
  /** Statements run. */
  steps: number;
  /** False when a limit or the signal stopped the sweep before it reached the kept rows. */
  done: boolean;
}

/**
 * Deletes published rows past the retention (the replay window of the runbook): walks the outbox
 * from its oldest row in id order, a chunk per statement, deleting the rows published before the
 * cutoff and stepping over the others (a row committed late, or published by a node whose clock
 * is ahead, stays until it is old enough but holds nothing up). The relay publishes in id order,
 * so the rows still kept start where a whole chunk has nothing to delete: the sweep stops there,
 * having read one chunk of them, not the week of rows kept for replays. It also stops at
 * `maxRows` or `maxMs`, well above what the pipeline writes in the minute between sweeps; the
 * next sweep goes on. A stretch of a chunk or more published later than the rows after it (a
 * replay of a slice, a node whose clock ran ahead) holds those back until it is old enough itself.
 */
export async function pruneOutbox(db: Db, now: Date, retentionHours: number, options: PruneOptions = {}): Promise<PruneResult> {
  if (retentionHours <= 0) return { deleted: 0, steps: 0, done: true };
  const { chunk = 5_000, maxRows = 6_000_000, maxMs = 40_000, elapsedMs = () => performance.now(), signal } = options;
  const before = new Date(now.getTime() - retentionHours * 3_600_000);
  const started = elapsedMs();
  let afterId = 0;
  let deleted = 0;
  let steps = 0;
  for (;;) {
    if (signal?.aborted) return { deleted, steps, done: false };
    const step = await prunePublishedOutbox(db, before, afterId, chunk);
    steps += 1;
    deleted += step.deleted;
    // The end of the outbox, or a whole chunk of rows still kept: nothing older is left.
    if (step.scanned < chunk || step.deleted === 0 || step.lastId === null) return { deleted, steps, done: true };
    afterId = step.lastId;
    if (deleted >= maxRows || elapsedMs() - started >= maxMs) return { deleted, steps, done: false };
  }
}
