import type { Tier } from '@playloop/contracts';

/** Exp needed to go from level n to n+1 (SPEC: 100 × n). */
export const expForLevel = (level: number) => 100 * level;

/** Total exp at which a player reaches `level` (level 1 at 0 exp). */
export const totalExpForLevel = (level: number) => (100 * (level - 1) * level) / 2;

/** The level a player with this much total exp is at. */
export function levelForExp(exp: number): number {
  // Solve 50·L·(L−1) ≤ exp for the largest L, then correct any float rounding at the edges.
  let level = Math.max(1, Math.floor((1 + Math.sqrt(1 + exp / 12.5)) / 2));
  while (totalExpForLevel(level + 1) <= exp) level += 1;
  while (level > 1 && totalExpForLevel(level) > exp) level -= 1;
  return level;
}

/** Exp still missing to reach the next level. */
export const expToNextLevel = (exp: number) => totalExpForLevel(levelForExp(exp) + 1) - exp;

const TIERS: Array<[minLevel: number, tier: Tier]> = [
  [35, 'diamond'],
  [20, 'platinum'],
  [10, 'gold'],
  [5, 'silver'],
  [1, 'bronze'],
];

/** Tier follows level. */
export function tierForLevel(level: number): Tier {
  return TIERS.find(([min]) => level >= min)?.[1] ?? 'bronze';
}
