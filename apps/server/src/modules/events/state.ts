import { ParticipationStatusSchema, type EventStatus, type ParticipationStatus } from '@playloop/contracts';
import { DomainError } from '../../lib/domain-error.ts';

export type { ParticipationStatus };
export const PARTICIPATION_STATUSES = ParticipationStatusSchema.options;

/**
 * Where a participation may go from each status. Progress keeps an active one active until the
 * target is reached; claimed and expired are final. The database mirrors this table with a
 * CHECK on the union and the `event_participations_transition` trigger.
 */
export const PARTICIPATION_TRANSITIONS: Readonly<Record<ParticipationStatus, readonly ParticipationStatus[]>> = {
  active: ['claimable', 'expired'],
  claimable: ['claimed', 'expired'],
  claimed: [],
  expired: [],
};

export function canTransition(from: ParticipationStatus, to: ParticipationStatus): boolean {
  return PARTICIPATION_TRANSITIONS[from].includes(to);
}

/**
 * Throws the error a client gets for moving a participation from `from` to `to` when the table
 * does not allow it: a second claim is ALREADY_CLAIMED, anything on an expired one
 * EVENT_EXPIRED, claiming an unfinished one NOT_CLAIMABLE.
 */
export function assertTransition(from: ParticipationStatus, to: ParticipationStatus): void {
  if (canTransition(from, to)) return;
  if (from === 'claimed') throw new DomainError('ALREADY_CLAIMED', 'the reward of this event was already claimed');
  if (from === 'expired') throw new DomainError('EVENT_EXPIRED', 'the event has ended');
  if (to === 'claimed') throw new DomainError('NOT_CLAIMABLE', 'the event target is not reached yet');
  throw new Error(`participation cannot move from ${from} to ${to}`);
}

/** The status an event has at `now`: its window is [starts_at, ends_at). */
export function eventStatusAt(startsAt: Date, endsAt: Date, now: Date): EventStatus {
  if (now < startsAt) return 'inactive';
  if (now >= endsAt) return 'expired';
  return 'active';
}

/**
 * A participation's status as of `now`: an active or claimable one of an ended event is expired
 * even before the row is written (expiry is persisted lazily and by `expireEndedParticipations`).
 */
export function effectiveParticipationStatus(status: ParticipationStatus, endsAt: Date, now: Date): ParticipationStatus {
  return now >= endsAt && canTransition(status, 'expired') ? 'expired' : status;
}
