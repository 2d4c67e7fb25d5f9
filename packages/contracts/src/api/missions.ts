import { z } from 'zod';
import { IsoDateTimeSchema, TextSchema } from './common.ts';
import { ClaimResponseSchema, LiveOpsKeySchema, playFiltersError, playFiltersOnPlayMetrics, ruleShape } from './events.ts';
import { RewardBundleSchema } from './rewards.ts';

export const MissionPeriodSchema = z.enum(['daily', 'weekly']);
/** A mission period's state machine (server: modules/missions/state.ts; database: a CHECK). */
export const MissionStatusSchema = z.enum(['active', 'claimable', 'claimed']);

/** Missions count server-side only; there is no client progress for them. */
export const MissionRulesSchema = z
  .strictObject(ruleShape)
  .refine(playFiltersOnPlayMetrics, playFiltersError)
  .meta({ id: 'MissionRules' });

/** A mission with the calling player's progress in the current period (0 when nothing counted yet). */
export const MissionSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    title: z.string(),
    description: z.string(),
    period: MissionPeriodSchema,
    rules: MissionRulesSchema,
    reward_bundle: RewardBundleSchema,
    /** 'YYYY-MM-DD' (daily) or ISO week 'YYYY-Www' (weekly), in RESET_TIMEZONE. */
    period_key: z.string(),
    /** When this period ends and a fresh one starts. */
    resets_at: IsoDateTimeSchema,
    progress: z.number().int(),
    target: z.number().int(),
    status: MissionStatusSchema,
    completed: z.boolean(),
    claimed: z.boolean(),
    progress_version: z.number().int(),
  })
  .meta({ id: 'Mission' });

export const MissionsResponseSchema = z
  .object({ daily: z.array(MissionSchema), weekly: z.array(MissionSchema) })
  .meta({ id: 'MissionList' });

export const MissionClaimResponseSchema = ClaimResponseSchema.extend({
  mission_id: z.uuid(),
  period_key: z.string(),
}).meta({ id: 'MissionClaimResult' });

export const AdminMissionSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    title: z.string(),
    description: z.string(),
    period: MissionPeriodSchema,
    rules: MissionRulesSchema,
    reward_bundle: RewardBundleSchema,
    active: z.boolean(),
    created_at: IsoDateTimeSchema,
    updated_at: IsoDateTimeSchema,
  })
  .meta({ id: 'AdminMission' });
export const AdminMissionListResponseSchema = z
  .object({ items: z.array(AdminMissionSchema) })
  .meta({ id: 'AdminMissionList' });

const MissionTitleSchema = TextSchema.trim().min(1).max(100);
const MissionDescriptionSchema = TextSchema.trim().max(2000);

export const CreateMissionBodySchema = z
  .strictObject({
    key: LiveOpsKeySchema,
    title: MissionTitleSchema,
    description: MissionDescriptionSchema.default(''),
    period: MissionPeriodSchema,
    rules: MissionRulesSchema,
    reward_bundle: RewardBundleSchema,
    active: z.boolean().default(true),
  })
  .meta({ id: 'CreateMission' });

/**
 * A partial change of a mission. key and period stay as created: progress rows and grant keys are
 * per (mission, period_key), and a mission that changed period would mix day and week keys.
 */
export const UpdateMissionBodySchema = z
  .strictObject({
    title: MissionTitleSchema.optional(),
    description: MissionDescriptionSchema.optional(),
    rules: MissionRulesSchema.optional(),
    reward_bundle: RewardBundleSchema.optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field')
  .meta({ id: 'UpdateMission' });

export type MissionPeriod = z.infer<typeof MissionPeriodSchema>;
export type MissionStatus = z.infer<typeof MissionStatusSchema>;
export type MissionRules = z.infer<typeof MissionRulesSchema>;
export type Mission = z.infer<typeof MissionSchema>;
export type MissionClaimResponse = z.infer<typeof MissionClaimResponseSchema>;
export type AdminMission = z.infer<typeof AdminMissionSchema>;
export type CreateMissionBody = z.infer<typeof CreateMissionBodySchema>;
export type UpdateMissionBody = z.infer<typeof UpdateMissionBodySchema>;
