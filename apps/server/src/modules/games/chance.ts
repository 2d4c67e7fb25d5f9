import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { LuckyDiceOutcome } from '@playloop/contracts';

/** A fresh 256-bit seed from the operating system's CSPRNG, as 64 hex digits. */
export const newSeed = (): string => randomBytes(32).toString('hex');

/** What the client sees at start: SHA-256 of the seed, so the revealed seed can be checked later. */
export const seedCommitment = (seed: string): string => createHash('sha256').update(seed, 'hex').digest('hex');

// Bytes at or above this are skipped so every face keeps probability exactly 1/6 (252 = 42 × 6).
const UNBIASED_LIMIT = 252;

/**
 * Die faces (1–6) derived from a seed: HMAC-SHA256(seed, "lucky_dice:v1:<block>") bytes, each
 * below 252 taken mod 6. Deterministic, so a stored seed always re-derives the same roll.
 */
export function facesFromSeed(seed: string, count: number): number[] {
  if (!/^[0-9a-f]{64}$/.test(seed)) throw new RangeError('a seed is 64 lowercase hex digits');
  const faces: number[] = [];
  for (let block = 0; faces.length < count; block++) {
    const bytes = createHmac('sha256', Buffer.from(seed, 'hex')).update(`lucky_dice:v1:${block}`).digest();
    for (const byte of bytes) {
      if (byte >= UNBIASED_LIMIT) continue;
      faces.push((byte % 6) + 1);
      if (faces.length === count) break;
    }
  }
  return faces;
}

/**
 * The lucky_dice payout table, first match wins: double six 100 soft, any other double 30,
 * a total of 10 or more 10, anything else nothing. Expected payout ≈ 8 soft per roll.
 */
export const LUCKY_DICE_PAYOUTS: ReadonlyArray<{ name: string; pays: number; matches: (a: number, b: number) => boolean }> = [
  { name: 'double six', pays: 100, matches: (a, b) => a === 6 && b === 6 },
  { name: 'double', pays: 30, matches: (a, b) => a === b },
  { name: 'high roll', pays: 10, matches: (a, b) => a + b >= 10 },
];

/** The whole lucky_dice result of one seed: two dice, their total (the score) and the payout. */
export function rollLuckyDice(seed: string): LuckyDiceOutcome {
  const [a = 1, b = 1] = facesFromSeed(seed, 2);
  const payout = LUCKY_DICE_PAYOUTS.find((row) => row.matches(a, b))?.pays ?? 0;
  return { dice: [a, b], total: a + b, payout_soft: payout };
}
