/**
 * Mission periods in the reset time zone: a day ('YYYY-MM-DD', the local date) or an ISO week
 * ('YYYY-Www', Monday to Sunday, local). Pure functions of an instant and a zone, so one play near
 * midnight lands in the same period on every node.
 */
export type MissionPeriod = 'daily' | 'weekly';

export interface PeriodWindow {
  key: string;
  /** The first instant of the period (local midnight, as UTC). */
  startsAt: Date;
  /** The first instant of the next period; the period is [startsAt, endsAt). */
  endsAt: Date;
}

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock time `ms` shows in `timeZone`, read as if it were UTC (milliseconds dropped). */
function wallClockMs(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (Seoul: +9 h). */
function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClockMs(whole, timeZone) - whole;
}

function localDateOf(at: Date, timeZone: string): CivilDate {
  const wall = new Date(wallClockMs(at.getTime(), timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The first instant of local day `date`. Where midnight is skipped by a DST jump (e.g.
 * America/Santiago), the day starts when the clocks jump; where it happens twice, at the first.
 */
export function startOfLocalDay(date: CivilDate, timeZone: string): Date {
  const wallMidnight = Date.UTC(date.year, date.month - 1, date.day);
  const before = offsetAt(wallMidnight - DAY_MS, timeZone);
  const after = offsetAt(wallMidnight + DAY_MS, timeZone);
  const candidates = [wallMidnight - before, wallMidnight - after].filter(
    (ms) => wallClockMs(ms, timeZone) === wallMidnight,
  );
  // No candidate shows midnight: midnight is in a gap, and the offset in force before it
  // gives the instant the clocks jumped, the first one of the new day.
  return new Date(candidates.length ? Math.min(...candidates) : wallMidnight - before);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 week of a date: the week (Monday first) belongs to the year of its Thursday. */
function isoWeekOf(date: CivilDate): { year: number; week: number; monday: CivilDate } {
  const weekday = (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7; // Monday = 0
  const monday = addDays(date, -weekday);
  const thursday = addDays(monday, 3);
  const dayOfYear = (Date.UTC(thursday.year, thursday.month - 1, thursday.day) - Date.UTC(thursday.year, 0, 1)) / DAY_MS;
  return { year: thursday.year, week: Math.floor(dayOfYear / 7) + 1, monday };
}

// The last window found per kind and zone. Every game end, purchase and login asks for the
// current periods, and working one out takes a dozen Intl calls; the answer holds for any instant
// inside the window, so most calls are one comparison.
const lastWindow = new Map<string, PeriodWindow>();

/** The period of kind `period` that instant `at` falls in, in `timeZone`. */
export function periodOf(period: MissionPeriod, at: Date, timeZone: string): PeriodWindow {
  const cacheKey = `${period} ${timeZone}`;
  const last = lastWindow.get(cacheKey);
  const ms = at.getTime();
  if (last && last.startsAt.getTime() <= ms && ms < last.endsAt.getTime()) return last;
  const window = Object.freeze(computePeriod(period, at, timeZone));
  lastWindow.set(cacheKey, window);
  return window;
}

function computePeriod(period: MissionPeriod, at: Date, timeZone: string): PeriodWindow {
  const today = localDateOf(at, timeZone);
  if (period === 'daily') {
    return {
      key: `${today.year}-${pad(today.month)}-${pad(today.day)}`,
      startsAt: startOfLocalDay(today, timeZone),
      endsAt: startOfLocalDay(addDays(today, 1), timeZone),
    };
  }
  const { year, week, monday } = isoWeekOf(today);
  return {
    key: `${pad(year, 4)}-W${pad(week)}`,
    startsAt: startOfLocalDay(monday, timeZone),
    endsAt: startOfLocalDay(addDays(monday, 7), timeZone),
  };
}

/** The key of the period `at` falls in: 'YYYY-MM-DD' (daily) or 'YYYY-Www' (weekly). */
export const periodKey = (period: MissionPeriod, at: Date, timeZone: string): string =>
  periodOf(period, at, timeZone).key;
