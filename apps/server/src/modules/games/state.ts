import type { GameSessionStatus } from '@playloop/contracts';
import { DomainError } from '../../lib/domain-error.ts';

export type { GameSessionStatus };

/**
 * The session state machine; the `game_sessions.status` CHECK mirrors the union and a trigger
 * keeps the final states final. A session ends once: reported by the player (`ended`) or closed
 * by a later start after it outlived its type's max duration plus a grace period (`abandoned`).
 */
export const SESSION_TRANSITIONS: Record<GameSessionStatus, readonly GameSessionStatus[]> = {
  active: ['ended', 'abandoned'],
  ended: [],
  abandoned: [],
};

/** Whether a session in `from` may move to `to`. */
export const canTransition = (from: GameSessionStatus, to: GameSessionStatus) => SESSION_TRANSITIONS[from].includes(to);

/** Throws 409 SESSION_NOT_ACTIVE unless a session in `from` may move to `to`. */
export function assertTransition(from: GameSessionStatus, to: GameSessionStatus): void {
  if (!canTransition(from, to)) throw new DomainError('SESSION_NOT_ACTIVE', `the session is ${from}, not active`);
}
