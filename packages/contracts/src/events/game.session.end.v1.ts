import { z } from 'zod';
import { CountSchema, SlugSchema } from './common.ts';

/** `game.session.end`: a session ended with an accepted result; `duration` is in seconds. */
export const GameSessionEndV1Schema = z.strictObject({
  session_id: z.uuid(),
  game_type: SlugSchema,
  score: z.number().int(),
  duration: CountSchema,
  exp_gained: CountSchema,
  level: z.number().int().positive(),
  level_up: z.boolean(),
});
