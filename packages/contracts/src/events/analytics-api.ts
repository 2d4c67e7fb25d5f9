import { z } from 'zod';

const DateSchema = z.iso.date();
const CountSchema = z.number().int().nonnegative();
const RevenueSchema = z.object({ soft: z.number().int(), premium: z.number().int() });

/** The KPIs of one day, or of the whole range (`totals`). */
const KpiFiguresSchema = z.object({
  active_users: CountSchema,
  signups: CountSchema,
  sessions: CountSchema,
  claims: CountSchema,
  purchases: CountSchema,
  revenue: RevenueSchema,
});

export const FUNNEL_STEPS = ['signup', 'participate', 'session_end', 'claim', 'purchase'] as const;

/** `GET /api/admin/analytics/kpis`, answered from the analytics store only. */
export const KpisResponseSchema = z
  .object({
    from: DateSchema,
    to: DateSchema,
    totals: KpiFiguresSchema,
    daily: z.array(KpiFiguresSchema.extend({ date: DateSchema })),
    sessions_by_game: z.array(z.object({ game_type: z.string(), sessions: CountSchema, players: CountSchema })),
    funnel: z.array(z.object({ step: z.enum(FUNNEL_STEPS), users: CountSchema })),
  })
  .meta({ id: 'AnalyticsKpis' });

/** Dates are UTC days, both ends included; at most 366 days. */
export const KpisQuerySchema = z
  .strictObject({ from: DateSchema.optional(), to: DateSchema.optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

/** `GET /api/admin/pipeline`: the outbox backlog and the sink side of the pipeline. */
export const PipelineResponseSchema = z
  .object({
    outbox: z.object({
      pending: CountSchema,
      oldest_pending_age_s: z.number().nonnegative(),
      published_total: CountSchema,
    }),
    relay: z.object({
      running: z.boolean(),
      publisher: z.string(),
      consecutive_failures: CountSchema,
      last_error: z.string().nullable(),
      last_published_at: z.string().nullable(),
    }),
    sink: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'PipelineStatus' });

export type Kpis = z.infer<typeof KpisResponseSchema>;
export type KpiFigures = z.infer<typeof KpiFiguresSchema>;
export type PipelineStatus = z.infer<typeof PipelineResponseSchema>;
