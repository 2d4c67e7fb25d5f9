import { z } from 'zod';
import { CountSchema, MetricSchema, SignedCountSchema } from './common.ts';

/** `event.progress`: a participation's progress changed (by a game session, a login, a purchase or the client). */
export const EventProgressV1Schema = z.strictObject({
  event_id: z.uuid(),
  metric: MetricSchema,
  delta: SignedCountSchema,
  progress: CountSchema,
  target: CountSchema,
  completed: z.boolean(),
  progress_version: CountSchema,
});
