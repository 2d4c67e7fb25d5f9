import { sql, type Selectable } from 'kysely';
import type { Currency, PurchaseStatus, RewardBundle, ShopSegment } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { SkusTable } from '../../db/schema.ts';
import { outboxInsert, type OutboxRowInput } from '../outbox/repo.ts';
import { ledgerWrites, playerAccount, type LedgerTransaction } from '../wallet/ledger.ts';

export type SkuRow = Selectable<SkusTable>;

/** A SKU on sale now, with how many of it one player has bought. */
export interface OfferRow {
  sku_id: string;
  name: string;
  description: string;
  price: number;
  currency_type: Currency;
  bundle: unknown;
  segment: ShopSegment;
  stock_remaining: number | null;
  per_user_limit: number | null;
  available_until: Date | null;
  purchased: number | null;
}

/** Every SKU on sale at `now` (active, inside its window) with this player's counts; one query. */
export async function listOffers(db: Db, userId: string, now: Date): Promise<OfferRow[]> {
  return db
    .selectFrom('skus as s')
    .leftJoin('sku_purchase_counts as c', (join) => join.onRef('c.sku_id', '=', 's.sku_id').on('c.user_id', '=', userId))
    .select([
      's.sku_id',
      's.name',
      's.description',
      's.price',
      's.currency_type',
      's.bundle',
      's.segment',
      's.stock_remaining',
      's.per_user_limit',
      's.available_until',
      'c.purchased',
    ])
    .where('s.active', '=', true)
    .where((eb) => eb.or([eb('s.available_from', 'is', null), eb('s.available_from', '<=', now)]))
    .where((eb) => eb.or([eb('s.available_until', 'is', null), eb('s.available_until', '>', now)]))
    .orderBy('s.created_at')
    .orderBy('s.sku_id')
    .execute();
}

// The first key of the advisory lock a keyed purchase holds (the second is a hash of buyer and key).
// Any constant works, as long as no other two-key advisory lock uses it (outbox/repo.ts uses 7_041_979).
const PURCHASE_KEY_LOCK = 7_041_980;

/**
 * A condition that takes the transaction's advisory lock on (buyer, idempotency key) and holds:
 * a purchase retried under its key while the first attempt still runs (its key taken over as
 * stale) waits here until that attempt commits or rolls back, so whatever refuses the retry then
 * finds the first purchase committed (`findPurchaseByKey`). A hash collision of two keys only makes
 * one purchase wait for the other.
 */
function purchaseKeyLocked(buyerId: string, key: string) {
  return sql<boolean>`(SELECT count(*) FROM (SELECT pg_advisory_xact_lock(${PURCHASE_KEY_LOCK}, hashtext(${buyerId}::text || ' ' || ${key}::text))) l) = 1`;
}

/** The offer a purchase found, whether it took the stock (always false when unlimited) and counted it. */
export interface TakenOffer {
  sku_id: string;
  name: string;
  price: number;
  currency_type: Currency;
  bundle: RewardBundle;
  stock_remaining: number | null;
  per_user_limit: number | null;
  stock_taken: boolean;
  /** The buyer's balance in the SKU's currency as this statement saw it (committed, unlocked). */
  buyer_balance: number;
  /** How many the buyer had bought before, as this statement saw it. */
  buyer_purchased: number;
  /**
   * The buyer's count of this SKU with this purchase added, or null when it was not added: the
   * purchase was refused already (sold out, over the limit or the balance as the statement saw
   * them), or a concurrent purchase by the same buyer took the limit first.
   */
  counted: number | null;
}

/**
 * A purchase's first statement. Finds a SKU on sale at `now`; if it has stock, takes `quantity`
 * of it (`stock_remaining >= quantity` is re-checked on the latest row version after any
 * concurrent buyer commits, so stock can never be oversold); and, unless the purchase is refused
 * already by what the statement saw (sold out, past the buyer's limit, more than their balance),
 * adds `quantity` to the buyer's count of the SKU. With a limit, that upsert only updates while
 * the new count stays within it (the guard is evaluated on the locked, latest row), so concurrent
 * purchases by one player cannot pass the limit together. A refusal leaves the count row unlocked:
 * a storm of attempts on an empty wallet answers its 402s side by side. Undefined when no such SKU
 * is on sale; whatever was written is undone by the caller's rollback of a refused purchase.
 *
 * An unlimited SKU's row is not written but held FOR KEY SHARE until the purchase ends (its
 * purchases row's foreign key would take the same lock, only later). Buyers do not block each
 * other with it, but an operator's change of the SKU (FOR UPDATE) waits for every purchase in
 * flight, so when an unlimited SKU is made limited its count of units sold includes them.
 *
 * A purchase that waited for an operator's change reads the offer as the change left it, yet the
 * stock UPDATE filters the row as the statement's snapshot (taken before the wait) has it: stock
 * the change added is not taken. Such an answer (`stock_remaining >= quantity`, `stock_taken`
 * false) means "read again", not sold out; the caller runs the purchase once more.
 *
 * With `idempotencyKey`, the statement first takes the transaction's advisory lock on (buyer,
 * key) (`purchaseKeyLocked`), before it reads or locks anything else.
 */
