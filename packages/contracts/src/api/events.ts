import { z } from 'zod';
import { IsoDateTimeSchema, MAX_AMOUNT, TextSchema, WindowDateTimeSchema } from './common.ts';
import { MetricSchema, type Metric } from './progress.ts';
import { BalancesSchema, RewardBundleSchema, RewardItemSchema } from './rewards.ts';

export const EventTypeSchema = z.enum(['daily', 'limited', 'progression']);
/** Derived from the clock: before starts_at, inside [starts_at, ends_at), at or after ends_at. */
export const EventStatusSchema = z.enum(['inactive', 'active', 'expired']);
/** The participation state machine (server: modules/events/state.ts; database: a CHECK). */
export const ParticipationStatusSchema = z.enum(['active', 'claimable', 'claimed', 'expired']);

/** Metrics a game session advances; only these may be narrowed by game_type or min_score. */
export const PLAY_METRICS: readonly Metric[] = ['games_played', 'score_total', 'play_seconds', 'wins'];

/** Largest delta one client progress report may carry. */
export const MAX_PROGRESS_DELTA = 1_000_000;

/** A stable, operator-chosen identifier of an event or mission, e.g. `play_3_games` (as analytics slugs). */
export const LiveOpsKeySchema = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a-z, 0-9 and _, at most 64');
const GameTypeRefSchema = z.string().regex(/^[a-z0-9_]{1,32}$/, 'a-z, 0-9 and _, at most 32');

/** What counts toward a target; shared by events and missions. */
export const ruleShape = {
  metric: MetricSchema,
  target: z.number().int().positive().max(MAX_AMOUNT),
  /** Only plays of this game type count. */
  game_type: GameTypeRefSchema.optional(),
  /** Only plays scoring at least this count. */
  min_score: z.number().int().min(0).max(MAX_AMOUNT).optional(),
};

/** game_type and min_score narrow plays; on a non-play metric they could never match. */
export const playFiltersOnPlayMetrics = (r: { metric: Metric; game_type?: string | undefined; min_score?: number | undefined }) =>
  (r.game_type === undefined && r.min_score === undefined) || PLAY_METRICS.includes(r.metric);
export const playFiltersError = { message: 'game_type and min_score apply only to play metrics', path: ['game_type'] };

export const EventRulesSchema = z
  .strictObject({
    ...ruleShape,
    /** The client may report progress itself (POST /api/events/{id}/progress). */
    client_reportable: z.boolean().optional(),
  })
  .refine(playFiltersOnPlayMetrics, playFiltersError)
  // A report is a number the client sends, not a play: a filter on plays would be ignored by it,
  // and the event paid without one qualifying play.
  .refine((r) => !r.client_reportable || (r.game_type === undefined && r.min_score === undefined), {
    message: 'a client-reportable event counts what the client reports: game_type and min_score cannot apply',
    path: ['client_reportable'],
  })
  .meta({ id: 'EventRules' });

/** The one shape progress and claim answers share, for events and missions alike. */
export const ProgressStateSchema = z
  .object({
    status: ParticipationStatusSchema,
    progress: z.number().int(),
    target: z.number().int(),
    completed: z.boolean(),
    claimed: z.boolean(),
    progress_version: z.number().int(),
    last_progress_at: IsoDateTimeSchema.nullable(),
  })
  .meta({ id: 'ProgressState' });

export const ParticipationSchema = ProgressStateSchema.extend({
  event_id: z.uuid(),
  joined_at: IsoDateTimeSchema,
}).meta({ id: 'EventParticipation' });

export const EventSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    title: z.string(),
    description: z.string(),
    type: EventTypeSchema,
    starts_at: IsoDateTimeSchema,
    ends_at: IsoDateTimeSchema,
    rules: EventRulesSchema,
    reward_bundle: RewardBundleSchema,
    status: EventStatusSchema,
    participation: ParticipationSchema.nullable(),
  })
  .meta({ id: 'Event' });

export const EventListQuerySchema = z.strictObject({
  /** true: only events running now; false: only those not running; absent: all. */
  active: z.stringbool({ truthy: ['true'], falsy: ['false'] }).optional(),
});
export const EventListResponseSchema = z.object({ items: z.array(EventSchema) }).meta({ id: 'EventList' });

