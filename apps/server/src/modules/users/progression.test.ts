import { describe, expect, it } from 'vitest';
import { expToNextLevel, levelForExp, tierForLevel, totalExpForLevel } from './progression.ts';

describe('level curve', () => {
  it.each([
    [0, 1],
    [99, 1],
    [100, 2],
    [299, 2],
    [300, 3],
    [599, 3],
    [600, 4],
    [4500, 10],
    [4499, 9],
    [1_000_000_000, 4472],
  ])('%i exp is level %i', (exp, level) => {
    expect(levelForExp(exp)).toBe(level);
  });

  it('level n to n+1 needs 100 × n exp', () => {
    for (let n = 1; n < 200; n++) expect(totalExpForLevel(n + 1) - totalExpForLevel(n)).toBe(100 * n);
  });

  it.each([
    [0, 100],
    [50, 50],
    [100, 200],
    [250, 50],
  ])('at %i exp, %i to the next level', (exp, missing) => {
    expect(expToNextLevel(exp)).toBe(missing);
  });
});

describe('tiers', () => {
  it.each([
    [1, 'bronze'],
    [4, 'bronze'],
    [5, 'silver'],
    [10, 'gold'],
    [20, 'platinum'],
    [35, 'diamond'],
    [500, 'diamond'],
  ])('level %i is %s', (level, tier) => {
    expect(tierForLevel(level)).toBe(tier);
  });
});
