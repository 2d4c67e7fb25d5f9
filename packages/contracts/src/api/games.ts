import { z } from 'zod';
import { IsoDateTimeSchema, isWellFormedJson, MAX_AMOUNT, NOT_WELL_FORMED } from './common.ts';
import { ProgressUpdateSchema } from './progress.ts';
import { RewardItemSchema } from './rewards.ts';
import { TierSchema } from './auth.ts';

/** Longest duration any end report may claim (a day); a game type's own limit is far lower. */
export const MAX_SESSION_DURATION_S = 86_400;
/** Largest serialized `meta` an end report may carry, in UTF-8 bytes. */
export const MAX_SESSION_META_BYTES = 2048;

export const GameTypeIdSchema = z.string().regex(/^[a-z0-9_]{1,32}$/, 'a-z, 0-9 and _, at most 32');
/** Who decides the result: the client reports it (checked for plausibility) or the server rolls it. */
export const GameScoringSchema = z.enum(['client', 'server']);
export const GameSessionStatusSchema = z.enum(['active', 'ended', 'abandoned']);

export const GameTypeSchema = z
  .object({
    game_type: z.string(),
    name: z.string(),
    scoring: GameScoringSchema,
    max_duration_s: z.number().int(),
    min_duration_s: z.number().int(),
    /** Client-scored games: the score bound is this times the duration plus a small allowance. */
    max_score_per_second: z.number().int().nullable(),
  })
  .meta({ id: 'GameType' });
export const GameTypesResponseSchema = z.array(GameTypeSchema).meta({ id: 'GameTypes' });

export const StartSessionBodySchema = z.strictObject({ game_type: GameTypeIdSchema }).meta({ id: 'StartGameSession' });

/** A session as lists show it; ended_at, score and duration are null until it ends. */
export const GameSessionSchema = z
  .object({
    session_id: z.uuid(),
    game_type: z.string(),
    started_at: IsoDateTimeSchema,
    ended_at: IsoDateTimeSchema.nullable(),
    score: z.number().int().nullable(),
    duration: z.number().nullable(),
    status: GameSessionStatusSchema,
    /** Server-scored games: SHA-256 (hex) of the seed the result comes from, fixed at start. */
    seed_commitment: z.string().nullable(),
  })
  .meta({ id: 'GameSession' });

export const StartSessionResponseSchema = z
  .object({
    session_id: z.uuid(),
    game_type: z.string(),
    started_at: IsoDateTimeSchema,
    status: z.literal('active'),
    seed_commitment: z.string().nullable(),
  })
  .meta({ id: 'StartedGameSession' });

/** The size of `meta` as JSON; nesting too deep to print (a RangeError) counts as too large. */
const metaBytes = (meta: unknown) => {
  try {
    return new TextEncoder().encode(JSON.stringify(meta)).length;
  } catch {
    return Infinity;
  }
};

/**
 * What the client reports at the end. `score` is required for client-scored games; for
 * server-scored games it must be absent or 0 (the server's roll is the score).
 */
export const EndSessionBodySchema = z
  .strictObject({
    score: z.number().int().min(0).max(MAX_AMOUNT).optional(),
    duration: z.number().min(0).max(MAX_SESSION_DURATION_S),
    meta: z
      .record(z.string().max(64), z.unknown())
      .refine((m) => metaBytes(m) <= MAX_SESSION_META_BYTES, `at most ${MAX_SESSION_META_BYTES} bytes as JSON`)
      // Stored as jsonb, which refuses a lone surrogate anywhere in it, keys included.
      .refine(isWellFormedJson, NOT_WELL_FORMED)
      .optional(),
  })
  .meta({ id: 'EndGameSession' });

/** The lucky_dice roll: two dice from the seed, their total (the score) and the soft payout. */
export const LuckyDiceOutcomeSchema = z.object({
  dice: z.tuple([z.number().int(), z.number().int()]),
  total: z.number().int(),
  payout_soft: z.number().int(),
});

/** A server-scored result with the revealed seed, so the client can check it against the commitment. */
export const ServerResultSchema = z
  .object({
    seed: z.string(),
    seed_commitment: z.string(),
    outcome: LuckyDiceOutcomeSchema,
    /** What this play paid: the outcome's payout, or 0 once the day's paid plays are used up. */
    paid_soft: z.number().int(),
    /** True when the roll would have paid but the player's paid plays for the day are used up. */
    daily_payout_limit_reached: z.boolean(),
  })
  .meta({ id: 'GameServerResult' });

export const EndedSessionSchema = GameSessionSchema.extend({
  ended_at: IsoDateTimeSchema,
  score: z.number().int(),
  duration: z.number(),
  status: z.literal('ended'),
});

export const EndSessionResponseSchema = z
  .object({
    session: EndedSessionSchema,
    progress_updates: z.array(ProgressUpdateSchema),
    exp_gained: z.number().int(),
    level: z.number().int(),
    level_up: z.boolean(),
    tier: TierSchema,
    streak_days: z.number().int(),
    reward_items: z.array(RewardItemSchema),
    /** Server-scored games only; null for client-scored ones. */
    result: ServerResultSchema.nullable(),
  })
  .meta({ id: 'EndedGameSession' });

export const GameSessionListSchema = z.object({ items: z.array(GameSessionSchema) }).meta({ id: 'GameSessionList' });

export type GameScoring = z.infer<typeof GameScoringSchema>;
export type GameSessionStatus = z.infer<typeof GameSessionStatusSchema>;
export type GameType = z.infer<typeof GameTypeSchema>;
export type GameSession = z.infer<typeof GameSessionSchema>;
export type StartSessionResponse = z.infer<typeof StartSessionResponseSchema>;
export type EndSessionBody = z.infer<typeof EndSessionBodySchema>;
export type EndSessionResponse = z.infer<typeof EndSessionResponseSchema>;
export type LuckyDiceOutcome = z.infer<typeof LuckyDiceOutcomeSchema>;
export type ServerResult = z.infer<typeof ServerResultSchema>;
