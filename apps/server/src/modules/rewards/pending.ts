import type { z } from 'zod';
import type { PendingRewardSchema } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';

export type PendingReward = z.infer<typeof PendingRewardSchema>;

/**
 * Rewards the player can claim now: claimable event participations and mission periods.
 * Events and missions register their sources here as they are built.
 */
export type PendingSource = (db: Db, userId: string, now: Date) => Promise<PendingReward[]>;
const sources: PendingSource[] = [];

export function registerPendingSource(source: PendingSource): void {
  sources.push(source);
}

export async function listPendingRewards(db: Db, userId: string, now: Date): Promise<PendingReward[]> {
  const lists = await Promise.all(sources.map((source) => source(db, userId, now)));
  return lists.flat();
}
