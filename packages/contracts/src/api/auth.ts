import { z } from 'zod';
import { TextSchema } from './common.ts';

export const RoleSchema = z.enum(['player', 'admin']);
export const TierSchema = z.enum(['bronze', 'silver', 'gold', 'platinum', 'diamond']);

export const SiteIdSchema = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[a-z0-9_]+$/, 'only a-z, 0-9 and _');
export const PasswordSchema = TextSchema.min(8).max(128);
export const NicknameSchema = TextSchema
  .trim()
  .min(1)
  .max(32)
  .refine((s) => !/[\p{Cc}]/u.test(s), 'no control characters');

export const UserSchema = z
  .object({
    id: z.uuid(),
    site_id: z.string(),
    nickname: z.string(),
    tier: TierSchema,
    role: RoleSchema,
    created_at: z.string(),
  })
  .meta({ id: 'User' });

export const SignupBodySchema = z.strictObject({
  site_id: SiteIdSchema,
  nickname: NicknameSchema,
  password: PasswordSchema,
});

// Login takes any string: nothing of it is stored, a handle or password that cannot be stored
// cannot match one (401, as any wrong one), and a password set before the rule still logs in.
export const LoginBodySchema = z.strictObject({
  site_id: z.string().min(1).max(64),
  password: z.string().min(1).max(128),
});

export const RefreshBodySchema = z.strictObject({
  refresh_token: z.string().min(1).max(512),
});

export const LogoutBodySchema = z
  .strictObject({ refresh_token: z.string().min(1).max(512).optional() })
  .nullish();

export const AuthResponseSchema = z
  .object({
    user: UserSchema,
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal('bearer'),
    expires_in: z.number().int(),
  })
  .meta({ id: 'AuthResponse' });

export const MeResponseSchema = z.object({ user: UserSchema });

export type Role = z.infer<typeof RoleSchema>;
export type Tier = z.infer<typeof TierSchema>;
export type User = z.infer<typeof UserSchema>;
export type SignupBody = z.infer<typeof SignupBodySchema>;
export type LoginBody = z.infer<typeof LoginBodySchema>;
export type AuthResponse = z.infer<typeof AuthResponseSchema>;
