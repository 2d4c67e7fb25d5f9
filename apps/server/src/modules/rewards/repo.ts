import type { RewardItem, RewardSource } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';

/** A player's grants, newest first. */
export async function listGrants(db: Db, userId: string, limit: number) {
  const rows = await db
    .selectFrom('reward_grants')
    .select(['id', 'source', 'source_id', 'reward_items', 'granted_at'])
    .where('user_id', '=', userId)
    .orderBy('granted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    grant_id: r.id,
    source: r.source as RewardSource,
    source_id: r.source_id,
    reward_items: r.reward_items as RewardItem[],
    granted_at: r.granted_at.toISOString(),
  }));
}

export async function userExists(db: Db, userId: string): Promise<boolean> {
  return Boolean(await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst());
}
