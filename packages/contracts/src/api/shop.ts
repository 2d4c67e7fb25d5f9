import { z } from 'zod';
import { AmountSchema, MAX_AMOUNT, TextSchema, WindowDateTimeSchema } from './common.ts';
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

const SkuNameSchema = TextSchema.trim().min(1).max(100);
const SkuDescriptionSchema = TextSchema.trim().max(1000);
const StockSchema = z.number().int().min(1).max(MAX_AMOUNT);
const PerUserLimitSchema = z.number().int().min(1).max(MAX_AMOUNT);

const skuWindowOrdered = (b: { available_from?: string | null | undefined; available_until?: string | null | undefined }) =>
  !b.available_from || !b.available_until || Date.parse(b.available_from) < Date.parse(b.available_until);
const skuWindowError = { message: 'available_until must be after available_from', path: ['available_until'] };

export const CreateSkuBodySchema = z
  .strictObject({
    sku_id: SkuIdSchema,
    name: SkuNameSchema,
    description: SkuDescriptionSchema.default(''),
    price: AmountSchema,
    currency_type: CurrencySchema,
    bundle: RewardBundleSchema,
    segment: ShopSegmentSchema.default('regular'),
    /** Initial stock; absent or null for unlimited. */
    stock: StockSchema.nullable().optional(),
    per_user_limit: PerUserLimitSchema.nullable().optional(),
    available_from: WindowDateTimeSchema.nullable().optional(),
    available_until: WindowDateTimeSchema.nullable().optional(),
    active: z.boolean().default(true),
  })
  .refine(skuWindowOrdered, skuWindowError)
  .meta({ id: 'CreateShopSku' });

/**
 * A partial change of a SKU (sku_id stays). A new price or currency applies to purchases from now
 * on; past purchases keep what they paid. `stock` is the total the SKU offers, units sold
 * included: it may not go below what is already sold (422 on body.stock), and what is left
 * becomes the new stock minus the units sold; null makes the SKU unlimited. The window is checked
 * again against the stored half when only one end moves.
 */
export const UpdateSkuBodySchema = z
  .strictObject({
    name: SkuNameSchema.optional(),
    description: SkuDescriptionSchema.optional(),
    price: AmountSchema.optional(),
    currency_type: CurrencySchema.optional(),
    bundle: RewardBundleSchema.optional(),
    segment: ShopSegmentSchema.optional(),
    stock: StockSchema.nullable().optional(),
    per_user_limit: PerUserLimitSchema.nullable().optional(),
    available_from: WindowDateTimeSchema.nullable().optional(),
    available_until: WindowDateTimeSchema.nullable().optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field')
  .refine(skuWindowOrdered, skuWindowError)
  .meta({ id: 'UpdateShopSku' });

export const SkuParamsSchema = z.strictObject({ sku_id: SkuIdSchema });

export type ShopSegment = z.infer<typeof ShopSegmentSchema>;
export type PurchaseStatus = z.infer<typeof PurchaseStatusSchema>;
export type Sku = z.infer<typeof SkuSchema>;
export type AdminSku = z.infer<typeof AdminSkuSchema>;
export type PurchaseBody = z.infer<typeof PurchaseBodySchema>;
export type PurchaseResponse = z.infer<typeof PurchaseResponseSchema>;
export type CreateSkuBody = z.infer<typeof CreateSkuBodySchema>;
export type UpdateSkuBody = z.infer<typeof UpdateSkuBodySchema>;
