import { z } from 'zod';
import { AuthHeadersSchema, IsoDateTimeSchema } from './common.ts';
import { TierSchema } from './auth.ts';
import { EventRulesSchema, EventTypeSchema, ParticipationStatusSchema } from './events.ts';
import { GameSessionSchema } from './games.ts';
import { MissionSchema } from './missions.ts';
import { BalancesSchema, RewardBundleSchema } from './rewards.ts';
import { SkuSchema } from './shop.ts';

/** How many recent sessions and shop highlights the dashboard carries. */
export const DASHBOARD_RECENT_SESSIONS = 3;
export const DASHBOARD_SHOP_HIGHLIGHTS = 3;

/** The dashboard takes no query parameters; any is refused (400), so a typo is not silently ignored. */
export const DashboardQuerySchema = z.strictObject({});

/** If-None-Match carries the ETag of the copy the client holds (a list and `*` are understood). */
export const DashboardHeadersSchema = AuthHeadersSchema.extend({
  'if-none-match': z.string().max(1024).optional(),
});

export const DashboardProfileSchema = z
  .object({
    id: z.uuid(),
    site_id: z.string(),
    nickname: z.string(),
    tier: TierSchema,
    level: z.number().int(),
    exp: z.number().int(),
    exp_to_next_level: z.number().int(),
    /** The play streak as of today (RESET_TIMEZONE): 0 once a day was missed. */
    streak_days: z.number().int(),
  })
  .meta({ id: 'DashboardProfile' });

/** The player's participation in a dashboard event, or null before they join. */
export const DashboardParticipationSchema = z
  .object({
    status: ParticipationStatusSchema,
    progress: z.number().int(),
    target: z.number().int(),
    progress_version: z.number().int(),
  })
  .meta({ id: 'DashboardParticipation' });

/** An event running now, as the dashboard summarises it. */
export const DashboardEventSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    title: z.string(),
    type: EventTypeSchema,
    ends_at: IsoDateTimeSchema,
    rules: EventRulesSchema,
    reward_bundle: RewardBundleSchema,
    participation: DashboardParticipationSchema.nullable(),
  })
  .meta({ id: 'DashboardEvent' });

/** What the player was rewarded today (RESET_TIMEZONE day): the sum of today's grants, bought packs aside. */
export const TodayRewardsSchema = z
  .object({ soft: z.number().int(), premium: z.number().int(), exp: z.number().int() })
  .meta({ id: 'TodayRewards' });

/** Activity in the 24 hours before the request: ended games and mission periods completed (target reached), claimed or not. */
export const Last24hSchema = z
  .object({ games: z.number().int(), missions_completed: z.number().int() })
  .meta({ id: 'Last24h' });

export const DashboardResponseSchema = z
  .object({
    profile: DashboardProfileSchema,
    currencies: BalancesSchema,
    active_events: z.array(DashboardEventSchema),
    missions: z.object({ daily: z.array(MissionSchema), weekly: z.array(MissionSchema) }),
    /** How many rewards the player can claim now (the count of GET /api/rewards/pending). */
    pending_rewards: z.number().int(),
    today_rewards: TodayRewardsSchema,
    last_24h: Last24hSchema,
    recent_sessions: z.array(GameSessionSchema).max(DASHBOARD_RECENT_SESSIONS),
    shop_highlights: z.array(SkuSchema).max(DASHBOARD_SHOP_HIGHLIGHTS),
  })
  .meta({ id: 'Dashboard' });

export type DashboardProfile = z.infer<typeof DashboardProfileSchema>;
export type DashboardEvent = z.infer<typeof DashboardEventSchema>;
export type DashboardParticipation = z.infer<typeof DashboardParticipationSchema>;
export type TodayRewards = z.infer<typeof TodayRewardsSchema>;
export type Last24h = z.infer<typeof Last24hSchema>;
export type Dashboard = z.infer<typeof DashboardResponseSchema>;
