import { describe, expect, it } from 'vitest';
import { DomainError } from '../../lib/domain-error.ts';
import * as missionState from '../missions/state.ts';
import {
  PARTICIPATION_STATUSES,
  assertTransition,
  canTransition,
  effectiveParticipationStatus,
  eventStatusAt,
  type ParticipationStatus,
} from './state.ts';

const codeOf = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? e.code : 'BUG';
  }
};

describe('participation transitions', () => {
  // from, to, allowed, the code a client gets when refused ('BUG' for moves no request makes)
  it.each<[ParticipationStatus, ParticipationStatus, boolean, string | null]>([
    ['active', 'claimable', true, null],
    ['active', 'expired', true, null],
    ['active', 'claimed', false, 'NOT_CLAIMABLE'],
    ['active', 'active', false, 'BUG'],
    ['claimable', 'claimed', true, null],
    ['claimable', 'expired', true, null],
    ['claimable', 'active', false, 'BUG'],
    ['claimable', 'claimable', false, 'BUG'],
    ['claimed', 'claimed', false, 'ALREADY_CLAIMED'],
    ['claimed', 'expired', false, 'ALREADY_CLAIMED'],
    ['claimed', 'active', false, 'ALREADY_CLAIMED'],
    ['claimed', 'claimable', false, 'ALREADY_CLAIMED'],
    ['expired', 'claimed', false, 'EVENT_EXPIRED'],
    ['expired', 'active', false, 'EVENT_EXPIRED'],
    ['expired', 'claimable', false, 'EVENT_EXPIRED'],
    ['expired', 'expired', false, 'EVENT_EXPIRED'],
  ])('%s → %s: allowed %s, refused with %s', (from, to, allowed, code) => {
    expect(canTransition(from, to)).toBe(allowed);
    expect(codeOf(() => assertTransition(from, to))).toBe(code);
  });

  it('covers every pair of statuses', () => {
    expect(PARTICIPATION_STATUSES).toEqual(['active', 'claimable', 'claimed', 'expired']);
  });
});

describe('event status and effective participation status', () => {
  const start = new Date('2026-11-28T00:00:00Z');
  const end = new Date('2026-11-29T00:00:00Z');
  it.each([
    ['2026-11-27T23:59:59.999Z', 'inactive'],
    ['2026-11-28T00:00:00.000Z', 'active'],
    ['2026-11-28T23:59:59.999Z', 'active'],
    ['2026-11-29T00:00:00.000Z', 'expired'],
  ])('at %s the event is %s', (at, status) => {
    expect(eventStatusAt(start, end, new Date(at))).toBe(status);
  });

  it.each<[ParticipationStatus, string, ParticipationStatus]>([
    ['active', '2026-11-28T23:59:59.999Z', 'active'],
    ['active', '2026-11-29T00:00:00.000Z', 'expired'],
    ['claimable', '2026-11-29T00:00:00.000Z', 'expired'],
    ['claimed', '2026-11-29T00:00:00.000Z', 'claimed'],
    ['expired', '2026-11-28T12:00:00.000Z', 'expired'],
  ])('a %s participation at %s reads %s', (stored, at, shown) => {
    expect(effectiveParticipationStatus(stored, end, new Date(at))).toBe(shown);
  });
});

describe('mission period transitions', () => {
  it.each<[missionState.MissionStatus, missionState.MissionStatus, boolean, string | null]>([
    ['active', 'claimable', true, null],
    ['active', 'claimed', false, 'NOT_CLAIMABLE'],
    ['claimable', 'claimed', true, null],
    ['claimable', 'active', false, 'BUG'],
    ['claimed', 'claimed', false, 'ALREADY_CLAIMED'],
    ['claimed', 'active', false, 'ALREADY_CLAIMED'],
  ])('%s → %s: allowed %s, refused with %s', (from, to, allowed, code) => {
    expect(missionState.canTransition(from, to)).toBe(allowed);
    expect(codeOf(() => missionState.assertTransition(from, to))).toBe(code);
  });
});
