import type { Db } from '../../db/database.ts';
import type { RequestMoment } from '../auth/service.ts';
import { grantReward } from './service.ts';

/** The welcome bonus (SIGNUP_BONUS_SOFT), granted through the reward service like any reward. */
export async function grantSignupBonus(trx: Db, userId: string, soft: number, at: RequestMoment): Promise<void> {
  if (soft <= 0) return;
  await grantReward(trx, {
    userId,
    grantKey: `signup:user:${userId}`,
    source: 'signup',
    sourceId: userId,
    title: 'Welcome bonus',
    bundle: { currencies: { soft } },
    ...at,
  });
}