export const EventProgressBodySchema = z
  .strictObject({
    metric: MetricSchema,
    delta: z.number().int().min(1).max(MAX_PROGRESS_DELTA),
    /** The progress_version the client last saw; a stale one is refused with VERSION_CONFLICT. */
    expected_version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .meta({ id: 'EventProgressReport' });

/** A successful claim: the claimed state, the grant and the balances after it. */
export const ClaimResponseSchema = ProgressStateSchema.extend({
  status: z.literal('claimed'),
  claimed: z.literal(true),
  grant_id: z.uuid(),
  reward_items: z.array(RewardItemSchema),
  balances: BalancesSchema,
}).meta({ id: 'ClaimResult' });

export const EventClaimResponseSchema = ClaimResponseSchema.extend({ event_id: z.uuid() }).meta({ id: 'EventClaimResult' });

/** An event as operators see it: the definition, its status now, and how many joined and claimed. */
export const AdminEventSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    title: z.string(),
    description: z.string(),
    type: EventTypeSchema,
    starts_at: IsoDateTimeSchema,
    ends_at: IsoDateTimeSchema,
    rules: EventRulesSchema,
    reward_bundle: RewardBundleSchema,
    status: EventStatusSchema,
    participants: z.number().int(),
    claims: z.number().int(),
    created_at: IsoDateTimeSchema,
    updated_at: IsoDateTimeSchema,
  })
  .meta({ id: 'AdminEvent' });
export const AdminEventListResponseSchema = z.object({ items: z.array(AdminEventSchema) }).meta({ id: 'AdminEventList' });

const windowOrdered = (b: { starts_at?: string | undefined; ends_at?: string | undefined }) =>
  !b.starts_at || !b.ends_at || Date.parse(b.starts_at) < Date.parse(b.ends_at);
const windowError = { message: 'ends_at must be after starts_at', path: ['ends_at'] };

const EventTitleSchema = TextSchema.trim().min(1).max(100);
const DescriptionSchema = TextSchema.trim().max(2000);

export const CreateEventBodySchema = z
  .strictObject({
    key: LiveOpsKeySchema,
    title: EventTitleSchema,
    description: DescriptionSchema.default(''),
    type: EventTypeSchema,
    starts_at: WindowDateTimeSchema,
    ends_at: WindowDateTimeSchema,
    rules: EventRulesSchema,
    reward_bundle: RewardBundleSchema,
  })
  .refine(windowOrdered, windowError)
  .meta({ id: 'CreateEvent' });

/** A partial change; the window is checked again against the stored half when only one moves. */
export const UpdateEventBodySchema = z
  .strictObject({
    title: EventTitleSchema.optional(),
    description: DescriptionSchema.optional(),
    starts_at: WindowDateTimeSchema.optional(),
    ends_at: WindowDateTimeSchema.optional(),
    rules: EventRulesSchema.optional(),
    reward_bundle: RewardBundleSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field')
  .refine(windowOrdered, windowError)
  .meta({ id: 'UpdateEvent' });

export type EventType = z.infer<typeof EventTypeSchema>;
export type EventStatus = z.infer<typeof EventStatusSchema>;
export type ParticipationStatus = z.infer<typeof ParticipationStatusSchema>;
export type EventRules = z.infer<typeof EventRulesSchema>;
export type ProgressState = z.infer<typeof ProgressStateSchema>;
export type Participation = z.infer<typeof ParticipationSchema>;
export type LiveEvent = z.infer<typeof EventSchema>;
export type EventProgressBody = z.infer<typeof EventProgressBodySchema>;
export type ClaimResponse = z.infer<typeof ClaimResponseSchema>;
export type EventClaimResponse = z.infer<typeof EventClaimResponseSchema>;
export type AdminEvent = z.infer<typeof AdminEventSchema>;
export type CreateEventBody = z.infer<typeof CreateEventBodySchema>;
export type UpdateEventBody = z.infer<typeof UpdateEventBodySchema>;
