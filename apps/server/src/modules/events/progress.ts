import type { EnvelopeEventType, Metric, ProgressUpdate } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { advanceMatchingMissions, type MissionProgressRow } from '../missions/repo.ts';
import { currentPeriods, resetTimezoneOrDefault } from '../missions/service.ts';
import type { OutboxEvent } from '../outbox/service.ts';
import { addExp } from '../rewards/service.ts';
import { advanceMatchingParticipations, type MetricDelta, type ParticipationRow, type PlayFilter } from './repo.ts';

/** What one ended game session contributes to events and missions. */
export interface PlayOutcome {
  userId: string;
  sessionId: string;
  gameType: string;
  score: number;
  durationS: number;
  won: boolean;
  now: Date;
  /** RESET_TIMEZONE, which decides the current mission day and week; the app's zone when absent. */
  resetTimezone?: string;
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

const eventUpdate = (row: ParticipationRow): ProgressUpdate => ({
  kind: 'event',
  id: row.event_id,
  progress: row.progress,
  target: row.target,
  completed: row.progress >= row.target,
  progress_version: row.progress_version,
});

const missionUpdate = (row: MissionProgressRow): ProgressUpdate => ({
  kind: 'mission',
  id: row.mission_id,
  progress: row.progress,
  target: row.target,
  completed: row.progress >= row.target,
  progress_version: row.progress_version,
});

/**
 * Advances, inside the caller's transaction, what `deltas` count for: one UPDATE over the
 * player's active participations of running events, one upsert over the current periods of
 * active missions. When anything changed: bumps the player's state version with, in the same
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
    resetTimezone: string | undefined;
    traceId: string | undefined;
    carryOutbox?: OutboxEvent<EnvelopeEventType>[] | undefined;
  },
): Promise<ProgressUpdate[]> {
  if (p.deltas.length === 0) return [];
  const events = await advanceMatchingParticipations(trx, p);
  const periods = currentPeriods(p.now, resetTimezoneOrDefault(p.resetTimezone));
  const missions = await advanceMatchingMissions(trx, { ...p, periods });
  const updates = [...events.map(eventUpdate), ...missions.map(missionUpdate)];
  if (updates.length === 0) return updates;
  const outbox: OutboxEvent<EnvelopeEventType>[] = [
    ...events.map((row) => {
      const { id: event_id, kind: _kind, ...state } = eventUpdate(row);
      return { eventType: 'event.progress' as const, userId: p.userId, payload: { event_id, metric: row.metric, delta: row.delta, ...state }, now: p.now, traceId: p.traceId };
    }),
    ...missions.map((row) => {
      const { id: mission_id, kind: _kind, ...state } = missionUpdate(row);
      return {
        eventType: 'mission.progress' as const,
        userId: p.userId,
        payload: { mission_id, period_key: row.period_key, metric: row.metric, delta: row.delta, ...state },
        now: p.now,
        traceId: p.traceId,
      };
    }),
  ];
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
    resetTimezone?: string | undefined;
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
