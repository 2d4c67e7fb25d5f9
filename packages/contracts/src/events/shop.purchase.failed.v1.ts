import { z } from 'zod';
import { CountSchema, CurrencySchema, SlugSchema } from './common.ts';

/** `shop.purchase.failed`: a purchase reached a SKU and was refused; nothing was debited. */
export const ShopPurchaseFailedV1Schema = z.strictObject({
  purchase_id: z.uuid().nullable(),
  sku_id: SlugSchema,
  quantity: z.number().int().positive(),
  total_price: CountSchema.optional(),
  currency_type: CurrencySchema.optional(),
  failure_code: z.string().regex(/^[A-Z_]{1,64}$/, 'an error code'),
});
