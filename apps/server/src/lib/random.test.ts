import { describe, expect, it } from 'vitest';
import { cryptoRandom, seededRandom, type RandomSource } from './random.ts';

const draws = (source: RandomSource, n: number) => Array.from({ length: n }, () => source.next());

describe.each([
  ['crypto', () => cryptoRandom],
  ['seeded', () => seededRandom(12345)],
])('%s random source', (_name, make) => {
  it('draws uniformly from [0, 1)', () => {
    const values = draws(make(), 20_000);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    // Ten equal bins of 2000 expected each; a fair source stays well inside ±15%.
    const bins = new Array<number>(10).fill(0);
    for (const v of values) bins[Math.floor(v * 10)]! += 1;
    for (const count of bins) {
      expect(count).toBeGreaterThan(1700);
      expect(count).toBeLessThan(2300);
    }
    expect(new Set(values).size).toBeGreaterThan(19_900);
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for one seed and differs for another', () => {
    expect(draws(seededRandom(42), 50)).toEqual(draws(seededRandom(42), 50));
    expect(draws(seededRandom(42), 50)).not.toEqual(draws(seededRandom(43), 50));
  });

  it('matches the C reference mulberry32', () => {
    // uint32 outputs of the reference C implementation for seeds 0 and 42.
    expect(draws(seededRandom(0), 3).map((v) => v * 2 ** 32)).toEqual([1144304738, 1416247, 958946056]);
    expect(draws(seededRandom(42), 3).map((v) => v * 2 ** 32)).toEqual([2581720956, 1925393290, 3661312704]);
  });
});
