import { sql } from 'kysely';
import type { EnvelopeEventType, Tier } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { withOutboxEvents, type OutboxEvent } from '../outbox/service.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) `at` falls on in `timeZone` — the "day" of the play streak. */
export function localDateOf(at: Date, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, format);
  }
  const part = (type: string) => format.formatToParts(at).find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/**
 * Counts a play on local day `today` toward the player's streak in one statement, so concurrent
 * session ends of one player cannot both extend it: same day as the last play → unchanged,
 * the day after → +1, any gap (or a first play) → 1. A day earlier than the last play (a node's
 * clock behind) leaves the streak alone. Returns the new streak and the player's tier.
 */
export async function recordPlayDay(
  trx: Db,
  userId: string,
  today: string,
  /** Events that ride on this statement (see `withOutboxEvents`). */
  outbox: OutboxEvent<EnvelopeEventType>[] = [],
): Promise<{ streakDays: number; tier: Tier }> {
  const row = await withOutboxEvents(trx, outbox)
    .updateTable('users')
    .set({
      streak_days: sql<number>`CASE
        WHEN last_play_date >= ${today}::date THEN streak_days
        WHEN last_play_date = ${today}::date - 1 THEN streak_days + 1
        ELSE 1 END`,
      last_play_date: sql<string>`GREATEST(last_play_date, ${today}::date)`,
    })
    .where('id', '=', userId)
    .returning(['streak_days', 'tier'])
    .executeTakeFirstOrThrow();
  return { streakDays: row.streak_days, tier: row.tier };
}

/** The day before a YYYY-MM-DD day. */
export function previousDay(day: string): string {
  const at = new Date(`${day}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() - 1);
  return at.toISOString().slice(0, 10);
}

/**
 * The streak as a reader (dashboard, profile) should show it on local day `today`: the stored
 * count only changes when a session ends, so a streak whose last play is before yesterday is over.
 */
export function currentStreak(streakDays: number, lastPlayDate: string | null, today: string): number {
  if (!lastPlayDate) return 0;
  return lastPlayDate >= previousDay(today) ? streakDays : 0;
}