export async function findOfferTakeStockAndCount(
  trx: Db,
  buyerId: string,
  skuId: string,
  quantity: number,
  now: Date,
  idempotencyKey?: string | undefined,
): Promise<TakenOffer | undefined> {
  const q = sql`${quantity}::bigint`;
  // A condition with no column in it: PostgreSQL evaluates it once, before the scan (a one-time
  // filter), so the lock is taken whether or not the SKU is on sale.
  const keyLocked = idempotencyKey ? sql` AND ${purchaseKeyLocked(buyerId, idempotencyKey)}` : sql``;
  const result = await sql<TakenOffer>`
    WITH offer AS (
      SELECT sku_id, name, price, currency_type, bundle, stock_remaining, per_user_limit
      FROM skus
      WHERE sku_id = ${skuId} AND active
        AND (available_from IS NULL OR available_from <= ${now}::timestamptz)
        AND (available_until IS NULL OR available_until > ${now}::timestamptz)${keyLocked}
      FOR KEY SHARE
    ),
    taken AS (
      UPDATE skus s SET stock_remaining = s.stock_remaining - ${q}
      FROM offer o
      WHERE s.sku_id = o.sku_id AND s.stock_remaining >= ${q}
      RETURNING s.sku_id
    ),
    buyer AS (
      SELECT
        COALESCE((SELECT balance FROM accounts WHERE owner = ${playerAccount(buyerId)} AND currency = o.currency_type), 0) AS balance,
        COALESCE((SELECT purchased FROM sku_purchase_counts WHERE user_id = ${buyerId}::uuid AND sku_id = o.sku_id), 0) AS purchased
      FROM offer o
    ),
    counted AS (
      INSERT INTO sku_purchase_counts AS c (user_id, sku_id, purchased)
      SELECT ${buyerId}::uuid, o.sku_id, ${q}
      FROM offer o, buyer b
      WHERE (o.stock_remaining IS NULL OR EXISTS (SELECT 1 FROM taken))
        AND (o.per_user_limit IS NULL OR b.purchased + ${q} <= o.per_user_limit)
        AND b.balance >= o.price * ${q}
      ON CONFLICT (user_id, sku_id) DO UPDATE SET purchased = c.purchased + excluded.purchased
        WHERE (SELECT per_user_limit FROM offer) IS NULL OR c.purchased + excluded.purchased <= (SELECT per_user_limit FROM offer)
      RETURNING c.purchased
    )
    SELECT o.*, EXISTS (SELECT 1 FROM taken) AS stock_taken, b.balance AS buyer_balance, b.purchased AS buyer_purchased,
      (SELECT purchased FROM counted) AS counted
    FROM offer o, buyer b`.execute(trx);
  return result.rows[0];
}

export interface PurchaseRecord {
  id: string;
  userId: string;
  skuId: string;
  quantity: number;
  price: number;
  currency: Currency;
  status: PurchaseStatus;
  failureCode: string | null;
  ledgerTransactionId: string | null;
  /** The request's X-Idempotency-Key, kept on a succeeded purchase (one purchase per player and key). */
  idempotencyKey?: string | null | undefined;
  now: Date;
}

/** The purchases row of an attempt. */
function purchaseValues(p: PurchaseRecord) {
  return {
    id: p.id,
    user_id: p.userId,
    sku_id: p.skuId,
    quantity: p.quantity,
    price: p.price,
    total_price: p.price * p.quantity,
    currency_type: p.currency,
    status: p.status,
    failure_code: p.failureCode,
    ledger_transaction_id: p.ledgerTransactionId,
    idempotency_key: p.status === 'succeeded' ? (p.idempotencyKey ?? null) : null,
    created_at: p.now,
  };
}

/**
 * Records a purchase attempt, succeeded (with its debit) or failed (with its code). `db` may carry
 * outbox rows on this statement (see `withOutboxEvents`).
 */
export async function insertPurchase(db: Pick<Db, 'insertInto'>, p: PurchaseRecord): Promise<void> {
  await db.insertInto('purchases').values(purchaseValues(p)).execute();
}

