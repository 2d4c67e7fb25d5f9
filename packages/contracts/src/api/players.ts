import { z } from 'zod';
import { UserSchema } from './auth.ts';
import { BalancesSchema } from './rewards.ts';

/** Most players one search answers; the default is 20. */
export const PLAYER_SEARCH_MAX = 50;

/**
 * `GET /api/admin/players?q=&limit=`: operators find a player to look at or to reward. `q` is the
 * start of a handle or of a nickname (case-insensitive), or a user id; without it, the newest
 * signups. Control characters are refused rather than searched for.
 */
export const PlayerSearchQuerySchema = z.strictObject({
  q: z
    .string()
    .trim()
    .max(64)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters')
    .optional(),
  limit: z.coerce.number().int().min(1).max(PLAYER_SEARCH_MAX).default(20),
});

/** One search result: who the player is, their level and what they hold. */
export const PlayerSummarySchema = z
  .object({ user: UserSchema, level: z.number().int(), balances: BalancesSchema })
  .meta({ id: 'PlayerSummary' });

/** Exact handle first, then the newest signups. */
export const PlayerSearchResponseSchema = z.object({ items: z.array(PlayerSummarySchema) });

export type PlayerSearchQuery = z.infer<typeof PlayerSearchQuerySchema>;
export type PlayerSummary = z.infer<typeof PlayerSummarySchema>;
