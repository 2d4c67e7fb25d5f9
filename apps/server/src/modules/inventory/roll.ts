import type { ItemOpens, RewardBundle } from '@playloop/contracts';
import type { RandomSource } from '../../lib/random.ts';

export interface WeightedPick {
  /** The chosen entry. */
  index: number;
  /** The draw as a whole number in [0, total): the entry is the one whose weight range holds it. */
  ticket: number;
  total: number;
}

/**
 * The entry a uniform draw `u` ∈ [0, 1) lands on. The draw becomes a ticket floor(u · total) and
 * the entry is the first whose running weight exceeds it, so entry i wins with probability
 * weight_i / total, and a recorded draw always re-derives the same entry (the audit relies on it).
 */
export function pickWeighted(weights: readonly number[], u: number): WeightedPick {
  if (!(u >= 0 && u < 1)) throw new RangeError(`a draw must be in [0, 1), got ${u}`);
  if (weights.length === 0) throw new RangeError('nothing to pick from');
  let total = 0;
  for (const weight of weights) {
    if (!Number.isSafeInteger(weight) || weight < 1) throw new RangeError(`weights must be positive integers, got ${weight}`);
    total += weight;
  }
  // u < 1, but u · total may round up to total for a draw just below 1; that ticket is the last one.
  const ticket = Math.min(Math.floor(u * total), total - 1);
  let running = 0;
  for (let index = 0; ; index++) {
    running += weights[index]!;
    if (ticket < running) return { index, ticket, total };
  }
}

export interface OpenedContents {
  bundle: RewardBundle;
  /** The draw that chose a table entry; null for a fixed bundle. */
  roll: number | null;
  chosenIndex: number | null;
}

/** What one use of an item gives: its fixed bundle, or the table entry one draw picks. */
export function openContents(opens: ItemOpens, random: RandomSource): OpenedContents {
  if ('bundle' in opens) return { bundle: opens.bundle, roll: null, chosenIndex: null };
  const roll = random.next();
  const { index } = pickWeighted(
    opens.table.map((entry) => entry.weight),
    roll,
  );
  return { bundle: opens.table[index]!.bundle, roll, chosenIndex: index };
}
