import { z } from 'zod';

export const HealthResponseSchema = z.object({ status: z.literal('ok') });
export const ReadyResponseSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  // redis: only with REDIS_URL set (the shared rate-limit store logins need).
  checks: z.object({ database: z.boolean(), migrations: z.boolean(), redis: z.boolean().optional() }),
});
