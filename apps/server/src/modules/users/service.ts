import {
  UuidSchema,
  type AdminPlayer,
  type PlayerSearchQuery,
  type PlayerSearchResponse,
  type PlayerSummary,
  type PlayerSuspension,
  type RewardHistoryResponse,
  type SuspendPlayerBody,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { forbidden, notFound } from '../../lib/domain-error.ts';
import { readProfile, type ProfileDeps } from '../profile/service.ts';
import { rewardHistory } from '../rewards/history.ts';
import { userExists } from '../rewards/repo.ts';
import { findPlayerRow, findSuspension, lockUserForSuspension, reinstateUser, searchUsers, suspendUser, toUser, type PlayerSearchRow, type SuspensionRow } from './repo.ts';

const suspensionOf = (row: SuspensionRow): PlayerSuspension =>
  row.suspended_at && row.suspended_by
    ? {
        suspended_at: row.suspended_at.toISOString(),
        reason: row.suspended_reason ?? '',
        by: { id: row.suspended_by, site_id: row.suspended_by_site_id ?? '' },
      }
    : null;

const toSummary = (row: PlayerSearchRow): PlayerSummary => ({
  user: toUser(row),
  level: row.level,
  balances: { soft: row.soft ?? 0, premium: row.premium ?? 0 },
  suspension: suspensionOf(row),
});

/**
 * Operators' search for a player: by the start of a handle or nickname, or by id, a page at a
 * time. A `before` that is no player is 404, as an unknown player is.
 */
export async function searchPlayers(db: Db, query: PlayerSearchQuery): Promise<PlayerSearchResponse> {
  const q = query.q || undefined;
  const id = q !== undefined && UuidSchema.safeParse(q).success ? q : undefined;
  // One row past the page says whether another follows.
  const rows = await searchUsers(db, { q, id, limit: query.limit + 1, before: query.before });
  if (!rows) throw notFound('player');
  const items = rows.slice(0, query.limit).map(toSummary);
  return { items, next_before: rows.length > query.limit ? items.at(-1)!.user.id : null };
}

/** A player as they see themselves on their profile, and their suspension, for the operator looking after them. */
export async function getPlayerForOperator(deps: ProfileDeps, userId: string): Promise<AdminPlayer> {
  const [profile, row] = await Promise.all([readProfile(deps, userId), findSuspension(deps.db, userId)]);
  if (!profile || !row) throw notFound('player');
  return { ...profile, suspension: suspensionOf(row) };
}

/** Every grant the player received, a page at a time, as their own history pages it (support: "where is my reward?"). */
export async function listPlayerGrants(db: Db, userId: string, page: { limit: number; before?: string | undefined }): Promise<RewardHistoryResponse> {
  if (!(await userExists(db, userId))) throw notFound('player');
  return rewardHistory(db, userId, page);
}

async function summaryOf(db: Db, userId: string): Promise<PlayerSummary> {
  const row = await findPlayerRow(db, userId);
  if (!row) throw notFound('player');
  return toSummary(row);
}

/**
 * Suspends a player: their sessions end at once (the session check and refresh refuse them) and
 * they cannot log in until reinstated. Suspending a suspended player changes nothing (the first
 * reason and time stay). Operators cannot be suspended: an operator locking out every operator
 * would need the database to undo.
 */
export async function suspendPlayer(deps: { db: Db; clock: Clock }, operatorId: string, userId: string, body: SuspendPlayerBody): Promise<PlayerSummary> {
  await deps.db.transaction().execute(async (trx) => {
    const user = await lockUserForSuspension(trx, userId);
    if (!user) throw notFound('player');
    if (user.role === 'admin') throw forbidden('operators cannot be suspended');
    if (user.suspended_at === null) await suspendUser(trx, userId, { reason: body.reason, by: operatorId, now: deps.clock.now() });
  });
  return summaryOf(deps.db, userId);
}

/** Lets a suspended player log in again; their old sessions stay ended. */
export async function reinstatePlayer(db: Db, userId: string): Promise<PlayerSummary> {
  if (!(await reinstateUser(db, userId))) throw notFound('player');
  return summaryOf(db, userId);
}
