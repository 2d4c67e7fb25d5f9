import { z } from 'zod';
import { MetricSchema } from '../api/progress.ts';
import { CurrencySchema, RewardItemSchema } from '../api/rewards.ts';

/** Shapes several event payloads share. Payloads are strict: an unknown key is a bug at the emitter. */
export const SlugSchema = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a-z, 0-9 and _, at most 64');
export const CountSchema = z.number().int().nonnegative();
export const SignedCountSchema = z.number().int();
export { CurrencySchema, MetricSchema, RewardItemSchema };
