import { z } from 'zod';
import { RewardItemSchema } from './common.ts';

/** `event.claim`: a completed participation was claimed; the grant itself is a `reward.granted`. */
export const EventClaimV1Schema = z.strictObject({
  event_id: z.uuid(),
  grant_id: z.uuid(),
  reward_items: z.array(RewardItemSchema),
});
