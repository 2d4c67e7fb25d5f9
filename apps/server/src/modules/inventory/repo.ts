import { sql } from 'kysely';
import type { ItemKind, ItemOpens, RewardItem } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';

export interface ItemRow {
  item_id: string;
  name: string;
  kind: ItemKind;
  /** Parsed jsonb, as stored; the service validates it before use. */
  opens: unknown;
  created_at: Date;
}

/** A player's holdings with their definitions; undefined items read as cosmetic, named by id. */
export async function listHoldings(db: Db, userId: string) {
  const rows = await db
    .selectFrom('inventory as inv')
    .leftJoin('items as it', 'it.item_id', 'inv.item_id')
    .select(['inv.item_id', 'inv.quantity', 'it.name', 'it.kind'])
    .where('inv.user_id', '=', userId)
    .where('inv.quantity', '>', 0)
    .orderBy('inv.item_id')
    .execute();
  return rows.map((r) => ({
    item_id: r.item_id,
    name: r.name ?? r.item_id,
    kind: (r.kind ?? 'cosmetic') as ItemKind,
    quantity: r.quantity,
  }));
}

/** An item definition; `forUpdate` locks its row until the transaction ends (an operator's change). */
export async function findItem(db: Db, itemId: string, forUpdate = false): Promise<ItemRow | undefined> {
  let query = db.selectFrom('items').select(['item_id', 'name', 'kind', 'opens', 'created_at']).where('item_id', '=', itemId);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function listItems(db: Db): Promise<ItemRow[]> {
  return db.selectFrom('items').select(['item_id', 'name', 'kind', 'opens', 'created_at']).orderBy('item_id').execute();
}

/** Inserts a definition unless its id exists; undefined when it did (the insert decides, not a read). */
export async function insertItem(
  db: Db,
  item: { item_id: string; name: string; kind: ItemKind; opens: ItemOpens | null; created_at: Date },
): Promise<ItemRow | undefined> {
  return db
    .insertInto('items')
    .values({ ...item, opens: item.opens ? JSON.stringify(item.opens) : null })
    .onConflict((oc) => oc.column('item_id').doNothing())
    .returning(['item_id', 'name', 'kind', 'opens', 'created_at'])
    .executeTakeFirst();
}

/** Writes an operator's change of an item's name or contents; the row must exist. */
export async function updateItem(trx: Db, itemId: string, change: { name?: string | undefined; opens?: ItemOpens | undefined }): Promise<ItemRow> {
  return trx
    .updateTable('items')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.opens !== undefined ? { opens: JSON.stringify(change.opens) } : {}),
    })
    .where('item_id', '=', itemId)
    .returning(['item_id', 'name', 'kind', 'opens', 'created_at'])
    .executeTakeFirstOrThrow();
}

/**
 * Takes one of an item from a player, never below zero; the quantity left, or undefined when the
 * player has none. Concurrent takes queue on the row lock and re-check `quantity > 0`.
 *
 * `contents` are the items the open will grant. Their rows and the item's are locked first, in
 * item order, as every grant locks inventory (`insertGrant`): taking the chest first and then
 * granting a gem whose id sorts before it deadlocked with a purchase granting both. A content row
 * the player lacks is inserted at 0, so that a concurrent first grant of it waits here rather than
 * on the grant later (an insert holds its new key until it commits). `ON CONFLICT DO UPDATE …
 * WHERE false` locks a row it leaves as it is; an uncorrelated subquery over it in the UPDATE's
 * WHERE runs, once, before the UPDATE touches its row.
 */
export async function takeOne(trx: Db, userId: string, itemId: string, now: Date, contents: readonly string[] = []): Promise<number | undefined> {
  const others = [...new Set(contents)].filter((id) => id !== itemId);
  if (others.length === 0) {
    const row = await trx
      .updateTable('inventory')
      .set({ quantity: sql`quantity - 1`, updated_at: now })
      .where('user_id', '=', userId)
      .where('item_id', '=', itemId)
      .where('quantity', '>', 0)
      .returning('quantity')
      .executeTakeFirst();
    return row?.quantity;
  }
  const ids = sql.join([itemId, ...others].map((id) => sql`(${id}::text)`));
  const { rows } = await sql<{ quantity: number }>`
    WITH held AS (
      INSERT INTO inventory (user_id, item_id, quantity, updated_at)
      SELECT ${userId}::uuid, i.item_id, 0, ${now}::timestamptz FROM (VALUES ${ids}) i (item_id)
      ORDER BY i.item_id
      ON CONFLICT (user_id, item_id) DO UPDATE SET quantity = inventory.quantity WHERE false
      RETURNING 1
    )
    UPDATE inventory SET quantity = quantity - 1, updated_at = ${now}::timestamptz
    WHERE user_id = ${userId}::uuid AND item_id = ${itemId}::text AND quantity > 0
      AND (SELECT count(*) FROM held) >= 0
    RETURNING quantity`.execute(trx);
  return rows[0]?.quantity;
}

/**
 * Records an open before anything is spent. With an idempotency key, the unique (user, key)
 * decides which of several requests does the work: false means another open holds the key
 * (a concurrent one is waited for).
 */
export async function insertOpen(
  trx: Db,
  open: {
    id: string;
    user_id: string;
    item_id: string;
    idempotency_key: string | null;
    opens: unknown;
    roll: number | null;
    chosen_index: number | null;
    opened_at: Date;
  },
): Promise<boolean> {
  const row = await trx
    .insertInto('item_opens')
    .values({ ...open, opens: JSON.stringify(open.opens), grant_id: null, quantity_left: null })
    .onConflict((oc) => oc.columns(['user_id', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return Boolean(row);
}

/** Completes an open with its grant and what was left (required by commit). */
export async function completeOpen(trx: Db, openId: string, grantId: string, quantityLeft: number): Promise<void> {
  await trx.updateTable('item_opens').set({ grant_id: grantId, quantity_left: quantityLeft }).where('id', '=', openId).execute();
}

/** The open a player made with an idempotency key, with what its grant gave. */
export async function findOpenByKey(db: Db, userId: string, idempotencyKey: string) {
  const row = await db
    .selectFrom('item_opens as o')
    .innerJoin('reward_grants as g', 'g.id', 'o.grant_id')
    .select(['o.id', 'o.item_id', 'o.quantity_left', 'g.reward_items'])
    .where('o.user_id', '=', userId)
    .where('o.idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  if (!row) return undefined;
  return { id: row.id, itemId: row.item_id, quantityLeft: row.quantity_left ?? 0, rewardItems: row.reward_items as RewardItem[] };
}
