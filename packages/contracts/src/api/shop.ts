import { z } from 'zod';
import { AmountSchema, IsoDateTimeSchema, MAX_AMOUNT } from './common.ts';
import { BalancesSchema, CurrencySchema, RewardBundleSchema } from './rewards.ts';

/** Most units of one SKU a single purchase may take. */
export const MAX_PURCHASE_QUANTITY = 100;

export const SkuIdSchema = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a-z, 0-9 and _, at most 64');
export const ShopSegmentSchema = z.enum(['regular', 'limited']);
export const PurchaseStatusSchema = z.enum(['succeeded', 'failed']);

/** An offer as a player sees it; stock, limit and end are null where the SKU has none. */
export const SkuSchema = z
  .object({
    sku_id: z.string(),
    name: z.string(),
    description: z.string(),
    price: z.number().int(),
    currency_type: CurrencySchema,
    bundle: RewardBundleSchema,
    segment: ShopSegmentSchema,
    stock_remaining: z.number().int().nullable(),
    per_user_limit: z.number().int().nullable(),
    /** How many of this SKU the calling player has bought. */
    purchased_count: z.number().int(),
    available_until: z.string().nullable(),
  })
  .meta({ id: 'ShopSku' });

export const CatalogResponseSchema = z
  .object({ regular: z.array(SkuSchema), limited: z.array(SkuSchema) })
  .meta({ id: 'ShopCatalog' });

export const PurchaseBodySchema = z
  .strictObject({
    sku_id: SkuIdSchema,
    quantity: z.number().int().min(1).max(MAX_PURCHASE_QUANTITY).default(1),
  })
  .meta({ id: 'PurchaseRequest' });

export const PurchaseResponseSchema = z
  .object({
    purchase_id: z.uuid(),
    status: z.literal('succeeded'),
    sku_id: z.string(),
    quantity: z.number().int(),
    price: z.number().int(),
    total_price: z.number().int(),
    currency_type: CurrencySchema,
    /** The SKU's bundle times the quantity, as granted. */
    granted_bundle: RewardBundleSchema,
    balances: BalancesSchema,
  })
  .meta({ id: 'PurchaseResult' });

/** A SKU as an operator sees it: the whole definition, stock and what it sold. */
export const AdminSkuSchema = z
  .object({
    sku_id: z.string(),
    name: z.string(),
    description: z.string(),
    price: z.number().int(),
    currency_type: CurrencySchema,
    bundle: RewardBundleSchema,
    segment: ShopSegmentSchema,
    stock: z.number().int().nullable(),
    stock_remaining: z.number().int().nullable(),
    per_user_limit: z.number().int().nullable(),
    available_from: z.string().nullable(),
    available_until: z.string().nullable(),
    active: z.boolean(),
    /** Units sold by succeeded purchases. */
    sold_count: z.number().int(),
    created_at: z.string(),
  })
  .meta({ id: 'AdminShopSku' });

export const AdminSkuListResponseSchema = z.object({ items: z.array(AdminSkuSchema) }).meta({ id: 'AdminShopSkuList' });

export const CreateSkuBodySchema = z
  .strictObject({
    sku_id: SkuIdSchema,
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().max(1000).default(''),
    price: AmountSchema,
    currency_type: CurrencySchema,
    bundle: RewardBundleSchema,
    segment: ShopSegmentSchema.default('regular'),
    /** Initial stock; absent or null for unlimited. */
    stock: z.number().int().min(1).max(MAX_AMOUNT).nullable().optional(),
    per_user_limit: z.number().int().min(1).max(MAX_AMOUNT).nullable().optional(),
    available_from: IsoDateTimeSchema.nullable().optional(),
    available_until: IsoDateTimeSchema.nullable().optional(),
    active: z.boolean().default(true),
  })
  .refine((b) => !b.available_from || !b.available_until || Date.parse(b.available_from) < Date.parse(b.available_until), {
    message: 'available_until must be after available_from',
    path: ['available_until'],
  })
  .meta({ id: 'CreateShopSku' });

export type ShopSegment = z.infer<typeof ShopSegmentSchema>;
export type PurchaseStatus = z.infer<typeof PurchaseStatusSchema>;
export type Sku = z.infer<typeof SkuSchema>;
export type AdminSku = z.infer<typeof AdminSkuSchema>;
export type PurchaseBody = z.infer<typeof PurchaseBodySchema>;
export type PurchaseResponse = z.infer<typeof PurchaseResponseSchema>;
export type CreateSkuBody = z.infer<typeof CreateSkuBodySchema>;
