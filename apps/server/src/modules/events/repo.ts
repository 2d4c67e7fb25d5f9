import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Metric } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { splitJoined, type Prefixed } from '../../db/joined-row.ts';
import type { EventParticipationsTable, EventsTable } from '../../db/schema.ts';
import { playerAccountsLocked } from '../wallet/ledger.ts';

export type EventRow = Selectable<EventsTable>;
export type ParticipationRow = Selectable<EventParticipationsTable>;

/** How much one action adds to each metric it counts for (only positive deltas are listed). */
export interface MetricDelta {
  metric: Metric;
  delta: number;
}

/** The play a rule is matched against; null for actions that are not plays (logins, purchases). */
export interface PlayFilter {
  gameType: string | null;
  score: number | null;
}

/** `(metric, delta)` rows for a VALUES list. */
export function deltaValues(deltas: MetricDelta[]): RawBuilder<unknown> {
  return sql.join(deltas.map((d) => sql`(${d.metric}::text, ${d.delta}::bigint)`));
}

/**
 * True where a rule's game_type and min_score admit the play. A non-play action (null game type
 * and score) matches only rules without them: comparing with NULL is never true.
 */
export function playMatches(rules: RawBuilder<unknown>, play: PlayFilter): RawBuilder<boolean> {
  return sql<boolean>`(${rules} ->> 'game_type' IS NULL OR ${rules} ->> 'game_type' = ${play.gameType}::text)
    AND (${rules} ->> 'min_score' IS NULL OR (${rules} ->> 'min_score')::bigint <= ${play.score}::bigint)`;
}

