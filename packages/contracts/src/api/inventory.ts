import { z } from 'zod';
import { TextSchema } from './common.ts';
import { BalancesSchema, ItemIdSchema, RewardBundleSchema, RewardItemSchema } from './rewards.ts';

export const ItemKindSchema = z.enum(['cosmetic', 'consumable']);

/** Bounds of a weighted table: small enough to audit by eye, weights far inside int4. */
export const MAX_TABLE_ENTRIES = 50;
export const MAX_TABLE_WEIGHT = 1_000_000;

export const LootTableEntrySchema = z.strictObject({
  weight: z.number().int().min(1).max(MAX_TABLE_WEIGHT),
  bundle: RewardBundleSchema,
});

/** What a consumable gives when used: one fixed bundle, or one entry of a table rolled on the server. */
export const ItemOpensSchema = z
  .union([
    z.strictObject({ bundle: RewardBundleSchema }),
    z.strictObject({ table: z.array(LootTableEntrySchema).min(1).max(MAX_TABLE_ENTRIES) }),
  ])
  .meta({ id: 'ItemOpens' });

export const ItemNameSchema = TextSchema
  .trim()
  .min(1)
  .max(64)
  .refine((s) => !/[\p{Cc}]/u.test(s), 'no control characters');

export const ItemSchema = z
  .object({
    item_id: z.string(),
    name: z.string(),
    kind: ItemKindSchema,
    opens: ItemOpensSchema.nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Item' });

/** An operator's item definition; a consumable must say what it opens, a cosmetic opens nothing. */
export const CreateItemBodySchema = z
  .strictObject({
    item_id: ItemIdSchema,
    name: ItemNameSchema,
    kind: ItemKindSchema,
    opens: ItemOpensSchema.optional(),
  })
  .superRefine((item, ctx) => {
    if (item.kind === 'consumable' && !item.opens) {
      ctx.addIssue({ code: 'custom', path: ['opens'], message: 'a consumable must define what it opens' });
    }
    if (item.kind === 'cosmetic' && item.opens) {
      ctx.addIssue({ code: 'custom', path: ['opens'], message: 'a cosmetic opens nothing' });
    }
  });

/**
 * A partial change of an item definition. item_id and kind stay as defined: players may hold the
 * item, and turning a held chest cosmetic (or a held frame consumable) would change what they own.
 * Only a consumable has contents to change; the service refuses opens on a cosmetic (422).
 */
export const UpdateItemBodySchema = z
  .strictObject({
    name: ItemNameSchema.optional(),
    opens: ItemOpensSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'change at least one field')
  .meta({ id: 'UpdateItem' });

export const ItemListResponseSchema = z.object({ items: z.array(ItemSchema) });

/** One holding; an item held before it is defined shows as cosmetic, named by its id. */
export const InventoryEntrySchema = z
  .object({ item_id: z.string(), name: z.string(), kind: ItemKindSchema, quantity: z.number().int() })
  .meta({ id: 'InventoryEntry' });
export const InventoryResponseSchema = z.object({ items: z.array(InventoryEntrySchema) });

/**
 * The item catalog a player sees (GET /api/items): each defined item's name and kind, so a bundle
 * of a SKU, an event or a history entry can be shown by name rather than by id. What an item
 * opens stays on the operator's side.
 */
export const ItemCatalogEntrySchema = z.object({ item_id: z.string(), name: z.string(), kind: ItemKindSchema }).meta({ id: 'ItemCatalogEntry' });
export const ItemCatalogResponseSchema = z.object({ items: z.array(ItemCatalogEntrySchema) });

export const ItemParamsSchema = z.strictObject({ item_id: ItemIdSchema });
/**
 * Using an item takes no input: no body (Fastify validates that as null) or an empty object, for
 * clients that always send one.
 */
export const UseItemBodySchema = z.strictObject({}).nullish();
export const UseItemResponseSchema = z.object({
  item_id: z.string(),
  quantity_left: z.number().int(),
  reward_items: z.array(RewardItemSchema),
  balances: BalancesSchema,
});

export type ItemKind = z.infer<typeof ItemKindSchema>;
export type ItemOpens = z.infer<typeof ItemOpensSchema>;
export type Item = z.infer<typeof ItemSchema>;
export type CreateItemBody = z.infer<typeof CreateItemBodySchema>;
export type UpdateItemBody = z.infer<typeof UpdateItemBodySchema>;
export type InventoryEntry = z.infer<typeof InventoryEntrySchema>;
export type ItemCatalogEntry = z.infer<typeof ItemCatalogEntrySchema>;
export type UseItemResponse = z.infer<typeof UseItemResponseSchema>;
