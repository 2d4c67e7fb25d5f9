import { z } from 'zod';
import { CountSchema, SlugSchema } from './common.ts';

/** `event.participate`: a player joined a live event (first time only). `event_id` is the live event's id. */
export const EventParticipateV1Schema = z.strictObject({
  event_id: z.uuid(),
  event_key: SlugSchema,
  target: CountSchema,
});
