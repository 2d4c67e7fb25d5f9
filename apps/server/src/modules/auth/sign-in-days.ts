import type { Db } from '../../db/database.ts';
import { advanceProgressForMetric } from '../events/progress.ts';
import { localDateOf } from '../games/streak.ts';
import type { RequestMoment } from './service.ts';

/**
 * Counts a sign-in toward the `logins` metric of the player's events and missions, once per
 * RESET_TIMEZONE-local day. A sign-in is a signup, a password login or a session renewed with its
 * refresh token: a player whose client keeps its refresh token comes back without logging in, and
 * is still back. The day's row goes in first; of concurrent sign-ins of one day the others wait on
 * its key and then count nothing. No other flow writes that table, so taking it before the
 * progress rows and the users row keeps every flow's lock order.
 */
export async function countSignInDay(trx: Db, userId: string, at: RequestMoment, resetTimezone: string): Promise<void> {
  const firstToday = await trx
    .insertInto('sign_in_days')
    .values({ user_id: userId, day: localDateOf(at.now, resetTimezone) })
    .onConflict((oc) => oc.doNothing())
    .returning('user_id')
    .executeTakeFirst();
  if (firstToday) await advanceProgressForMetric(trx, { userId, metric: 'logins', delta: 1, ...at, resetTimezone });
}
