import type { Metric, ProgressUpdate } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';

/** What one ended game session contributes to events and missions. */
export interface PlayOutcome {
  userId: string;
  sessionId: string;
  gameType: string;
  score: number;
  durationS: number;
  won: boolean;
  now: Date;
}

/**
 * Advances, inside the caller's transaction, every active event participation and current
 * mission period of the player that one play matches (metric, game_type, min_score), and
 * returns what changed. Owned by the events/missions module.
 */
export async function advanceProgressForPlay(_trx: Db, _outcome: PlayOutcome): Promise<ProgressUpdate[]> {
  return [];
}

/**
 * Advances the player's matching events and missions by `delta` of a non-play metric
 * (`logins`, `purchases`), inside the caller's transaction.
 */
export async function advanceProgressForMetric(
  _trx: Db,
  _userId: string,
  _metric: Metric,
  _delta: number,
  _now: Date,
): Promise<ProgressUpdate[]> {
  return [];
}
