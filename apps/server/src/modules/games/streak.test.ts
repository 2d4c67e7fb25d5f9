import { describe, expect, it } from 'vitest';
import { currentStreak, localDateOf, previousDay } from './streak.ts';

describe('localDateOf', () => {
  it.each([
    ['2026-11-28T23:30:00Z', 'UTC', '2026-11-28'],
    ['2026-11-28T23:30:00Z', 'Asia/Seoul', '2026-11-29'],
    ['2026-11-28T14:59:59Z', 'Asia/Seoul', '2026-11-28'],
    ['2026-11-28T15:00:00Z', 'Asia/Seoul', '2026-11-29'],
    ['2026-11-29T03:00:00Z', 'America/Los_Angeles', '2026-11-28'],
    ['2026-12-31T23:59:59Z', 'Pacific/Kiritimati', '2027-01-01'],
    ['2027-01-01T05:00:00Z', 'America/New_York', '2027-01-01'],
    ['2027-01-01T04:59:59Z', 'America/New_York', '2026-12-31'],
  ])('%s in %s is %s', (at, zone, day) => {
    expect(localDateOf(new Date(at), zone)).toBe(day);
  });
});

describe('currentStreak', () => {
  it.each([
    [3, '2027-01-10', '2027-01-10', 3],
    [3, '2027-01-09', '2027-01-10', 3],
    [3, '2027-01-08', '2027-01-10', 0],
    [0, null, '2027-01-10', 0],
    [5, '2027-02-28', '2027-03-01', 5],
    [5, '2028-02-28', '2028-03-01', 0],
  ])('%i days, last played %s, seen on %s → %i', (days, last, today, shown) => {
    expect(currentStreak(days, last, today)).toBe(shown);
  });

  it('steps back over month and year ends', () => {
    expect(previousDay('2027-03-01')).toBe('2027-02-28');
    expect(previousDay('2028-03-01')).toBe('2028-02-29');
    expect(previousDay('2027-01-01')).toBe('2026-12-31');
  });
});
