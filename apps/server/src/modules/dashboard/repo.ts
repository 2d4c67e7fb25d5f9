import { sql } from 'kysely';
import type { Tier } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { DashboardVersions } from './etag.ts';

/**
 * The two versions the ETag is made of, in one read: the player's row by primary key and the
 * one-row content_version. Undefined when the player does not exist.
 */
export async function readEtagVersions(db: Db, userId: string): Promise<DashboardVersions | undefined> {
  const row = await db
    .selectFrom('users as u')
    .crossJoin('content_version as c')
    .select(['u.state_version', 'c.version'])
    .where('u.id', '=', userId)
    .where('c.id', '=', 1)
    .executeTakeFirst();
  return row && { state: Number(row.state_version), content: Number(row.version) };
}

export interface PlayerSummaryRow {
  id: string;
  site_id: string;
  nickname: string;
  tier: Tier;
  level: number;
  exp: number;
  streak_days: number;
  /** The local day of the last ended session, 'YYYY-MM-DD' (as text: a date column's parse depends on the driver). */
  last_play_day: string | null;
  today_soft: number;
  today_premium: number;
  /** Exp of the grants made today; a play's exp is not a grant (see `today_plays`). */
  today_exp: number;
  /**
   * The sessions ended today as [game_type, score, how many]: a play adds exp straight to the
   * player (addExp), not through a grant, and what it added follows from its type and score.
   */
  today_plays: [gameType: string, score: number, plays: number][];
  games_24h: number;
  missions_completed_24h: number;
}

/**
 * The player's row with what the dashboard counts about them, in one statement: the sum of the
 * grants made and the sessions ended in [dayStart, dayEnd) (the local day) and, since `since`, the
 * ended game sessions and the claimed mission periods. Every count is an index range on the
 * player's rows.
 */
export async function readPlayerSummary(
  db: Db,
  userId: string,
  window: { dayStart: Date; dayEnd: Date; since: Date },
): Promise<PlayerSummaryRow | undefined> {
  const result = await sql<PlayerSummaryRow>`
    SELECT u.id, u.site_id, u.nickname, u.tier, u.level, u.exp, u.streak_days,
           to_char(u.last_play_date, 'YYYY-MM-DD') AS last_play_day,
           coalesce(g.soft, 0)::bigint AS today_soft,
           coalesce(g.premium, 0)::bigint AS today_premium,
           coalesce(g.exp, 0)::bigint AS today_exp,
           -- Grouped by score, so a day of many plays is a few rows (a server-scored game has a
           -- handful of scores); the exp of each is the caller's to work out (expForPlay).
           (SELECT coalesce(jsonb_agg(jsonb_build_array(p.game_type, p.score, p.plays)), '[]'::jsonb)
              FROM (SELECT s.game_type, s.score, count(*) AS plays FROM game_sessions s
                     WHERE s.user_id = u.id AND s.status = 'ended'
                       AND s.ended_at >= ${window.dayStart}::timestamptz AND s.ended_at < ${window.dayEnd}::timestamptz
                     GROUP BY s.game_type, s.score) p) AS today_plays,
           (SELECT count(*) FROM game_sessions s
             WHERE s.user_id = u.id AND s.status = 'ended' AND s.ended_at > ${window.since}::timestamptz) AS games_24h,
           -- Completed as a mission's own \`completed\` says (target reached), claimed or not: the
           -- progress that reached the target was its last, so last_progress_at is when.
           (SELECT count(*) FROM mission_progress mp
             WHERE mp.user_id = u.id AND mp.progress >= mp.target AND mp.last_progress_at > ${window.since}::timestamptz) AS missions_completed_24h
    FROM users u
    CROSS JOIN LATERAL (
      SELECT sum((r.bundle #>> '{currencies,soft}')::bigint) AS soft,
             sum((r.bundle #>> '{currencies,premium}')::bigint) AS premium,
             sum((r.bundle ->> 'exp')::bigint) AS exp
      FROM reward_grants r
      -- A pack bought in the shop is paid for, not a reward (the profile's activity leaves it out too).
      WHERE r.user_id = u.id AND r.source <> 'shop'
        AND r.granted_at >= ${window.dayStart}::timestamptz AND r.granted_at < ${window.dayEnd}::timestamptz
    ) g
    WHERE u.id = ${userId}`.execute(db);
  return result.rows[0];
}
