import type { z } from 'zod';
import { CreateSkuBodySchema } from '@playloop/contracts';
import type { Db } from '../db/database.ts';
import { insertSku } from '../modules/shop/repo.ts';
import { newSkuFrom } from '../modules/shop/service.ts';

type SkuInput = z.input<typeof CreateSkuBodySchema>;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The demo catalog: five regular SKUs (soft and premium prices; a chest, potions, an exp boost,
 * a cosmetic, a coin pack) and one limited package that runs for 30 days from the seeding.
 * A new player's signup bonus (1000 soft) buys any soft-priced one.
 */
export function demoSkus(now: Date): SkuInput[] {
  return [
    {
      sku_id: 'chest_bronze',
      name: 'Bronze chest',
      description: 'Opens into coins, exp, a gold frame or a few gems.',
      price: 200,
      currency_type: 'soft',
      bundle: { items: [{ item_id: 'chest_bronze', quantity: 1 }] },
    },
    {
      sku_id: 'xp_potion_x3',
      name: 'XP potions ×3',
      description: 'Three potions of 100 exp each, to drink when you like.',
      price: 300,
      currency_type: 'soft',
      bundle: { items: [{ item_id: 'xp_potion', quantity: 3 }] },
    },
    {
      sku_id: 'exp_boost',
      name: 'Instant EXP boost',
      description: '200 exp, right away.',
      price: 250,
      currency_type: 'soft',
      bundle: { exp: 200 },
    },
    {
      sku_id: 'frame_gold',
      name: 'Gold frame',
      description: 'A gold frame for your profile picture.',
      price: 30,
      currency_type: 'premium',
      bundle: { items: [{ item_id: 'frame_gold', quantity: 1 }] },
      per_user_limit: 1,
    },
    {
      sku_id: 'coin_pouch',
      name: 'Coin pouch',
      description: '2,500 coins for 20 gems.',
      price: 20,
      currency_type: 'premium',
      bundle: { currencies: { soft: 2500 } },
    },
    {
      sku_id: 'neon_starter_pack',
      name: 'Neon starter pack',
      description: 'The neon avatar, three bronze chests and 100 exp. One per player, while stock lasts.',
      price: 500,
      currency_type: 'soft',
      bundle: { exp: 100, items: [{ item_id: 'avatar_neon', quantity: 1 }, { item_id: 'chest_bronze', quantity: 3 }] },
      segment: 'limited',
      stock: 100,
      per_user_limit: 1,
      available_until: new Date(now.getTime() + 30 * DAY_MS).toISOString(),
    },
  ];
}

/** Seeds the demo catalog; a sku_id that exists already is left as it is. */
export async function seedDemoShop(trx: Db, now: Date): Promise<void> {
  for (const input of demoSkus(now)) {
    await insertSku(trx, newSkuFrom(CreateSkuBodySchema.parse(input)), now);
  }
}
