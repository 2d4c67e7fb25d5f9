import { z } from 'zod';
import { RewardItemSchema } from './common.ts';

/** `mission.claim`: a completed mission period was claimed. */
export const MissionClaimV1Schema = z.strictObject({
  mission_id: z.uuid(),
  period_key: z.string().min(1).max(32),
  grant_id: z.uuid(),
  reward_items: z.array(RewardItemSchema),
});
