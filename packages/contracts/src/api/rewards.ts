import { z } from 'zod';
import { AmountSchema, TextSchema, UuidSchema } from './common.ts';

export const CurrencySchema = z.enum(['soft', 'premium']);
export const ItemIdSchema = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a-z, 0-9 and _, at most 64');
export const RewardSourceSchema = z.enum(['signup', 'event', 'mission', 'game', 'shop', 'item', 'operator']);

/** What a grant gives: currencies, exp and items; at least one of them. */
export const RewardBundleSchema = z
  .strictObject({
    currencies: z
      .strictObject({ soft: AmountSchema.optional(), premium: AmountSchema.optional() })
      .optional(),
    exp: AmountSchema.optional(),
    items: z
      .array(z.strictObject({ item_id: ItemIdSchema, quantity: AmountSchema }))
      .max(20)
      .optional(),
  })
  .refine(
    (b) => Boolean(b.currencies?.soft || b.currencies?.premium || b.exp || b.items?.length),
    'a bundle must give something',
  )
  .meta({ id: 'RewardBundle' });

export const RewardItemSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('currency'), currency: CurrencySchema, amount: z.number().int() }),
    z.object({ type: z.literal('exp'), amount: z.number().int() }),
    z.object({ type: z.literal('item'), item_id: z.string(), quantity: z.number().int() }),
  ])
  .meta({ id: 'RewardItem' });

export const BalancesSchema = z.object({ soft: z.number().int(), premium: z.number().int() }).meta({ id: 'Balances' });

export const PendingRewardSchema = z.object({
  source: RewardSourceSchema,
  source_id: z.string(),
  title: z.string(),
  reward_bundle: RewardBundleSchema,
  expires_at: z.string().nullable(),
});
export const PendingRewardsResponseSchema = z.object({
  count: z.number().int(),
  items: z.array(PendingRewardSchema),
});

export const RewardGrantSchema = z.object({
  grant_id: z.uuid(),
  source: RewardSourceSchema,
  source_id: z.string().nullable(),
  reward_items: z.array(RewardItemSchema),
  granted_at: z.string(),
});
/**
 * `GET /api/rewards/history?limit=&before=`: the player's grants, newest first. `before` (a
 * grant_id of theirs, as `next_before` gave it) continues after that grant.
 */
export const RewardHistoryQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: UuidSchema.optional(),
});
/** `next_before` is the last grant of the page when more may follow, else null. */
export const RewardHistoryResponseSchema = z.object({ items: z.array(RewardGrantSchema), next_before: z.uuid().nullable() });

export const DistributeBodySchema = z.strictObject({
  user_id: UuidSchema,
  bundle: RewardBundleSchema,
  reason: TextSchema.trim().min(1).max(200),
});
export const DistributeResponseSchema = z.object({
  grant_id: z.uuid(),
  user_id: z.uuid(),
  reward_items: z.array(RewardItemSchema),
  balances: BalancesSchema,
});

export type Currency = z.infer<typeof CurrencySchema>;
export type RewardSource = z.infer<typeof RewardSourceSchema>;
export type RewardBundle = z.infer<typeof RewardBundleSchema>;
export type RewardItem = z.infer<typeof RewardItemSchema>;
export type Balances = z.infer<typeof BalancesSchema>;
export type RewardHistoryResponse = z.infer<typeof RewardHistoryResponseSchema>;
