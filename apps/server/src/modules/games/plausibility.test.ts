import { describe, expect, it } from 'vitest';
import { judgePlay, maxScoreFor, WALL_TIME_ALLOWANCE_S, type ReportedPlay } from './plausibility.ts';
import { getGameType, type ClientScoredGame } from './registry.ts';

const reaction = getGameType('reaction') as ClientScoredGame;
const dice = getGameType('lucky_dice')!;

describe('judgePlay', () => {
  it.each<[string, ReportedPlay, boolean | 'VALIDATION_FAILED']>([
    ['a plain play', { score: 500, durationS: 10, wallS: 10 }, true],
    ['no score at all (0)', { score: 0, durationS: 10, wallS: 10 }, true],
    ['exactly the score bound', { score: 100 * 10 + 50, durationS: 10, wallS: 10 }, true],
    ['one above the score bound', { score: 100 * 10 + 51, durationS: 10, wallS: 10 }, false],
    ['a fractional duration bound (floor)', { score: Math.floor(100 * 2.5) + 50, durationS: 2.5, wallS: 3 }, true],
    ['duration = wall time + 2 s', { score: 1, durationS: 12, wallS: 10 }, true],
    ['duration just past wall time + 2 s', { score: 1, durationS: 12.001, wallS: 10 }, false],
    ['duration claimed before any wall time passed', { score: 1, durationS: 5, wallS: 0 }, false],
    ['the minimum duration', { score: 0, durationS: 1, wallS: 1 }, true],
    ['below the minimum duration', { score: 0, durationS: 0.99, wallS: 1 }, false],
    ['the maximum duration', { score: 0, durationS: 120, wallS: 500 }, true],
    ['past the maximum duration', { score: 0, durationS: 120.5, wallS: 500 }, false],
    ['a huge score in a long play', { score: 1_000_000_000, durationS: 120, wallS: 120 }, false],
    ['a missing score', { score: undefined, durationS: 10, wallS: 10 }, 'VALIDATION_FAILED'],
  ])('reaction: %s', (_name, play, expected) => {
    const verdict = judgePlay(reaction, play);
    if (expected === 'VALIDATION_FAILED') expect(verdict).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    else if (expected) expect(verdict).toEqual({ ok: true });
    else expect(verdict).toMatchObject({ ok: false, code: 'IMPLAUSIBLE_RESULT' });
  });

  it.each<[string, ReportedPlay, boolean]>([
    ['no score', { score: undefined, durationS: 3, wallS: 3 }, true],
    ['a score of 0', { score: 0, durationS: 0, wallS: 0 }, true],
    ['a client score', { score: 12, durationS: 3, wallS: 3 }, false],
    ['past the max duration', { score: undefined, durationS: 61, wallS: 100 }, false],
    ['past the wall time', { score: undefined, durationS: 10, wallS: 5 }, false],
  ])('lucky_dice: %s', (_name, play, ok) => {
    expect(judgePlay(dice, play).ok).toBe(ok);
  });

  it('allows 2 s between wall time and reported duration', () => {
    expect(WALL_TIME_ALLOWANCE_S).toBe(2);
    expect(maxScoreFor(reaction, 0)).toBe(50);
  });
});
