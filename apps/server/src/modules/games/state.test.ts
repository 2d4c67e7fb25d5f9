import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, type GameSessionStatus } from './state.ts';

describe('game session state machine', () => {
  it.each<[GameSessionStatus, GameSessionStatus, boolean]>([
    ['active', 'ended', true],
    ['active', 'abandoned', true],
    ['active', 'active', false],
    ['ended', 'ended', false],
    ['ended', 'active', false],
    ['ended', 'abandoned', false],
    ['abandoned', 'ended', false],
    ['abandoned', 'active', false],
  ])('%s → %s: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
    else expect(() => assertTransition(from, to)).toThrow(expect.objectContaining({ code: 'SESSION_NOT_ACTIVE' }));
  });
});
