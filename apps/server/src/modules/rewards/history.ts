import type { RewardHistoryResponse } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { notFound } from '../../lib/domain-error.ts';
import { listGrants } from './repo.ts';

/**
 * One page of the player's grant history, newest first, continuing after the grant `before` when
 * given. A full page names its last grant as `next_before` (more may follow); a short one ends it.
 * A `before` that is not a grant of this player is 404, as another player's resource is.
 */
export async function rewardHistory(db: Db, userId: string, page: { limit: number; before?: string | undefined }): Promise<RewardHistoryResponse> {
  const items = await listGrants(db, userId, page.limit, page.before);
  if (!items) throw notFound('grant');
  return { items, next_before: items.length === page.limit ? items.at(-1)!.grant_id : null };
}
