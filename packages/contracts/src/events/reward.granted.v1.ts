import { z } from 'zod';
import { RewardSourceSchema } from '../api/rewards.ts';
import { RewardItemSchema } from './common.ts';

/** `reward.granted`: the reward service granted a bundle (once per grant key). */
export const RewardGrantedV1Schema = z.strictObject({
  grant_id: z.uuid(),
  grant_key: z.string().min(1).max(255),
  source: RewardSourceSchema,
  source_id: z.string().max(255).nullable(),
  reward_items: z.array(RewardItemSchema),
});