export async function findEvent(db: Db, id: string, forUpdate = false): Promise<EventRow | undefined> {
  let query = db.selectFrom('events').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** A claim's first read: the event, and the participation it moved to claimed, if it did. */
export interface EventClaimRead {
  event: EventRow;
  claimed: ParticipationRow | undefined;
}

/**
 * A claim's first statement: the event, with the claiming player's accounts locked first
 * (`playerAccountsLocked`, in `e`, which the UPDATE reads before it locks the participation), and,
 * while the event runs, the player's participation moved claimable → claimed. That conditional
 * UPDATE decides the one winner of concurrent claims; when nothing moved, the caller reads why
 * (outside the window, not joined, not complete, claimed already). Undefined: no such event.
 */
export async function findEventAndMarkClaimed(trx: Db, eventId: string, userId: string, now: Date): Promise<EventClaimRead | undefined> {
  const result = await sql<EventRow & { accounts_locked: number } & Prefixed<'c_', ClaimedParticipation>>`
    WITH e AS (
      SELECT events.*, ${playerAccountsLocked(userId)} AS accounts_locked FROM events WHERE id = ${eventId}
    ),
    claimed AS (
      UPDATE event_participations p
      SET status = 'claimed', claimed_at = ${now}::timestamptz, progress_version = p.progress_version + 1
      FROM e
      WHERE p.user_id = ${userId} AND p.event_id = e.id AND p.status = 'claimable'
        AND e.starts_at <= ${now}::timestamptz AND e.ends_at > ${now}::timestamptz
      RETURNING p.*
    )
    SELECT e.*, c.status AS c_status, c.progress AS c_progress, c.target AS c_target,
      c.progress_version AS c_progress_version, c.joined_at AS c_joined_at,
      c.last_progress_at AS c_last_progress_at, c.claimed_at AS c_claimed_at, c.expired_at AS c_expired_at
    FROM e LEFT JOIN claimed c ON true`.execute(trx);
  const row = result.rows[0];
  if (!row) return undefined;
  const { own, joined } = splitJoined<EventRow & { accounts_locked: number }, 'c_', ClaimedParticipation>(row, 'c_', 'status');
  const { accounts_locked: _locked, ...event } = own;
  return { event, claimed: joined && { ...joined, user_id: userId, event_id: eventId } };
}

type ClaimedParticipation = Omit<ParticipationRow, 'user_id' | 'event_id'>;

export interface EventWithParticipationRow extends EventRow {
  p_status: ParticipationRow['status'] | null;
  p_progress: number | null;
  p_target: number | null;
  p_progress_version: number | null;
  p_joined_at: Date | null;
  p_last_progress_at: Date | null;
}

/** Events with the player's participation (if any), in one query; `active` filters by window. */
export async function listEventsWithParticipation(
  db: Db,
  userId: string,
  now: Date,
  active: boolean | undefined,
): Promise<EventWithParticipationRow[]> {
  let query = db
    .selectFrom('events as e')
    .leftJoin('event_participations as p', (join) => join.onRef('p.event_id', '=', 'e.id').on('p.user_id', '=', userId))
    .selectAll('e')
    .select([
      'p.status as p_status',
      'p.progress as p_progress',
      'p.target as p_target',
      'p.progress_version as p_progress_version',
      'p.joined_at as p_joined_at',
      'p.last_progress_at as p_last_progress_at',
    ]);
  if (active === true) query = query.where('e.starts_at', '<=', now).where('e.ends_at', '>', now);
  if (active === false) query = query.where((eb) => eb.or([eb('e.starts_at', '>', now), eb('e.ends_at', '<=', now)]));
  return query.orderBy('e.ends_at').orderBy('e.key').execute() as Promise<EventWithParticipationRow[]>;
}

/**
 * Writes `expired` on the open participations (active, claimable) of events that ended by `now`,
 * optionally only one player's or one event's; returns how many changed.
 */
export async function expireParticipations(
  db: Db,
  now: Date,
  scope: { userId?: string; eventId?: string } = {},
): Promise<number> {
  const result = await sql`
    UPDATE event_participations p
    SET status = 'expired', expired_at = ${now}, progress_version = p.progress_version + 1
    FROM events e
    WHERE e.id = p.event_id AND e.ends_at <= ${now}
      AND p.status IN ('active', 'claimable')
      AND (${scope.userId ?? null}::uuid IS NULL OR p.user_id = ${scope.userId ?? null}::uuid)
      AND (${scope.eventId ?? null}::uuid IS NULL OR p.event_id = ${scope.eventId ?? null}::uuid)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function findParticipation(db: Db, userId: string, eventId: string): Promise<ParticipationRow | undefined> {
  return db
    .selectFrom('event_participations')
    .selectAll()
    .where('user_id', '=', userId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
}

/**
 * Joins a player to an event at the event's target; undefined when they had joined before (the
 * row is left as it is).
 *
 * The target is read in this statement from the event row locked FOR KEY SHARE, not passed in: an
 * operator's change locks the row FOR UPDATE (`changeEvent`), which KEY SHARE waits for, and under
 * READ COMMITTED a locking read that waited returns the row as that change committed it. So a join
 * racing a new target either commits first (the change then waits for it and retargets its row) or
 * starts at the new target; a target read earlier would be written after the retarget ran and kept
 * for good. The foreign key check takes the same lock anyway, so joins never wait on each other.
 * A player who has joined already locks nothing (a client report tries this insert every time).
 */
export async function insertParticipation(trx: Db, p: { userId: string; eventId: string; now: Date }): Promise<ParticipationRow | undefined> {
  const result = await sql<ParticipationRow>`
    INSERT INTO event_participations (user_id, event_id, status, progress, target, progress_version, joined_at)
    SELECT ${p.userId}::uuid, e.id, 'active', 0, (e.rules ->> 'target')::bigint, 0, ${p.now}::timestamptz
    FROM events e
    WHERE e.id = ${p.eventId}
      AND NOT EXISTS (SELECT 1 FROM event_participations WHERE user_id = ${p.userId} AND event_id = ${p.eventId})
    FOR KEY SHARE OF e
    ON CONFLICT (user_id, event_id) DO NOTHING
    RETURNING *`.execute(trx);
  return result.rows[0];
}

/**
 * Adds to an active participation, stopping at its target, if its version is still
 * `expectedVersion` (when given). Undefined when nothing matched: not active, or stale.
 */
export async function addProgress(
  trx: Db,
  p: { userId: string; eventId: string; delta: number; expectedVersion: number | undefined; now: Date },
): Promise<ParticipationRow | undefined> {
  let query = trx
    .updateTable('event_participations')
    .set({
      progress: sql`LEAST(progress + ${p.delta}::bigint, target)`,
      status: sql`CASE WHEN progress + ${p.delta}::bigint >= target THEN 'claimable' ELSE 'active' END`,
      progress_version: sql`progress_version + 1`,
      last_progress_at: p.now,
    })
    .where('user_id', '=', p.userId)
    .where('event_id', '=', p.eventId)
    .where('status', '=', 'active');
  if (p.expectedVersion !== undefined) query = query.where('progress_version', '=', p.expectedVersion);
  return query.returningAll().executeTakeFirst();
}

/**
 * The CTEs `matched` and `ev` that advance, in the statement holding them, every active
 * participation of the player in a running, server-counted event whose rule counts one of the
 * deltas (a CTE `d (metric, delta)` of that statement) and admits the play. Rows are locked in
 * event order so two concurrent advances of one player cannot deadlock each other. `ev` returns
 * each advanced participation's event id, its new state and the metric and delta that moved it.
 */
export function advanceParticipationsCtes(p: { userId: string; play: PlayFilter; now: Date }): RawBuilder<unknown> {
  return sql`matched AS (
      SELECT p.event_id, d.metric, d.delta
      FROM event_participations p
      JOIN events e ON e.id = p.event_id
      JOIN d ON d.metric = e.rules ->> 'metric'
      WHERE p.user_id = ${p.userId} AND p.status = 'active'
        AND e.starts_at <= ${p.now} AND e.ends_at > ${p.now}
        -- The client reports a client-reportable event's progress; counting it here too would count twice.
        AND coalesce((e.rules ->> 'client_reportable')::boolean, false) = false
        AND ${playMatches(sql.ref('e.rules'), p.play)}
      ORDER BY p.event_id
      FOR UPDATE OF p
    ),
    ev AS (
      UPDATE event_participations p
      SET progress = LEAST(p.progress + m.delta, p.target),
          status = CASE WHEN p.progress + m.delta >= p.target THEN 'claimable' ELSE 'active' END,
          progress_version = p.progress_version + 1,
          last_progress_at = ${p.now}
      FROM matched m
      WHERE p.user_id = ${p.userId} AND p.event_id = m.event_id AND p.status = 'active'
      RETURNING p.event_id AS id, p.progress, p.target, p.progress_version, m.metric, m.delta
    )`;
}

export interface ClaimableEventRow {
  id: string;
  title: string;
  reward_bundle: unknown;
  ends_at: Date;
}

/** The player's claimable participations of events running now. */
export async function listClaimableEvents(db: Db, userId: string, now: Date): Promise<ClaimableEventRow[]> {
  return db
    .selectFrom('event_participations as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select(['e.id', 'e.title', 'e.reward_bundle', 'e.ends_at'])
    .where('p.user_id', '=', userId)
    .where('p.status', '=', 'claimable')
    .where('e.starts_at', '<=', now)
    .where('e.ends_at', '>', now)
    .orderBy('e.ends_at')
    .orderBy('e.id')
    .execute();
}

export interface EventWithCountsRow extends EventRow {
  participants: number;
  claims: number;
}

/** Every event with how many players joined and claimed, for operators. */
export async function listEventsWithCounts(db: Db): Promise<EventWithCountsRow[]> {
  const result = await sql<EventWithCountsRow>`
    SELECT e.*, coalesce(c.participants, 0)::int AS participants, coalesce(c.claims, 0)::int AS claims
    FROM events e
    LEFT JOIN (
      SELECT event_id, count(*) AS participants, count(*) FILTER (WHERE status = 'claimed') AS claims
      FROM event_participations GROUP BY event_id
    ) c ON c.event_id = e.id
    ORDER BY e.starts_at DESC, e.key`.execute(db);
  return result.rows;
}

export async function countParticipations(db: Db, eventId: string): Promise<{ participants: number; claims: number }> {
  const row = await db
    .selectFrom('event_participations')
    .select((eb) => [
      eb.fn.countAll<number>().as('participants'),
      sql<number>`count(*) FILTER (WHERE status = 'claimed')`.as('claims'),
    ])
    .where('event_id', '=', eventId)
    .executeTakeFirstOrThrow();
  return { participants: Number(row.participants), claims: Number(row.claims) };
}

export interface NewEvent {
  key: string;
  title: string;
  description: string;
  type: EventRow['type'];
  starts_at: Date;
  ends_at: Date;
  rules: unknown;
  reward_bundle: unknown;
}

/** Inserts an event; undefined when the key is taken (nothing written). */
export async function insertEvent(trx: Db, event: NewEvent, now: Date): Promise<EventRow | undefined> {
  return trx
    .insertInto('events')
    .values({
      ...event,
      rules: JSON.stringify(event.rules),
      reward_bundle: JSON.stringify(event.reward_bundle),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function updateEvent(trx: Db, id: string, change: Partial<Omit<NewEvent, 'key' | 'type'>>, now: Date): Promise<EventRow> {
  const { rules, reward_bundle, ...plain } = change;
  return trx
    .updateTable('events')
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
 * Applies a new target to the event's active participations (progress stops at it, and one that
 * reaches it becomes claimable) and bumps their players' state version; claimable and claimed
 * ones keep what they earned. Returns how many participations changed.
 */
export async function retargetActiveParticipations(trx: Db, eventId: string, target: number, now: Date): Promise<number> {
  const result = await sql<{ n: number }>`
    WITH changed AS (
      UPDATE event_participations
      SET target = ${target}::bigint,
          progress = LEAST(progress, ${target}::bigint),
          status = CASE WHEN progress >= ${target}::bigint THEN 'claimable' ELSE 'active' END,
          progress_version = progress_version + 1,
          -- A participation the new target completes made progress now; one that only aims
          -- higher did not.
          last_progress_at = CASE WHEN progress >= ${target}::bigint THEN ${now}::timestamptz ELSE last_progress_at END
      WHERE event_id = ${eventId} AND status = 'active' AND target <> ${target}::bigint
      RETURNING user_id
    ),
    bumped AS (
      UPDATE users SET state_version = state_version + 1 WHERE id IN (SELECT user_id FROM changed)
    )
    SELECT count(*)::int AS n FROM changed`.execute(trx);
  return result.rows[0]?.n ?? 0;
}
