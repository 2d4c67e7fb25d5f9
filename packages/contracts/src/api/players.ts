import { z } from 'zod';
import { UserSchema } from './auth.ts';
import { IsoDateTimeSchema, TextSchema, UuidSchema } from './common.ts';
import { ProfileResponseSchema } from './profile.ts';
import { BalancesSchema } from './rewards.ts';

/** Most players one search answers; the default is 20. */
export const PLAYER_SEARCH_MAX = 50;

/**
 * `GET /api/admin/players?q=&limit=&before=`: operators find a player to look at or to reward. `q`
 * is the start of a handle or of a nickname (case-insensitive), or a user id; without it, the
 * newest signups. Control characters are refused rather than searched for. `before` is the
 * `next_before` of the page before, for the next page of the same search.
 */
export const PlayerSearchQuerySchema = z.strictObject({
  q: TextSchema
    .trim()
    .max(64)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters')
    .optional(),
  limit: z.coerce.number().int().min(1).max(PLAYER_SEARCH_MAX).default(20),
  before: UuidSchema.optional(),
});

/** Since when, why and by which operator the player is suspended; null while they may play. */
export const PlayerSuspensionSchema = z
  .object({ suspended_at: IsoDateTimeSchema, reason: z.string(), by: z.object({ id: z.uuid(), site_id: z.string() }) })
  .nullable()
  .meta({ id: 'PlayerSuspension' });

/** One search result: who the player is, their level, what they hold and whether they are suspended. */
export const PlayerSummarySchema = z
  .object({ user: UserSchema, level: z.number().int(), balances: BalancesSchema, suspension: PlayerSuspensionSchema })
  .meta({ id: 'PlayerSummary' });

/** `GET /api/admin/players/{id}`: the player's own profile, with their suspension. */
export const AdminPlayerSchema = ProfileResponseSchema.extend({ suspension: PlayerSuspensionSchema }).meta({ id: 'AdminPlayer' });

/**
 * `POST /api/admin/players/{id}/suspend`: the player's sessions end at once and they cannot log in
 * again until reinstated (`POST /api/admin/players/{id}/reinstate`). Operators cannot be suspended.
 */
export const SuspendPlayerBodySchema = z.strictObject({
  reason: TextSchema
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters'),
});

/**
 * Exact handle first, then the newest signups. `next_before` names the last player of the page
 * when more match (pass it as `before`), null on the last page.
 */
export const PlayerSearchResponseSchema = z.object({ items: z.array(PlayerSummarySchema), next_before: z.uuid().nullable() });

export type PlayerSearchQuery = z.infer<typeof PlayerSearchQuerySchema>;
export type PlayerSummary = z.infer<typeof PlayerSummarySchema>;
export type PlayerSearchResponse = z.infer<typeof PlayerSearchResponseSchema>;
export type PlayerSuspension = z.infer<typeof PlayerSuspensionSchema>;
export type AdminPlayer = z.infer<typeof AdminPlayerSchema>;
export type SuspendPlayerBody = z.infer<typeof SuspendPlayerBodySchema>;
