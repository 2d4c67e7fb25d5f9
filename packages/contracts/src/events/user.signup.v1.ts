import { z } from 'zod';

/** `user.signup`: a player account was created (the signup bonus travels as `reward.granted`). */
export const UserSignupV1Schema = z.strictObject({
  site_id: z.string().min(1).max(64),
});
