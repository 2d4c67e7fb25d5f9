import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import { splitJoined, type Prefixed } from '../../db/joined-row.ts';
import type { MissionProgressTable, MissionsTable } from '../../db/schema.ts';
import { playerAccountsLocked } from '../wallet/ledger.ts';
import { playMatches, type PlayFilter } from '../events/repo.ts';
import type { PeriodWindow } from './period.ts';

export type MissionRow = Selectable<MissionsTable>;
export type MissionProgressRow = Selectable<MissionProgressTable>;

/** The current daily and weekly periods, as one request or play sees them. */
export interface CurrentPeriods {
  daily: PeriodWindow;
  weekly: PeriodWindow;
}

/** A mission by id; `forUpdate` locks its row until the transaction ends (an operator's change). */
export async function findMission(db: Db, id: string, forUpdate = false): Promise<MissionRow | undefined> {
  let query = db.selectFrom('missions').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** A claim's first read: the mission, and its current period's row it moved to claimed, if it did. */
export interface MissionClaimRead {
  mission: MissionRow;
  claimed: MissionProgressRow | undefined;
}

/**
 * A claim's first statement: the mission, with the claiming player's accounts locked first
 * (`playerAccountsLocked`, in `m`, which the UPDATE reads before it locks the progress row), and,
 * when the mission is active, the player's row of its current period (daily or weekly, by the
 * mission's period) moved claimable → claimed. That conditional UPDATE decides the one winner of
 * concurrent claims; when nothing moved, the caller reads why. Undefined: no such mission.
 */
export async function findMissionAndMarkClaimed(
  trx: Db,
  p: { missionId: string; userId: string; periods: CurrentPeriods; now: Date; idempotencyKey?: string | null | undefined },
): Promise<MissionClaimRead | undefined> {
  // A key that claimed a period of this mission before (its answer lost, and the day turned since)
  // claims nothing now: the caller answers that claim again.
  const keyUnused = p.idempotencyKey
    ? sql`
        AND NOT EXISTS (
          SELECT 1 FROM reward_grants g
          WHERE g.user_id = ${p.userId} AND g.idempotency_key = ${p.idempotencyKey}
            AND g.source = 'mission' AND g.source_id = ${p.missionId}
        )`
    : sql``;
  const result = await sql<MissionRow & { accounts_locked: number } & Prefixed<'c_', ClaimedPeriod>>`
    WITH m AS (
      SELECT missions.*, ${playerAccountsLocked(p.userId)} AS accounts_locked FROM missions WHERE id = ${p.missionId}
    ),
    claimed AS (
      UPDATE mission_progress mp
      SET status = 'claimed', claimed_at = ${p.now}::timestamptz, progress_version = mp.progress_version + 1
      FROM m
      WHERE mp.user_id = ${p.userId} AND mp.mission_id = m.id AND m.active AND mp.status = 'claimable'
        AND mp.period_key = CASE m.period WHEN 'daily' THEN ${p.periods.daily.key}::text ELSE ${p.periods.weekly.key}::text END${keyUnused}
      RETURNING mp.*
    )
    SELECT m.*, c.period_key AS c_period_key, c.period_ends_at AS c_period_ends_at, c.status AS c_status,
      c.progress AS c_progress, c.target AS c_target, c.progress_version AS c_progress_version,
      c.last_progress_at AS c_last_progress_at, c.claimed_at AS c_claimed_at, c.created_at AS c_created_at
    FROM m LEFT JOIN claimed c ON true`.execute(trx);
  const row = result.rows[0];
  if (!row) return undefined;
  const { own, joined } = splitJoined<MissionRow & { accounts_locked: number }, 'c_', ClaimedPeriod>(row, 'c_', 'status');
  const { accounts_locked: _locked, ...mission } = own;
  return { mission, claimed: joined && { ...joined, user_id: p.userId, mission_id: p.missionId } };
}

type ClaimedPeriod = Omit<MissionProgressRow, 'user_id' | 'mission_id'>;

export interface MissionWithProgressRow extends MissionRow {
  mp_status: MissionProgressRow['status'] | null;
  mp_progress: number | null;
  mp_target: number | null;
  mp_progress_version: number | null;
}

/** Active missions with the player's row of the current period (if any), in one query. */
export async function listMissionsWithProgress(db: Db, userId: string, periods: CurrentPeriods): Promise<MissionWithProgressRow[]> {
  return db
    .selectFrom('missions as m')
    .leftJoin('mission_progress as mp', (join) =>
      join
        .onRef('mp.mission_id', '=', 'm.id')
        .on('mp.user_id', '=', userId)
        .on('mp.period_key', '=', sql<string>`CASE m.period WHEN 'daily' THEN ${periods.daily.key} ELSE ${periods.weekly.key} END`),
    )
    .selectAll('m')
    .select(['mp.status as mp_status', 'mp.progress as mp_progress', 'mp.target as mp_target', 'mp.progress_version as mp_progress_version'])
    .where('m.active', '=', true)
    .orderBy('m.created_at')
    .orderBy('m.key')
    .execute() as Promise<MissionWithProgressRow[]>;
}

/**
 * The CTEs `src`, `opening` and `ms` that advance, in the statement holding them, the player's
 * current period of every active mission whose rule counts one of the deltas (a CTE `d (metric,
 * delta)` of that statement) and admits the play: a period with no row yet starts at the delta, an
 * active one adds it, stopping at the target; claimable and claimed ones are left alone. Rows are
 * written in mission order so concurrent advances of one player cannot deadlock. `ms` returns each
 * advanced period's mission id and key, its new state and the metric and delta that moved it.
 */
export function advanceMissionsCtes(p: { userId: string; play: PlayFilter; periods: CurrentPeriods; now: Date }): RawBuilder<unknown> {
  const { daily, weekly } = p.periods;
  // A period this play opens takes its target from the mission row locked FOR KEY SHARE
  // (`opening`), not from `src`, which sees the mission as of the statement's start: an operator's
  // change locks the row FOR UPDATE (`changeMission`), which KEY SHARE waits for, and under READ
  // COMMITTED a locking read that waited returns the row as that change committed it. So a period
  // opened while a new target is written either commits first (the change waits for it, then
  // retargets its row) or starts at the new target, instead of keeping the old one all period. The
  // foreign key check takes the same lock for a new row anyway; periods that have a row already,
  // most plays' case, lock nothing (their target is the row's own).
  return sql`src AS (
      SELECT m.id AS mission_id, d.metric, d.delta, (m.rules ->> 'target')::bigint AS target,
             CASE m.period WHEN 'daily' THEN ${daily.key}::text ELSE ${weekly.key}::text END AS period_key,
             CASE m.period WHEN 'daily' THEN ${daily.endsAt}::timestamptz ELSE ${weekly.endsAt}::timestamptz END AS period_ends_at
      FROM missions m
      JOIN d ON d.metric = m.rules ->> 'metric'
      WHERE m.active AND ${playMatches(sql.ref('m.rules'), p.play)}
    ),
    opening AS (
      SELECT m.id AS mission_id, (m.rules ->> 'target')::bigint AS target
      FROM missions m
      JOIN src s ON s.mission_id = m.id
      WHERE NOT EXISTS (
        SELECT 1 FROM mission_progress mp
        WHERE mp.user_id = ${p.userId} AND mp.mission_id = s.mission_id AND mp.period_key = s.period_key
      )
      FOR KEY SHARE OF m
    ),
    ms AS (
      INSERT INTO mission_progress AS mp
        (user_id, mission_id, period_key, period_ends_at, status, progress, target, progress_version, last_progress_at, created_at)
      SELECT ${p.userId}::uuid, s.mission_id, s.period_key, s.period_ends_at,
             CASE WHEN s.delta >= t.target THEN 'claimable' ELSE 'active' END,
             LEAST(s.delta, t.target), t.target, 1, ${p.now}::timestamptz, ${p.now}::timestamptz
      -- A period that has a row already is not in opening: its proposed row, at src's target,
      -- only meets the conflict and is never written.
      FROM src s
      LEFT JOIN opening o ON o.mission_id = s.mission_id
      CROSS JOIN LATERAL (SELECT coalesce(o.target, s.target) AS target) t
      ORDER BY s.mission_id
      ON CONFLICT (user_id, mission_id, period_key) DO UPDATE
      SET progress = LEAST(mp.progress + (SELECT s.delta FROM src s WHERE s.mission_id = excluded.mission_id), mp.target),
          status = CASE WHEN mp.progress + (SELECT s.delta FROM src s WHERE s.mission_id = excluded.mission_id) >= mp.target
                        THEN 'claimable' ELSE 'active' END,
          progress_version = mp.progress_version + 1,
          last_progress_at = excluded.last_progress_at
      WHERE mp.status = 'active'
      RETURNING mp.mission_id AS id, mp.period_key, mp.progress, mp.target, mp.progress_version,
        (SELECT s.metric FROM src s WHERE s.mission_id = mp.mission_id) AS metric,
        (SELECT s.delta FROM src s WHERE s.mission_id = mp.mission_id) AS delta
    )`;
}

export async function findMissionProgress(db: Db, userId: string, missionId: string, periodKey: string): Promise<MissionProgressRow | undefined> {
  return db
    .selectFrom('mission_progress')
    .selectAll()
    .where('user_id', '=', userId)
    .where('mission_id', '=', missionId)
    .where('period_key', '=', periodKey)
    .executeTakeFirst();
}

export interface ClaimableMissionRow {
  id: string;
  title: string;
  reward_bundle: unknown;
  period_ends_at: Date;
}

/** The player's claimable periods that are still current (their period has not ended). */
export async function listClaimableMissions(db: Db, userId: string, now: Date): Promise<ClaimableMissionRow[]> {
  return db
    .selectFrom('mission_progress as mp')
    .innerJoin('missions as m', 'm.id', 'mp.mission_id')
    .select(['m.id', 'm.title', 'm.reward_bundle', 'mp.period_ends_at'])
    .where('mp.user_id', '=', userId)
    .where('mp.status', '=', 'claimable')
    .where('mp.period_ends_at', '>', now)
    .where('m.active', '=', true)
    .orderBy('mp.period_ends_at')
    .orderBy('m.id')
    .execute();
}

export async function listAllMissions(db: Db): Promise<MissionRow[]> {
  return db.selectFrom('missions').selectAll().orderBy('period').orderBy('created_at').orderBy('key').execute();
}

export interface NewMission {
  key: string;
  title: string;
  description: string;
  period: MissionRow['period'];
  rules: unknown;
  reward_bundle: unknown;
  active: boolean;
}

/** Inserts a mission; undefined when the key is taken (nothing written). */
export async function insertMission(trx: Db, mission: NewMission, now: Date): Promise<MissionRow | undefined> {
  return trx
    .insertInto('missions')
    .values({
      ...mission,
      rules: JSON.stringify(mission.rules),
      reward_bundle: JSON.stringify(mission.reward_bundle),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The fields of a mission an operator may change after creating it. */
export type MissionChange = Partial<Pick<NewMission, 'title' | 'description' | 'rules' | 'reward_bundle' | 'active'>>;

/** Writes an operator's change of a mission and stamps updated_at; the row must exist. */
export async function updateMission(trx: Db, id: string, change: MissionChange, now: Date): Promise<MissionRow> {
  const { rules, reward_bundle, ...plain } = change;
  return trx
    .updateTable('missions')
    .set({
      ...plain,
      ...(rules !== undefined ? { rules: JSON.stringify(rules) } : {}),
      ...(reward_bundle !== undefined ? { reward_bundle: JSON.stringify(reward_bundle) } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Applies a new target to the mission's periods still running at `now` and still active: progress
 * stops at the new target and a period that reaches it becomes claimable, its progress stamped at
 * `now`; claimable and claimed
 * periods keep what they earned, ended periods are left alone. Each changed player's
 * state_version is bumped (their dashboard shows the new target). Returns how many periods changed.
 */
export async function retargetCurrentMissionProgress(trx: Db, missionId: string, target: number, now: Date): Promise<number> {
  const result = await sql<{ n: number }>`
    WITH changed AS (
      UPDATE mission_progress
      SET target = ${target}::bigint,
          progress = LEAST(progress, ${target}::bigint),
          status = CASE WHEN progress >= ${target}::bigint THEN 'claimable' ELSE 'active' END,
          progress_version = progress_version + 1,
          -- A period the new target completes made progress now (the dashboard counts completions
          -- by this time); one that only aims higher did not.
          last_progress_at = CASE WHEN progress >= ${target}::bigint THEN ${now}::timestamptz ELSE last_progress_at END
      WHERE mission_id = ${missionId} AND status = 'active' AND period_ends_at > ${now}::timestamptz
        AND target <> ${target}::bigint
      RETURNING user_id
    ),
    bumped AS (
      UPDATE users SET state_version = state_version + 1 WHERE id IN (SELECT user_id FROM changed)
    )
    SELECT count(*)::int AS n FROM changed`.execute(trx);
  return result.rows[0]?.n ?? 0;
}
