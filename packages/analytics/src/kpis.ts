import type { Kpis, KpiFigures } from '@playloop/contracts';
import { assertIdentifier, type ClickHouseExecutor } from './executor.ts';

const DAY_MS = 86_400_000;
/** Longest range one request may ask for. */
export const MAX_KPI_DAYS = 366;

/** A `YYYY-MM-DD` that is a real calendar day; it is then safe to put into SQL text. */
export function assertDay(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new RangeError(`not a date: "${day}"`);
  }
  return day;
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${assertDay(from)}T00:00:00Z`);
  const end = Date.parse(`${assertDay(to)}T00:00:00Z`);
  if (end < start) throw new RangeError('from must not be after to');
  const count = (end - start) / DAY_MS + 1;
  if (count > MAX_KPI_DAYS) throw new RangeError(`at most ${MAX_KPI_DAYS} days`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

const n = (v: unknown) => Number(v ?? 0);
const emptyFigures = (): KpiFigures => ({
  active_users: 0,
  signups: 0,
  sessions: 0,
  claims: 0,
  purchases: 0,
  revenue: { soft: 0, premium: 0 },
});

// Which event types each counted KPI adds up. Event ids are unique per type and day, so adding
// per-type counts is exact.
const COUNTED: Record<'signups' | 'sessions' | 'claims' | 'purchases', string[]> = {
  signups: ['user.signup'],
  sessions: ['game.session.end'],
  claims: ['event.claim', 'mission.claim'],
  purchases: ['shop.purchase.succeeded'],
};
// A grant can come from an operator with the player absent, so it does not make a user active.
// Nearly every other grant rides with an event of the player's own (a claim, a session end, a
// purchase, a signup), which counts; opening an item writes nothing but its grant (source `item`),
// so those grants are read from events_log and added to the active users. The view keeps user sets
// per event type only, and the source is read from payload_json with visitParamExtractString (no
// JSON functions on ClickHouse 18.16): no DDL change, and rows written before this count too.
const PASSIVE_TYPES = ["'reward.granted'"].join(', ');
const activeSets = (db: string, range: string) =>
  `SELECT event_date, users FROM ${db}.kpi_daily WHERE ${range} AND event_type NOT IN (${PASSIVE_TYPES})
   UNION ALL
   SELECT event_date, uniqExactState(user_id) AS users FROM ${db}.events_log
   WHERE ${range} AND event_type = 'reward.granted' AND visitParamExtractString(payload_json, 'source') = 'item'
   GROUP BY event_date`;

/**
 * The KPIs of SPEC's operator API for UTC days `from`..`to`. Counts come from the kpi_daily view
 * (sets of event ids and user ids, exact under redelivery), active users with the item opens of
 * events_log added; revenue, games and the funnel come from events_log with every event counted
 * once by its id.
 */
export async function queryKpis(exec: ClickHouseExecutor, database: string, from: string, to: string): Promise<Kpis> {
  const db = assertIdentifier(database);
  const days = daysBetween(from, to);
  const range = `event_date >= toDate('${from}') AND event_date <= toDate('${to}')`;

  const perType = await exec.select<{ date: string; event_type: string; events: unknown }>(
    `SELECT toString(event_date) AS date, event_type, uniqExactMerge(events) AS events
     FROM ${db}.kpi_daily WHERE ${range} GROUP BY event_date, event_type`,
  );
  const activePerDay = await exec.select<{ date: string; users: unknown }>(
    `SELECT toString(event_date) AS date, uniqExactMerge(users) AS users
     FROM (${activeSets(db, range)}) GROUP BY event_date`,
  );
  const [activeTotal] = await exec.select<{ users: unknown }>(
    `SELECT uniqExactMerge(users) AS users FROM (${activeSets(db, range)})`,
  );
  const revenue = await exec.select<{ date: string; currency: string; amount: unknown }>(
    `SELECT toString(event_date) AS date, currency, sum(amount) AS amount
     FROM (
       SELECT event_date, event_id, any(currency) AS currency, any(amount) AS amount
       FROM ${db}.events_log
       WHERE event_type = 'shop.purchase.succeeded' AND ${range}
       GROUP BY event_date, event_id
     )
     GROUP BY event_date, currency`,
  );
  const games = await exec.select<{ game_type: string; sessions: unknown; players: unknown }>(
    `SELECT game_type, uniqExact(event_id) AS sessions, uniqExact(user_id) AS players
     FROM ${db}.events_log
     WHERE event_type = 'game.session.end' AND ${range}
     GROUP BY game_type
     ORDER BY sessions DESC, game_type`,
  );
  // The cohort is the users who signed up in the range; each step keeps those who also did it.
  const [funnel] = await exec.select<Record<string, unknown>>(
    `SELECT
       countIf(s) AS signup,
       countIf(s AND p) AS participate,
       countIf(s AND p AND e) AS session_end,
       countIf(s AND p AND e AND c) AS claim,
       countIf(s AND p AND e AND c AND b) AS purchase
     FROM (
       SELECT user_id,
         max(event_type = 'user.signup') AS s,
         max(event_type = 'event.participate') AS p,
         max(event_type = 'game.session.end') AS e,
         max(event_type IN ('event.claim', 'mission.claim')) AS c,
         max(event_type = 'shop.purchase.succeeded') AS b
       FROM ${db}.events_log
       WHERE ${range}
       GROUP BY user_id
     )`,
  );

  const daily = new Map(days.map((date) => [date, { date, ...emptyFigures() }]));
  const totals = emptyFigures();
  for (const row of perType) {
    const day = daily.get(row.date);
    if (!day) continue;
    for (const [kpi, types] of Object.entries(COUNTED) as [keyof typeof COUNTED, string[]][]) {
      if (!types.includes(row.event_type)) continue;
      day[kpi] += n(row.events);
      totals[kpi] += n(row.events);
    }
  }
  for (const row of activePerDay) {
    const day = daily.get(row.date);
    if (day) day.active_users = n(row.users);
  }
  totals.active_users = n(activeTotal?.users);
  for (const row of revenue) {
    const day = daily.get(row.date);
    if (!day || (row.currency !== 'soft' && row.currency !== 'premium')) continue;
    day.revenue[row.currency] += n(row.amount);
    totals.revenue[row.currency] += n(row.amount);
  }

  return {
    from,
    to,
    totals,
    daily: [...daily.values()],
    sessions_by_game: games.map((g) => ({ game_type: g.game_type, sessions: n(g.sessions), players: n(g.players) })),
    funnel: (['signup', 'participate', 'session_end', 'claim', 'purchase'] as const).map((step) => ({
      step,
      users: n(funnel?.[step]),
    })),
  };
}
