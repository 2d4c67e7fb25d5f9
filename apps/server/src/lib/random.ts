/** A source of uniform draws in [0, 1). Server-side rolls take one, so tests can seed them. */
export type RandomSource = { next(): number };

const TWO_32 = 2 ** 32;
const TWO_53 = 2 ** 53;

/** The default: 53 bits from the operating system's CSPRNG per draw, so no client can predict a roll. */
export const cryptoRandom: RandomSource = {
  next() {
    const [hi = 0, lo = 0] = crypto.getRandomValues(new Uint32Array(2));
    return ((hi >>> 11) * TWO_32 + lo) / TWO_53;
  },
};

/**
 * mulberry32: a tiny seedable PRNG for tests and reproductions (32 bits of state — never for
 * production rolls, which must not be predictable).
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / TWO_32;
    },
  };
}
