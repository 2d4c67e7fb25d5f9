import type { Db } from '../db/database.ts';

/** Demo shop catalog (owned by the shop work). */
export async function seedDemoShop(_trx: Db, _now: Date): Promise<void> {}
