import { randomUUID } from 'node:crypto';
import { ItemOpensSchema, type CreateItemBody, type InventoryEntry, type Item, type ItemCatalogEntry, type UpdateItemBody, type UseItemResponse } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { DomainError, notFound, unprocessable } from '../../lib/domain-error.ts';
import type { RandomSource } from '../../lib/random.ts';
import { grantReward } from '../rewards/service.ts';
import { getBalances, lockPlayerAccounts } from '../wallet/ledger.ts';
import {
  completeOpen,
  findItem,
  findOpenByKey,
  insertItem,
  insertOpen,
  listHoldings,
  listItems,
  takeOne,
  updateItem,
  type ItemRow,
} from './repo.ts';
import { openContents } from './roll.ts';

export interface InventoryDeps {
  db: Db;
  clock: Clock;
  random: RandomSource;
}

/** What the player holds (quantity > 0), by item id. */
export async function getInventory(db: Db, userId: string): Promise<{ items: InventoryEntry[] }> {
  return { items: await listHoldings(db, userId) };
}

export interface UseItemOutcome {
  response: UseItemResponse;
  /** True when the idempotency key was used before: nothing was spent, the first outcome is returned. */
  replayed: boolean;
}

/**
 * Spends one consumable and grants what it opens (a fixed bundle, or a table entry rolled here
 * and recorded in `item_opens`), all in one transaction. The decrement is a conditional UPDATE,
 * so concurrent uses can never take more than the player holds; with an idempotency key the
 * open row is inserted first and the unique (user, key) lets only one request spend.
 */
export async function useItem(
  deps: InventoryDeps,
  input: { userId: string; itemId: string; idempotencyKey?: string | undefined; traceId?: string | undefined },
): Promise<UseItemOutcome> {
  const now = deps.clock.now();
  const key = input.idempotencyKey ?? null;
  return deps.db.transaction().execute(async (trx) => {
    if (key) {
      const earlier = await replayOpen(trx, input.userId, input.itemId, key);
      if (earlier) return earlier;
    }

    const item = await findItem(trx, input.itemId);
    if (!item || item.kind !== 'consumable') {
      throw new DomainError('NOT_CONSUMABLE', item ? `${item.item_id} is cosmetic` : `${input.itemId} is not a defined consumable`);
    }
    const opened = openContents(ItemOpensSchema.parse(item.opens), deps.random);

    const openId = randomUUID();
    const claimed = await insertOpen(trx, {
      id: openId,
      user_id: input.userId,
      item_id: item.item_id,
      idempotency_key: key,
      opens: item.opens,
      roll: opened.roll,
      chosen_index: opened.chosenIndex,
      opened_at: now,
    });
    if (!claimed && key) {
      // A concurrent request with this key committed while we rolled: answer with its outcome.
      const earlier = await replayOpen(trx, input.userId, input.itemId, key);
      if (earlier) return earlier;
      throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'a request with this idempotency key is in progress');
    }

    // A bundle paying currency locks the player's accounts in its grant; every flow takes them
    // before inventory (a purchase debits, then grants the chest), so this one must too, or a
    // chest opened while another is bought deadlocks. Item-only bundles never lock accounts.
    if (opened.bundle.currencies) await lockPlayerAccounts(trx, input.userId);
    // The chest and what it grants are locked together, in item order (the roll is made already),
    // so a content whose id sorts before the chest's is not locked after it.
    const contents = (opened.bundle.items ?? []).map((i) => i.item_id);
    const left = await takeOne(trx, input.userId, item.item_id, now, contents);
    if (left === undefined) throw new DomainError('NOT_ENOUGH_ITEMS', `no ${item.item_id} left`);

    const grant = await grantReward(trx, {
      userId: input.userId,
      grantKey: `item:open:${openId}`,
      source: 'item',
      sourceId: item.item_id,
      title: item.name,
      bundle: opened.bundle,
      now,
      traceId: input.traceId,
      idempotencyKey: key,
    });
    // A bundle may give back the item just used (a chest holding a chest).
    const regained = (opened.bundle.items ?? []).filter((i) => i.item_id === item.item_id).reduce((n, i) => n + i.quantity, 0);
    const quantityLeft = left + regained;
    await completeOpen(trx, openId, grant.grantId, quantityLeft);

    return {
      replayed: false,
      response: {
        item_id: item.item_id,
        quantity_left: quantityLeft,
        reward_items: grant.rewardItems,
        balances: grant.balances,
      },
    };
  });
}

/** The outcome of an earlier open with this key; a key first used for another item is refused. */
async function replayOpen(trx: Db, userId: string, itemId: string, key: string): Promise<UseItemOutcome | undefined> {
  const earlier = await findOpenByKey(trx, userId, key);
  if (!earlier) return undefined;
  if (earlier.itemId !== itemId) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used to open another item');
  }
  return {
    replayed: true,
    response: {
      item_id: itemId,
      quantity_left: earlier.quantityLeft,
      reward_items: earlier.rewardItems,
      balances: await getBalances(trx, userId),
    },
  };
}

function toItem(row: ItemRow): Item {
  return {
    item_id: row.item_id,
    name: row.name,
    kind: row.kind,
    opens: row.opens === null ? null : ItemOpensSchema.parse(row.opens),
    created_at: row.created_at.toISOString(),
  };
}

/** Every defined item's name and kind, by id: what players need to name the items of a bundle. */
export async function listItemCatalog(db: Db): Promise<{ items: ItemCatalogEntry[] }> {
  return { items: (await listItems(db)).map(({ item_id, name, kind }) => ({ item_id, name, kind })) };
}

/** Every item definition, by id. */
export async function listItemDefinitions(db: Db): Promise<{ items: Item[] }> {
  return { items: (await listItems(db)).map(toItem) };
}

/**
 * Defines an item. Ids are permanent: a taken id is refused as a field error on `item_id` (the
 * SPEC has no "already exists" conflict code for items; the client's fix is another id), 422.
 */
export async function defineItem(deps: { db: Db; clock: Clock }, body: CreateItemBody): Promise<Item> {
  const row = await insertItem(deps.db, {
    item_id: body.item_id,
    name: body.name,
    kind: body.kind,
    opens: body.opens ?? null,
    created_at: deps.clock.now(),
  });
  // 422 as for a taken event key, mission key or SKU id: well-formed, refused for its content.
  if (!row) throw unprocessable('body.item_id', 'already exists');
  return toItem(row);
}

/**
 * Renames an item or changes what a consumable opens (id and kind stay). New contents apply to
 * opens from now on; an open already made keeps its recorded contents and roll. A cosmetic opens
 * nothing, so contents for one are refused (422 on body.opens) and nothing changes.
 */
export async function changeItem(deps: { db: Db }, itemId: string, change: UpdateItemBody): Promise<Item> {
  return deps.db.transaction().execute(async (trx) => {
    const item = await findItem(trx, itemId, true);
    if (!item) throw notFound('item');
    if (change.opens !== undefined && item.kind !== 'consumable') throw unprocessable('body.opens', 'a cosmetic opens nothing');
    return toItem(await updateItem(trx, itemId, change));
  });
}
