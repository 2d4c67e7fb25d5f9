import { sql } from 'kysely';
import type { EnvelopeEventType, Metric, ProgressUpdate } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { advanceMissionsCtes, type CurrentPeriods } from '../missions/repo.ts';
import { currentPeriods } from '../missions/service.ts';
import type { OutboxEvent } from '../outbox/service.ts';
import { addExp } from '../rewards/service.ts';
import { advanceParticipationsCtes, deltaValues, type MetricDelta, type PlayFilter } from './repo.ts';

/** What one ended game session contributes to events and missions. */
export interface PlayOutcome {
  userId: string;
  sessionId: string;
  gameType: string;
  score: number;
  durationS: number;
  won: boolean;
  now: Date;
  /** RESET_TIMEZONE, which decides the current mission day and week. */
  resetTimezone: string;
  /** The trace of the request, for the progress events; a new trace when absent. */
  traceId?: string | undefined;
  /**
   * The caller writes the player's users row later in this transaction, bumping the state version
   * (a session end adds exp): the progress events are pushed here for that write to carry (see
   * `withOutboxEvents`) instead of costing statements of their own now.
   */
  carryOutbox?: OutboxEvent<EnvelopeEventType>[];
}

/** What one play adds to each metric: one game, its score, its whole seconds, one win if won. */
export function playDeltas(outcome: Pick<PlayOutcome, 'score' | 'durationS' | 'won'>): MetricDelta[] {
  const deltas: MetricDelta[] = [
    { metric: 'games_played', delta: 1 },
    { metric: 'score_total', delta: Math.max(0, Math.floor(outcome.score)) },
    // Whole seconds only, rounded down, so many short plays cannot round their way up.
    { metric: 'play_seconds', delta: Math.max(0, Math.floor(outcome.durationS)) },
    { metric: 'wins', delta: outcome.won ? 1 : 0 },
  ];
  return deltas.filter((d) => d.delta > 0);
}

/** One advanced participation or mission period: its new state and the metric and delta that moved it. */
interface AdvancedRow {
  kind: 'event' | 'mission';
  id: string;
  period_key: string | null;
  progress: number;
  target: number;
  progress_version: number;
  metric: Metric;
  delta: number;
}

const updateOf = (row: AdvancedRow): ProgressUpdate => ({
  kind: row.kind,
  id: row.id,
  progress: row.progress,
  target: row.target,
  completed: row.progress >= row.target,
  progress_version: row.progress_version,
});

/**
 * Advances the matching participations, then the matching mission periods, in one statement (the
 * events' CTE is read first, so its rows are locked first, as in every flow).
 */
async function advanceMatching(trx: Db, p: { userId: string; deltas: MetricDelta[]; play: PlayFilter; now: Date; periods: CurrentPeriods }): Promise<AdvancedRow[]> {
  const { rows } = await sql<AdvancedRow>`
    WITH d (metric, delta) AS (VALUES ${deltaValues(p.deltas)}),
    ${advanceParticipationsCtes(p)},
    ${advanceMissionsCtes(p)}
    SELECT 'event' AS kind, id::text, NULL::text AS period_key, progress, target, progress_version, metric, delta FROM ev
    UNION ALL
    SELECT 'mission' AS kind, id::text, period_key, progress, target, progress_version, metric, delta FROM ms
  `.execute(trx);
  return rows;
}

/**
 * Advances, inside the caller's transaction and in one statement, what `deltas` count for: the
 * player's active participations of running events and the current periods of active missions.
 * When anything changed: bumps the player's state version with, in the same
 * statement, an `event.progress` / `mission.progress` analytics event per change (or leaves both
 * to the caller's own write, `carryOutbox`).
 */
async function advance(
  trx: Db,
  p: {
    userId: string;
    deltas: MetricDelta[];
    play: PlayFilter;
    now: Date;
    resetTimezone: string;
    traceId: string | undefined;
    carryOutbox?: OutboxEvent<EnvelopeEventType>[] | undefined;
  },
): Promise<ProgressUpdate[]> {
  if (p.deltas.length === 0) return [];
  const periods = currentPeriods(p.now, p.resetTimezone);
  const rows = await advanceMatching(trx, { ...p, periods });
  if (rows.length === 0) return [];
  const updates = rows.map(updateOf);
  const outbox: OutboxEvent<EnvelopeEventType>[] = rows.map((row, i) => {
    const { id, kind: _kind, ...state } = updates[i]!;
    return row.kind === 'event'
      ? { eventType: 'event.progress' as const, userId: p.userId, payload: { event_id: id, metric: row.metric, delta: row.delta, ...state }, now: p.now, traceId: p.traceId }
      : {
          eventType: 'mission.progress' as const,
          userId: p.userId,
          payload: { mission_id: id, period_key: row.period_key!, metric: row.metric, delta: row.delta, ...state },
          now: p.now,
          traceId: p.traceId,
        };
  });
  // A play can move ten events and six missions at once: all their events go in one statement,
  // the state version bump's (or the caller's own write of the users row).
  if (p.carryOutbox) p.carryOutbox.push(...outbox);
  else await addExp(trx, p.userId, 0, outbox);
  return updates;
}

/**
 * Advances, inside the caller's transaction, every active event participation and current
 * mission period of the player that one play matches (metric, game_type, min_score), and
 * returns what changed. Call it before other writes to the player's `users` row in the same
 * transaction: claims lock participation then user, and the same order here avoids deadlocks.
 */
export async function advanceProgressForPlay(trx: Db, outcome: PlayOutcome): Promise<ProgressUpdate[]> {
  return advance(trx, {
    userId: outcome.userId,
    deltas: playDeltas(outcome),
    play: { gameType: outcome.gameType, score: outcome.score },
    now: outcome.now,
    resetTimezone: outcome.resetTimezone,
    traceId: outcome.traceId,
    carryOutbox: outcome.carryOutbox,
  });
}

/**
 * Advances the player's matching events and missions by `delta` of a non-play metric
 * (`logins`, `purchases`), inside the caller's transaction. Rules narrowed by game_type or
 * min_score never match (they are about plays).
 */
export async function advanceProgressForMetric(
  trx: Db,
  m: {
    userId: string;
    metric: Metric;
    delta: number;
    now: Date;
    /** RESET_TIMEZONE, which decides the current mission day and week. */
    resetTimezone: string;
    traceId?: string | undefined;
    /** As PlayOutcome.carryOutbox: the caller's later users write bumps the state and carries the events. */
    carryOutbox?: OutboxEvent<EnvelopeEventType>[] | undefined;
  },
): Promise<ProgressUpdate[]> {
  const deltas = Number.isSafeInteger(m.delta) && m.delta > 0 ? [{ metric: m.metric, delta: m.delta }] : [];
  return advance(trx, {
    userId: m.userId,
    deltas,
    play: { gameType: null, score: null },
    now: m.now,
    resetTimezone: m.resetTimezone,
    traceId: m.traceId,
    carryOutbox: m.carryOutbox,
  });
}
