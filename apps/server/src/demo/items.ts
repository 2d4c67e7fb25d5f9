import type { CreateItemBody } from '@playloop/contracts';
import type { Db } from '../db/database.ts';
import { insertItem } from '../modules/inventory/repo.ts';

/** The demo catalogue of items; the shop sells chest_bronze. */
export const DEMO_ITEMS: CreateItemBody[] = [
  {
    item_id: 'chest_bronze',
    name: 'Bronze chest',
    kind: 'consumable',
    opens: {
      table: [
        { weight: 60, bundle: { currencies: { soft: 100 } } },
        { weight: 25, bundle: { currencies: { soft: 300 } } },
        { weight: 10, bundle: { exp: 50, items: [{ item_id: 'frame_gold', quantity: 1 }] } },
        { weight: 5, bundle: { currencies: { premium: 10 } } },
      ],
    },
  },
  { item_id: 'xp_potion', name: 'XP potion', kind: 'consumable', opens: { bundle: { exp: 100 } } },
  { item_id: 'frame_gold', name: 'Gold frame', kind: 'cosmetic' },
  { item_id: 'avatar_neon', name: 'Neon avatar', kind: 'cosmetic' },
];

/** Defines the demo items; an id already defined is left as the operator made it. */
export async function seedDemoItems(trx: Db, now: Date): Promise<void> {
  for (const item of DEMO_ITEMS) {
    await insertItem(trx, { item_id: item.item_id, name: item.name, kind: item.kind, opens: item.opens ?? null, created_at: now });
  }
}
