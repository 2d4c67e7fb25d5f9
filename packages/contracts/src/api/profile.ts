import { z } from 'zod';
import { AuthHeadersSchema, IsoDateTimeSchema } from './common.ts';
import { UserSchema } from './auth.ts';
import { ParticipationStatusSchema } from './events.ts';
import { BalancesSchema, CurrencySchema, RewardItemSchema, RewardSourceSchema } from './rewards.ts';

/** How many participations and activity entries the profile carries at most, newest first. */
export const PROFILE_PARTICIPATIONS = 100;
export const PROFILE_RECENT_ACTIVITY = 20;

/** The profile takes no query parameters; any is refused (400). */
export const ProfileQuerySchema = z.strictObject({});
export const ProfileHeadersSchema = AuthHeadersSchema;

export const ProgressionSchema = z
  .object({
    level: z.number().int(),
    exp: z.number().int(),
    exp_to_next_level: z.number().int(),
    /** The play streak as of today (RESET_TIMEZONE): 0 once a day was missed. */
    streak_days: z.number().int(),
  })
  .meta({ id: 'Progression' });

/** The best score per game type; `game_name` as GET /api/game/types names it. */
export const TopScoreSchema = z.object({ game_type: z.string(), game_name: z.string(), score: z.number().int() }).meta({ id: 'TopScore' });

/** Lifetime figures: ended games only; purchases that succeeded only. */
export const ProfileStatsSchema = z
  .object({
    games_played: z.number().int(),
    total_score: z.number().int(),
    /** Whole seconds per play, rounded down, summed (as the play_seconds metric counts them). */
    play_seconds: z.number().int(),
    /** The best score of each game type the player has played, by game type. */
    top_scores: z.array(TopScoreSchema),
    events_joined: z.number().int(),
    events_claimed: z.number().int(),
    purchases: z.number().int(),
  })
  .meta({ id: 'ProfileStats' });

export const ProfileInventoryEntrySchema = z
  .object({ item_id: z.string(), name: z.string(), quantity: z.number().int() })
  .meta({ id: 'ProfileInventoryEntry' });

/** One of the player's event participations, with the event it belongs to (status as of now). */
export const ProfileParticipationSchema = z
  .object({
    event_id: z.uuid(),
    key: z.string(),
    title: z.string(),
    status: ParticipationStatusSchema,
    progress: z.number().int(),
    target: z.number().int(),
    progress_version: z.number().int(),
    joined_at: IsoDateTimeSchema,
    ends_at: IsoDateTimeSchema,
    claimed_at: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'ProfileParticipation' });

/**
 * One thing that happened to the player: `claim` (an event or mission reward), `grant` (any other
 * reward: signup, game payout, item opened, operator), `purchase` (a succeeded purchase; what it
 * granted is part of it) or `session` (an ended game).
 */
export const ActivityTypeSchema = z.enum(['claim', 'grant', 'purchase', 'session']);

/**
 * Each entry carries `summary`, one English line, and `detail`, what the line is written from, so
 * a client can say it in its own language: the reward's source and title (a grant's title names
 * what it was for: the event, the game, the item opened, the operator's reason) with what it gave;
 * the SKU, quantity and price of a purchase; the game, score and seconds of a session.
 */
const activity = <T extends z.infer<typeof ActivityTypeSchema>, D extends z.ZodType>(type: T, detail: D) =>
  z.object({ type: z.literal(type), at: IsoDateTimeSchema, summary: z.string(), detail });
const grantDetail = <S extends z.ZodType>(source: S) => z.object({ source, title: z.string().nullable(), reward_items: z.array(RewardItemSchema) });
export const ActivityEntrySchema = z
  .discriminatedUnion('type', [
    activity('claim', grantDetail(z.enum(['event', 'mission']))),
    activity('grant', grantDetail(RewardSourceSchema.exclude(['event', 'mission']))),
    activity('purchase', z.object({ sku_name: z.string(), quantity: z.number().int(), total_price: z.number().int(), currency_type: CurrencySchema })),
    activity('session', z.object({ game_type: z.string(), game_name: z.string(), score: z.number(), duration: z.number() })),
  ])
  .meta({ id: 'ActivityEntry' });

export const ProfileResponseSchema = z
  .object({
    user: UserSchema,
    progression: ProgressionSchema,
    currencies: BalancesSchema,
    stats: ProfileStatsSchema,
    inventory: z.array(ProfileInventoryEntrySchema),
    participations: z.array(ProfileParticipationSchema).max(PROFILE_PARTICIPATIONS),
    recent_activity: z.array(ActivityEntrySchema).max(PROFILE_RECENT_ACTIVITY),
  })
  .meta({ id: 'Profile' });

export type Progression = z.infer<typeof ProgressionSchema>;
export type TopScore = z.infer<typeof TopScoreSchema>;
export type ProfileStats = z.infer<typeof ProfileStatsSchema>;
export type ProfileParticipation = z.infer<typeof ProfileParticipationSchema>;
export type ActivityType = z.infer<typeof ActivityTypeSchema>;
export type ActivityEntry = z.infer<typeof ActivityEntrySchema>;
export type Profile = z.infer<typeof ProfileResponseSchema>;
