import { z } from 'zod';

/** Metrics an event or mission can count. */
export const MetricSchema = z.enum(['games_played', 'score_total', 'play_seconds', 'wins', 'logins', 'purchases']);

/** One participation or mission period that a play (or another action) advanced. */
export const ProgressUpdateSchema = z
  .object({
    kind: z.enum(['event', 'mission']),
    id: z.uuid(),
    progress: z.number().int(),
    target: z.number().int(),
    completed: z.boolean(),
    progress_version: z.number().int(),
  })
  .meta({ id: 'ProgressUpdate' });

export type Metric = z.infer<typeof MetricSchema>;
export type ProgressUpdate = z.infer<typeof ProgressUpdateSchema>;
