import { z } from 'zod';
import { CountSchema, CurrencySchema, SlugSchema } from './common.ts';

/** `shop.purchase.succeeded`: a purchase debited `total_price` of `currency_type` (revenue in the KPIs). */
export const ShopPurchaseSucceededV1Schema = z.strictObject({
  purchase_id: z.uuid(),
  sku_id: SlugSchema,
  quantity: z.number().int().positive(),
  price: CountSchema,
  total_price: CountSchema,
  currency_type: CurrencySchema,
});
