import { describe, expect, it } from 'vitest';
import { facesFromSeed, LUCKY_DICE_PAYOUTS, newSeed, rollLuckyDice, seedCommitment } from './chance.ts';

const SEED = '00'.repeat(32);

describe('lucky_dice chance', () => {
  it('derives the same roll from the same seed, every time', () => {
    const seed = newSeed();
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    expect(rollLuckyDice(seed)).toEqual(rollLuckyDice(seed));
    // Fixed vectors (checked with Python's hmac), so a change to the derivation — which would
    // break every stored audit — is noticed.
    expect(rollLuckyDice(SEED)).toEqual({ dice: [6, 4], total: 10, payout_soft: 10 });
    expect(rollLuckyDice('ff'.repeat(32))).toEqual({ dice: [6, 3], total: 9, payout_soft: 0 });
    expect(seedCommitment(SEED)).toBe('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925');
  });

  it('refuses a seed that is not 64 hex digits', () => {
    for (const bad of ['', 'abc', 'G'.repeat(64), '0'.repeat(63)]) expect(() => rollLuckyDice(bad)).toThrow(RangeError);
  });

  it('rolls fair dice: each face about 1/6 over many seeds', () => {
    const counts = [0, 0, 0, 0, 0, 0];
    const n = 6000;
    for (let i = 0; i < n / 2; i++) for (const face of facesFromSeed(newSeed(), 2)) counts[face - 1]! += 1;
    for (const c of counts) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(0.03);
  });

  it('draws more HMAC blocks when it needs more faces than one block gives', () => {
    const faces = facesFromSeed(SEED, 100);
    expect(faces).toHaveLength(100);
    expect(faces.every((f) => f >= 1 && f <= 6)).toBe(true);
  });

  it.each([
    [6, 6, 100],
    [1, 1, 30],
    [5, 5, 30],
    [4, 6, 10],
    [6, 5, 10],
    [3, 6, 0],
    [1, 2, 0],
  ])('pays %i + %i → %i soft', (a, b, pays) => {
    expect(LUCKY_DICE_PAYOUTS.find((row) => row.matches(a, b))?.pays ?? 0).toBe(pays);
  });

  it('keeps the expected payout near 8 soft per roll', () => {
    let total = 0;
    for (let a = 1; a <= 6; a++) for (let b = 1; b <= 6; b++) total += LUCKY_DICE_PAYOUTS.find((row) => row.matches(a, b))?.pays ?? 0;
    expect(total / 36).toBeCloseTo(8.06, 2);
  });
});
