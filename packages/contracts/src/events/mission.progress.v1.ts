import { z } from 'zod';
import { CountSchema, MetricSchema, SignedCountSchema } from './common.ts';

/** `mission.progress`: a mission period's progress changed. */
export const MissionProgressV1Schema = z.strictObject({
  mission_id: z.uuid(),
  period_key: z.string().min(1).max(32),
  metric: MetricSchema,
  delta: SignedCountSchema,
  progress: CountSchema,
  target: CountSchema,
  completed: z.boolean(),
  progress_version: CountSchema,
});
