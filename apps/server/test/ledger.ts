import { expect } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { verifyLedger } from '../src/modules/wallet/verify.ts';

/** Asserts every wallet invariant over the whole test database. */
export async function expectLedgerClean(db: Db): Promise<void> {
  expect(await verifyLedger(db)).toEqual([]);
}
