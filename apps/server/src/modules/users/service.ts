import { UuidSchema, type PlayerSearchQuery, type PlayerSummary, type Profile } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { notFound } from '../../lib/domain-error.ts';
import { readProfile, type ProfileDeps } from '../profile/service.ts';
import { searchUsers, toUser } from './repo.ts';

/** Operators' search for a player: by the start of a handle or nickname, or by id. */
export async function searchPlayers(db: Db, query: PlayerSearchQuery): Promise<PlayerSummary[]> {
  const q = query.q || undefined;
  const id = q !== undefined && UuidSchema.safeParse(q).success ? q : undefined;
  const rows = await searchUsers(db, { q, id, limit: query.limit });
  return rows.map((row) => ({ user: toUser(row), level: row.level, balances: { soft: row.soft ?? 0, premium: row.premium ?? 0 } }));
}

/** A player as they see themselves on their profile, for the operator looking after them. */
export async function getPlayerForOperator(deps: ProfileDeps, userId: string): Promise<Profile> {
  const profile = await readProfile(deps, userId);
  if (!profile) throw notFound('player');
  return profile;
}