/** The unique index that lets one idempotency key buy once per player (migration 0025). */
export const PURCHASE_KEY_INDEX = 'purchases_user_idempotency_key';

/**
 * The player's succeeded purchase made under this idempotency key, with the bundle its grant
 * gave, or undefined.
 */
export function findPurchaseByKey(db: Db, userId: string, key: string) {
  return db
    .selectFrom('purchases as p')
    .innerJoin('reward_grants as g', (join) => join.on('g.grant_key', '=', sql<string>`'shop:purchase:' || p.id::text`))
    .select(['p.id', 'p.sku_id', 'p.quantity', 'p.price', 'p.total_price', 'p.currency_type', 'g.bundle'])
    .where('p.user_id', '=', userId)
    .where('p.idempotency_key', '=', key)
    .where('p.status', '=', 'succeeded')
    .executeTakeFirst();
}

/**
 * A succeeded purchase: its debit (the ledger transaction, which the CHECK on the player's balance
 * refuses as an overdraft), its row and `outbox` (its events), in one statement.
 */
export async function insertPaidPurchase(trx: Db, p: Omit<PurchaseRecord, 'status' | 'failureCode' | 'ledgerTransactionId'>, debit: LedgerTransaction, outbox: OutboxRowInput[]): Promise<void> {
  const ledger = ledgerWrites(debit);
  const row = trx.insertInto('purchases').values(purchaseValues({ ...p, status: 'succeeded', failureCode: null, ledgerTransactionId: debit.id }));
  await sql`
    WITH ${ledger.ctes},
    purchase AS (${row})${outbox.length ? sql`,
    ob AS (${outboxInsert(outbox)})` : sql``}
    SELECT count(*) FROM moved`.execute(trx);
}

export interface NewSku {
  sku_id: string;
  name: string;
  description: string;
  price: number;
  currency_type: Currency;
  bundle: RewardBundle;
  segment: ShopSegment;
  stock: number | null;
  per_user_limit: number | null;
  available_from: Date | null;
  available_until: Date | null;
  active: boolean;
}

/** Inserts a SKU unless its sku_id exists; undefined when it does (the insert decides, no read first). */
export async function insertSku(db: Db, sku: NewSku, now: Date): Promise<SkuRow | undefined> {
  return db
    .insertInto('skus')
    .values({ ...sku, bundle: JSON.stringify(sku.bundle), stock_remaining: sku.stock, created_at: now })
    .onConflict((oc) => oc.column('sku_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Every SKU, with the units its succeeded purchases sold. */
export async function listSkusWithSales(db: Db): Promise<(SkuRow & { sold_count: number })[]> {
  return db
    .selectFrom('skus as s')
    .selectAll('s')
    .select((eb) =>
      eb
        .selectFrom('purchases as p')
        .select(sql<number>`coalesce(sum(p.quantity), 0)::bigint`.as('sold'))
        .whereRef('p.sku_id', '=', 's.sku_id')
        .where('p.status', '=', 'succeeded')
        .as('sold_count'),
    )
    .orderBy('s.created_at')
    .orderBy('s.sku_id')
    .execute() as Promise<(SkuRow & { sold_count: number })[]>;
}

/** A SKU by id; `forUpdate` locks its row, so a purchase taking stock waits for the change. */
export async function findSku(db: Db, skuId: string, forUpdate = false): Promise<SkuRow | undefined> {
  let query = db.selectFrom('skus').selectAll().where('sku_id', '=', skuId);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Units of a SKU its succeeded purchases sold. */
export async function countSoldUnits(db: Db, skuId: string): Promise<number> {
  const row = await db
    .selectFrom('purchases')
    .select(sql<number>`coalesce(sum(quantity), 0)::bigint`.as('sold'))
    .where('sku_id', '=', skuId)
    .where('status', '=', 'succeeded')
    .executeTakeFirstOrThrow();
  return Number(row.sold);
}

/** The columns an operator's change of a SKU writes (stock and stock_remaining move together). */
export type SkuChange = Partial<Omit<NewSku, 'sku_id'> & { stock_remaining: number | null }>;

/** Writes an operator's change of a SKU; the row must exist. */
export async function updateSku(trx: Db, skuId: string, change: SkuChange): Promise<SkuRow> {
  const { bundle, ...plain } = change;
  return trx
    .updateTable('skus')
    .set({ ...plain, ...(bundle !== undefined ? { bundle: JSON.stringify(bundle) } : {}) })
    .where('sku_id', '=', skuId)
    .returningAll()
    .executeTakeFirstOrThrow();
}
