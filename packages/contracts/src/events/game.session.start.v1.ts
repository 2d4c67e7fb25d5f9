import { z } from 'zod';
import { SlugSchema } from './common.ts';

/** `game.session.start`: a player started a game session. */
export const GameSessionStartV1Schema = z.strictObject({
  session_id: z.uuid(),
  game_type: SlugSchema,
});
