import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { seedDemoItems } from './items.ts';
import { seedDemoLiveOps } from './live-ops.ts';
import { seedDemoShop } from './shop.ts';

/**
 * Seeds demo content on a first start (nothing configured): items, a shop with five regular
 * items and one limited package, and (later) events, missions and game types.
 * Runs once per database: a marker row makes later starts skip it.
 */
export async function seedDemoContent(database: Database, clock: Clock): Promise<boolean> {
  const now = clock.now();
  return database.db.transaction().execute(async (trx) => {
    const first = await sql`INSERT INTO demo_seed (id, seeded_at) VALUES (1, ${now}) ON CONFLICT DO NOTHING RETURNING id`.execute(trx);
    if (first.rows.length === 0) return false;
    await seedDemoItems(trx, now);
    await seedDemoShop(trx, now);
    await seedDemoLiveOps(trx, now);
    return true;
  });
}
