import type { Db } from '../db/database.ts';

/** Demo item definitions (owned by the inventory work). */
export async function seedDemoItems(_trx: Db, _now: Date): Promise<void> {}
