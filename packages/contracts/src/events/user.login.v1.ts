import { z } from 'zod';

/** `user.login`: a password login opened a session (token refreshes are not logins). */
export const UserLoginV1Schema = z.strictObject({
  site_id: z.string().min(1).max(64),
});
