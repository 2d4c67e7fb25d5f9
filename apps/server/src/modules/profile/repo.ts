import { sql } from 'kysely';
import type { ParticipationStatus, RewardItem, RewardSource } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { UserRow } from '../users/repo.ts';

export interface ProfileUserRow extends UserRow {
  /** The local day of the last ended session, 'YYYY-MM-DD' (as text: a date column's parse depends on the driver). */
  last_play_day: string | null;
  games_played: number;
  total_score: number;
  play_seconds: number;
  events_joined: number;
  events_claimed: number;
  purchases: number;
}

/**
 * The player's row with their lifetime counters, in one statement: ended sessions (count, score,
 * whole seconds per play as the play_seconds metric counts them), event participations (joined,
 * claimed) and succeeded purchases.
 */
export async function readProfileUser(db: Db, userId: string): Promise<ProfileUserRow | undefined> {
  const result = await sql<ProfileUserRow>`
    SELECT u.*, to_char(u.last_play_date, 'YYYY-MM-DD') AS last_play_day,
           s.games_played, s.total_score, s.play_seconds, p.events_joined, p.events_claimed,
           (SELECT count(*) FROM purchases pu WHERE pu.user_id = u.id AND pu.status = 'succeeded') AS purchases
    FROM users u
    CROSS JOIN LATERAL (
      SELECT count(*) AS games_played,
             coalesce(sum(gs.score), 0)::bigint AS total_score,
             coalesce(sum(floor(gs.duration_s)), 0)::bigint AS play_seconds
      FROM game_sessions gs WHERE gs.user_id = u.id AND gs.status = 'ended'
    ) s
    CROSS JOIN LATERAL (
      SELECT count(*) AS events_joined, count(*) FILTER (WHERE ep.status = 'claimed') AS events_claimed
      FROM event_participations ep WHERE ep.user_id = u.id
    ) p
    WHERE u.id = ${userId}`.execute(db);
  return result.rows[0];
}

/** The player's best score in each game type they have ended a session of, by game type. */
export async function listTopScores(db: Db, userId: string): Promise<{ game_type: string; score: number }[]> {
  const result = await sql<{ game_type: string; score: number }>`
    SELECT game_type, max(score) AS score
    FROM game_sessions
    WHERE user_id = ${userId} AND status = 'ended'
    GROUP BY game_type
    ORDER BY game_type`.execute(db);
  return result.rows;
}

export interface ProfileParticipationRow {
  event_id: string;
  key: string;
  title: string;
  status: ParticipationStatus;
  progress: number;
  target: number;
  progress_version: number;
  joined_at: Date;
  last_progress_at: Date | null;
  claimed_at: Date | null;
  ends_at: Date;
}

/** The player's newest participations with their events, newest join first. */
export async function listParticipationsWithEvents(db: Db, userId: string, limit: number): Promise<ProfileParticipationRow[]> {
  return db
    .selectFrom('event_participations as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select([
      'p.event_id',
      'e.key',
      'e.title',
      'p.status',
      'p.progress',
      'p.target',
      'p.progress_version',
      'p.joined_at',
      'p.last_progress_at',
      'p.claimed_at',
      'e.ends_at',
    ])
    .where('p.user_id', '=', userId)
    .orderBy('p.joined_at', 'desc')
    .orderBy('p.event_id')
    .limit(limit)
    .execute();
}

/** One row of the activity feed; `detail` holds what its summary is written from. */
export type ActivityRow =
  | {
      kind: 'grant';
      at: Date;
      detail: { source: RewardSource; title: string | null; reward_items: RewardItem[] };
    }
  | {
      kind: 'purchase';
      at: Date;
      detail: { sku_name: string; quantity: number; total_price: number; currency_type: 'soft' | 'premium' };
    }
  | {
      kind: 'session';
      at: Date;
      detail: { game_type: string; score: number; duration: number };
    };

/**
 * The player's newest grants, succeeded purchases and ended sessions, merged, newest first: each
 * source reads at most `limit` rows down its (user, time) index, then the union is cut to `limit`.
 * A purchase's own shop grant is left out: the purchase row already says what it bought.
 */
export async function listRecentActivity(db: Db, userId: string, limit: number): Promise<ActivityRow[]> {
  const result = await sql<ActivityRow>`
    SELECT kind, at, detail FROM (
      (SELECT 'grant' AS kind, g.granted_at AS at, g.id::text AS tiebreak,
              jsonb_build_object('source', g.source, 'title', g.title, 'reward_items', g.reward_items) AS detail
         FROM reward_grants g
        WHERE g.user_id = ${userId} AND g.source <> 'shop'
        ORDER BY g.granted_at DESC, g.id DESC LIMIT ${limit})
      UNION ALL
      (SELECT 'purchase', pu.created_at, pu.id::text,
              jsonb_build_object('sku_name', s.name, 'quantity', pu.quantity, 'total_price', pu.total_price,
                                 'currency_type', pu.currency_type)
         FROM purchases pu JOIN skus s ON s.sku_id = pu.sku_id
        WHERE pu.user_id = ${userId} AND pu.status = 'succeeded'
        ORDER BY pu.created_at DESC, pu.id DESC LIMIT ${limit})
      UNION ALL
      (SELECT 'session', gs.ended_at, gs.id::text,
              jsonb_build_object('game_type', gs.game_type, 'score', gs.score, 'duration', gs.duration_s)
         FROM game_sessions gs
        WHERE gs.user_id = ${userId} AND gs.status = 'ended'
        ORDER BY gs.ended_at DESC, gs.id DESC LIMIT ${limit})
    ) feed
    ORDER BY at DESC, kind, tiebreak DESC
    LIMIT ${limit}`.execute(db);
  return result.rows;
}
