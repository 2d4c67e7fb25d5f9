import { MAX_AMOUNT, type AdminSku, type CreateSkuBody, type RewardBundle, type Sku, type UpdateSkuBody } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { DomainError, notFound, unprocessable } from '../../lib/domain-error.ts';
import {
  countSoldUnits,
  findSku,
  insertSku,
  listOffers,
  listSkusWithSales,
  updateSku,
  type NewSku,
  type OfferRow,
  type SkuChange,
  type SkuRow,
} from './repo.ts';

export interface ShopDeps {
  db: Db;
  clock: Clock;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toSku(row: OfferRow): Sku {
  return {
    sku_id: row.sku_id,
    name: row.name,
    description: row.description,
    price: row.price,
    currency_type: row.currency_type,
    bundle: row.bundle as RewardBundle,
    segment: row.segment,
    stock_remaining: row.stock_remaining,
    per_user_limit: row.per_user_limit,
    purchased_count: row.purchased ?? 0,
    available_until: iso(row.available_until),
  };
}

function toAdminSku(row: SkuRow & { sold_count?: number }): AdminSku {
  return {
    sku_id: row.sku_id,
    name: row.name,
    description: row.description,
    price: row.price,
    currency_type: row.currency_type,
    bundle: row.bundle as RewardBundle,
    segment: row.segment,
    stock: row.stock,
    stock_remaining: row.stock_remaining,
    per_user_limit: row.per_user_limit,
    available_from: iso(row.available_from),
    available_until: iso(row.available_until),
    active: row.active,
    sold_count: row.sold_count ?? 0,
    created_at: row.created_at.toISOString(),
  };
}

/** The catalog a player sees now: SKUs active and inside their window, split by segment. */
export async function listCatalog(deps: ShopDeps, userId: string): Promise<{ regular: Sku[]; limited: Sku[] }> {
  const rows = await listOffers(deps.db, userId, deps.clock.now());
  const catalog = { regular: [] as Sku[], limited: [] as Sku[] };
  for (const row of rows) catalog[row.segment].push(toSku(row));
  return catalog;
}

/** Every SKU for operators, on sale or not, with stock and units sold. */
export async function listSkusForOperator(db: Db): Promise<AdminSku[]> {
  return (await listSkusWithSales(db)).map(toAdminSku);
}

/** A SKU definition from a validated operator body. */
export function newSkuFrom(body: CreateSkuBody): NewSku {
  return {
    sku_id: body.sku_id,
    name: body.name,
    description: body.description,
    price: body.price,
    currency_type: body.currency_type,
    bundle: body.bundle,
    segment: body.segment,
    stock: body.stock ?? null,
    per_user_limit: body.per_user_limit ?? null,
    available_from: body.available_from ? new Date(body.available_from) : null,
    available_until: body.available_until ? new Date(body.available_until) : null,
    active: body.active,
  };
}

/**
 * Creates a SKU. A taken sku_id is a well-formed body breaking a content rule: 422
 * VALIDATION_FAILED on body.sku_id (no 409 code of the SPEC is about SKUs), nothing changed.
 */
export async function createSku(deps: ShopDeps, body: CreateSkuBody): Promise<AdminSku> {
  const row = await insertSku(deps.db, newSkuFrom(body), deps.clock.now());
  if (!row) throw unprocessable('body.sku_id', 'already exists');
  return toAdminSku(row);
}

const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

/**
 * Changes a SKU (sku_id stays) for purchases from now on: each purchase reads price, currency and
 * bundle when it runs, and a purchase records what it paid, so past purchases keep theirs.
 *
 * `stock` is the total offered, units sold included: the new stock may not be below what is sold
 * (422 on body.stock, nothing changed), and stock_remaining becomes the new stock minus the units
 * sold. The SKU row is locked first, so a concurrent purchase taking stock either commits before
 * the change (and counts as sold) or waits and then takes from the new stock. For a SKU that was
 * unlimited, the units sold are its succeeded purchases, counted once those in flight have ended
 * (each holds the row FOR KEY SHARE, see findOfferTakeStockAndCount). null makes a SKU unlimited.
 *
 * The window is checked whole, a lone available_from or available_until against the stored half.
 */
export async function changeSku(deps: ShopDeps, skuId: string, change: UpdateSkuBody): Promise<AdminSku> {
  return deps.db.transaction().execute(async (trx) => {
    const sku = await findSku(trx, skuId, true);
    if (!sku) throw notFound('SKU');

    const from = change.available_from !== undefined ? dateOrNull(change.available_from) : sku.available_from;
    const until = change.available_until !== undefined ? dateOrNull(change.available_until) : sku.available_until;
    if (from && until && from >= until) {
      throw new DomainError('VALIDATION_FAILED', 'the request is not valid', [
        {
          field: change.available_until !== undefined ? 'body.available_until' : 'body.available_from',
          message: 'available_until must be after available_from',
        },
      ]);
    }

    // Units taken from the stock so far: exact under the row lock for a limited SKU.
    const taken = sku.stock !== null && sku.stock_remaining !== null ? sku.stock - sku.stock_remaining : null;
    // Succeeded purchases' units, counted at most once (for an unlimited SKU's new stock, and the answer).
    let soldCount: number | undefined;
    const { stock, available_from, available_until, ...plain } = change;
    const write: SkuChange = {
      ...plain,
      ...(available_from !== undefined ? { available_from: from } : {}),
      ...(available_until !== undefined ? { available_until: until } : {}),
    };
    if (stock === null) {
      Object.assign(write, { stock: null, stock_remaining: null });
    } else if (stock !== undefined) {
      const sold = taken ?? (soldCount ??= await countSoldUnits(trx, skuId));
      if (stock < sold) throw unprocessable('body.stock', `cannot be below the ${sold} units already sold`);
      Object.assign(write, { stock, stock_remaining: stock - sold });
    }

    const updated = await updateSku(trx, skuId, write);
    return toAdminSku({ ...updated, sold_count: soldCount ?? (await countSoldUnits(trx, skuId)) });
  });
}

/**
 * The bundle `quantity` purchases of a SKU grant, or null when an amount would pass
 * MAX_AMOUNT (every amount the API speaks stays within it).
 */
export function multiplyBundle(bundle: RewardBundle, quantity: number): RewardBundle | null {
  const times = (n: number) => n * quantity;
  const out: RewardBundle = {};
  if (bundle.currencies) {
    out.currencies = {};
    if (bundle.currencies.soft) out.currencies.soft = times(bundle.currencies.soft);
    if (bundle.currencies.premium) out.currencies.premium = times(bundle.currencies.premium);
  }
  if (bundle.exp) out.exp = times(bundle.exp);
  if (bundle.items) out.items = bundle.items.map((i) => ({ item_id: i.item_id, quantity: times(i.quantity) }));
  const amounts = [out.currencies?.soft, out.currencies?.premium, out.exp, ...(out.items ?? []).map((i) => i.quantity)];
  return amounts.every((a) => a === undefined || a <= MAX_AMOUNT) ? out : null;
}
