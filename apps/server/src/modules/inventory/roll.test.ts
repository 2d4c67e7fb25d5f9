import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/random.ts';
import { openContents, pickWeighted } from './roll.ts';

const CHEST = [60, 25, 10, 5];

describe('pickWeighted', () => {
  it.each([
    // weights, draw, chosen index, ticket
    [[1], 0, 0, 0],
    [[1], 0.999999, 0, 0],
    [CHEST, 0, 0, 0],
    [CHEST, 0.5999, 0, 59],
    [CHEST, 0.6, 1, 60],
    [CHEST, 0.8499, 1, 84],
    [CHEST, 0.85, 2, 85],
    [CHEST, 0.9499, 2, 94],
    [CHEST, 0.95, 3, 95],
    [CHEST, 1 - 2 ** -53, 3, 99],
    [[1, 1], 0.4999, 0, 0],
    [[1, 1], 0.5, 1, 1],
    [[3, 1_000_000, 3], 0.000002, 0, 2],
    [[3, 1_000_000, 3], 0.000003, 1, 3],
    [[3, 1_000_000, 3], 0.999997, 1, 1_000_002],
    [[3, 1_000_000, 3], 0.999998, 2, 1_000_003],
    [[1_000_000, 1], 1 - 2 ** -53, 1, 1_000_000],
  ])('weights %j, draw %d → entry %i (ticket %i)', (weights, u, index, ticket) => {
    expect(pickWeighted(weights, u)).toEqual({ index, ticket, total: weights.reduce((a, b) => a + b, 0) });
  });

  it.each([
    ['a draw of 1', CHEST, 1],
    ['a negative draw', CHEST, -0.1],
    ['NaN', CHEST, Number.NaN],
    ['no entries', [], 0.5],
    ['a zero weight', [1, 0], 0.5],
    ['a fractional weight', [1.5], 0.5],
  ])('refuses %s', (_name, weights, u) => {
    expect(() => pickWeighted(weights, u)).toThrow(RangeError);
  });

  it('never picks an entry a draw does not reach, and reaches every entry (monotone in the draw)', () => {
    let last = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const { index } = pickWeighted(CHEST, i / 10_000);
      expect(index).toBeGreaterThanOrEqual(last);
      last = index;
      seen.add(index);
    }
    expect([...seen]).toEqual([0, 1, 2, 3]);
  });

  it('follows the weights over 2000 seeded rolls (chi-square, 3 degrees of freedom)', () => {
    const random = seededRandom(20261128);
    const counts = [0, 0, 0, 0];
    const n = 2000;
    for (let i = 0; i < n; i++) counts[pickWeighted(CHEST, random.next()).index]! += 1;
    const total = CHEST.reduce((a, b) => a + b, 0);
    const chiSquare = CHEST.reduce((sum, w, i) => {
      const expected = (n * w) / total;
      return sum + (counts[i]! - expected) ** 2 / expected;
    }, 0);
    // 16.27 is the 0.1% critical value for 3 degrees of freedom: generous, yet a wrong table fails it.
    expect(chiSquare).toBeLessThan(16.27);
    // A skewed picker fails the same check: the chest read as uniform weights.
    const skewed = [n / 4, n / 4, n / 4, n / 4];
    const skewedChi = CHEST.reduce((sum, w, i) => sum + (skewed[i]! - (n * w) / total) ** 2 / ((n * w) / total), 0);
    expect(skewedChi).toBeGreaterThan(16.27);
  });
});

describe('openContents', () => {
  it('gives a fixed bundle without drawing', () => {
    const random = { next: () => expect.unreachable('a fixed bundle must not draw') as never };
    expect(openContents({ bundle: { exp: 100 } }, random)).toEqual({ bundle: { exp: 100 }, roll: null, chosenIndex: null });
  });

  it('draws once for a table and returns the entry with its roll', () => {
    const table = CHEST.map((weight, i) => ({ weight, bundle: { currencies: { soft: i + 1 } } }));
    expect(openContents({ table }, { next: () => 0.9 })).toEqual({
      bundle: { currencies: { soft: 3 } },
      roll: 0.9,
      chosenIndex: 2,
    });
  });
});
