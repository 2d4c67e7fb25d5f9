import { MissionStatusSchema, type MissionStatus } from '@playloop/contracts';
import { DomainError } from '../../lib/domain-error.ts';

export type { MissionStatus };
export const MISSION_STATUSES = MissionStatusSchema.options;

/**
 * Where one mission period may go from each status. A period is never expired: it simply stops
 * being the current one, and only the current period can be claimed. The database mirrors this
 * with a CHECK on the union and the `mission_progress_transition` trigger.
 */
export const MISSION_TRANSITIONS: Readonly<Record<MissionStatus, readonly MissionStatus[]>> = {
  active: ['claimable'],
  claimable: ['claimed'],
  claimed: [],
};

export function canTransition(from: MissionStatus, to: MissionStatus): boolean {
  return MISSION_TRANSITIONS[from].includes(to);
}

/** Throws the error a client gets for a move the table refuses (claiming twice, claiming early). */
export function assertTransition(from: MissionStatus, to: MissionStatus): void {
  if (canTransition(from, to)) return;
  if (from === 'claimed') throw new DomainError('ALREADY_CLAIMED', 'this mission was already claimed for this period');
  if (to === 'claimed') throw new DomainError('NOT_CLAIMABLE', 'the mission target is not reached in this period');
  throw new Error(`mission progress cannot move from ${from} to ${to}`);
}
