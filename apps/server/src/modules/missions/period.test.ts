import { describe, expect, it } from 'vitest';
import { periodKey, periodOf } from './period.ts';

describe('daily periods', () => {
  it.each([
    // instant, zone, local date
    ['2026-11-28T23:59:59.999Z', 'UTC', '2026-11-28'],
    ['2026-11-29T00:00:00.000Z', 'UTC', '2026-11-29'],
    ['2026-11-28T14:59:59.999Z', 'Asia/Seoul', '2026-11-28'],
    ['2026-11-28T15:00:00.000Z', 'Asia/Seoul', '2026-11-29'],
    ['2026-11-29T07:59:59.999Z', 'America/Los_Angeles', '2026-11-28'],
    ['2026-11-29T08:00:00.000Z', 'America/Los_Angeles', '2026-11-29'],
    // Summer time in Los Angeles: midnight is 07:00Z.
    ['2026-07-01T06:59:59.999Z', 'America/Los_Angeles', '2026-06-30'],
    ['2026-07-01T07:00:00.000Z', 'America/Los_Angeles', '2026-07-01'],
    ['2026-12-31T15:00:00.000Z', 'Asia/Seoul', '2027-01-01'],
    ['2024-02-29T12:00:00.000Z', 'UTC', '2024-02-29'],
  ])('%s in %s is day %s', (at, zone, key) => {
    expect(periodKey('daily', new Date(at), zone)).toBe(key);
  });

  it.each([
    // zone, an instant of the day, its start, its end, hours long
    ['UTC', '2026-11-28T12:00:00Z', '2026-11-28T00:00:00.000Z', '2026-11-29T00:00:00.000Z', 24],
    ['Asia/Seoul', '2026-11-28T12:00:00Z', '2026-11-27T15:00:00.000Z', '2026-11-28T15:00:00.000Z', 24],
    // Los Angeles springs forward on 2026-03-08 (a 23-hour day) and falls back on 2026-11-01 (25).
    ['America/Los_Angeles', '2026-03-08T18:00:00Z', '2026-03-08T08:00:00.000Z', '2026-03-09T07:00:00.000Z', 23],
    ['America/Los_Angeles', '2026-11-01T18:00:00Z', '2026-11-01T07:00:00.000Z', '2026-11-02T08:00:00.000Z', 25],
    // Santiago skips midnight on 2026-09-06 (00:00 → 01:00): the day starts when clocks jump.
    ['America/Santiago', '2026-09-06T12:00:00Z', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', 23],
  ])('in %s the day of %s runs from %s to %s (%i h)', (zone, at, start, end, hours) => {
    const window = periodOf('daily', new Date(at), zone);
    expect(window.startsAt.toISOString()).toBe(start);
    expect(window.endsAt.toISOString()).toBe(end);
    expect((window.endsAt.getTime() - window.startsAt.getTime()) / 3_600_000).toBe(hours);
  });

  it('puts the last instant of a day and the first of the next in adjacent periods', () => {
    for (const zone of ['UTC', 'Asia/Seoul', 'America/Los_Angeles', 'America/Santiago', 'Asia/Kathmandu']) {
      const day = periodOf('daily', new Date('2026-05-15T12:00:00Z'), zone);
      expect(periodOf('daily', new Date(day.endsAt.getTime() - 1), zone).key).toBe(day.key);
      expect(periodOf('daily', day.endsAt, zone).startsAt).toEqual(day.endsAt);
      expect(periodOf('daily', day.startsAt, zone).key).toBe(day.key);
    }
  });
});

describe('weekly periods (ISO weeks, Monday first)', () => {
  it.each([
    // 2026-11-28 is a Saturday; 2026-11-30 a Monday.
    ['2026-11-29T23:59:59.999Z', 'UTC', '2026-W48'],
    ['2026-11-30T00:00:00.000Z', 'UTC', '2026-W49'],
    // Monday 00:00 in Seoul is Sunday 15:00Z.
    ['2026-11-29T14:59:59.999Z', 'Asia/Seoul', '2026-W48'],
    ['2026-11-29T15:00:00.000Z', 'Asia/Seoul', '2026-W49'],
    // Monday 00:00 in Los Angeles is Monday 08:00Z.
    ['2026-11-30T07:59:59.999Z', 'America/Los_Angeles', '2026-W48'],
    ['2026-11-30T08:00:00.000Z', 'America/Los_Angeles', '2026-W49'],
    // Year edges: 2026 starts on a Thursday, so it has 53 weeks and owns 2027-01-01..03.
    ['2025-12-29T12:00:00.000Z', 'UTC', '2026-W01'],
    ['2026-01-01T12:00:00.000Z', 'UTC', '2026-W01'],
    ['2026-12-31T12:00:00.000Z', 'UTC', '2026-W53'],
    ['2027-01-03T12:00:00.000Z', 'UTC', '2026-W53'],
    ['2027-01-04T00:00:00.000Z', 'UTC', '2027-W01'],
    ['2027-01-03T15:00:00.000Z', 'Asia/Seoul', '2027-W01'],
    ['2024-12-30T00:00:00.000Z', 'UTC', '2025-W01'],
    ['2021-01-03T12:00:00.000Z', 'UTC', '2020-W53'],
  ])('%s in %s is week %s', (at, zone, key) => {
    expect(periodKey('weekly', new Date(at), zone)).toBe(key);
  });

  it.each([
    ['UTC', '2026-11-28T12:00:00Z', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z', 168],
    ['Asia/Seoul', '2026-11-28T12:00:00Z', '2026-11-22T15:00:00.000Z', '2026-11-29T15:00:00.000Z', 168],
    // The week of the fall-back Sunday in Los Angeles (Mon 10-26 .. Sun 11-01) has 169 hours.
    ['America/Los_Angeles', '2026-10-28T12:00:00Z', '2026-10-26T07:00:00.000Z', '2026-11-02T08:00:00.000Z', 169],
    ['America/Los_Angeles', '2026-03-04T12:00:00Z', '2026-03-02T08:00:00.000Z', '2026-03-09T07:00:00.000Z', 167],
  ])('in %s the week of %s runs from %s to %s (%i h)', (zone, at, start, end, hours) => {
    const window = periodOf('weekly', new Date(at), zone);
    expect(window.startsAt.toISOString()).toBe(start);
    expect(window.endsAt.toISOString()).toBe(end);
    expect((window.endsAt.getTime() - window.startsAt.getTime()) / 3_600_000).toBe(hours);
  });

  it('gives the same key to every instant of one local week and a new key after it', () => {
    const week = periodOf('weekly', new Date('2026-11-25T12:00:00Z'), 'Asia/Seoul');
    for (let ms = week.startsAt.getTime(); ms < week.endsAt.getTime(); ms += 3_600_000) {
      expect(periodKey('weekly', new Date(ms), 'Asia/Seoul')).toBe(week.key);
    }
    expect(periodKey('weekly', week.endsAt, 'Asia/Seoul')).not.toBe(week.key);
  });
});

describe('the remembered window', () => {
  it('answers from the window it remembers only for instants inside it, forwards and backwards', () => {
    const zone = 'Asia/Seoul';
    const sequence = [
      ['2026-11-28T14:00:00.000Z', '2026-11-28', '2026-W48'],
      ['2026-11-28T14:59:59.999Z', '2026-11-28', '2026-W48'],
      ['2026-11-28T15:00:00.000Z', '2026-11-29', '2026-W48'],
      ['2026-11-29T15:00:00.000Z', '2026-11-30', '2026-W49'],
      // A clock set back (tests, a corrected host clock) gets the earlier window again.
      ['2026-11-28T14:59:59.999Z', '2026-11-28', '2026-W48'],
      ['2026-11-29T14:59:59.999Z', '2026-11-29', '2026-W48'],
    ] as const;
    for (const [at, day, week] of sequence) {
      expect([periodKey('daily', new Date(at), zone), periodKey('weekly', new Date(at), zone)]).toEqual([day, week]);
    }
    // Each zone keeps its own window.
    expect(periodKey('daily', new Date('2026-11-28T15:00:00.000Z'), 'UTC')).toBe('2026-11-28');
    expect(periodKey('daily', new Date('2026-11-28T15:00:00.000Z'), zone)).toBe('2026-11-29');
  });
});
