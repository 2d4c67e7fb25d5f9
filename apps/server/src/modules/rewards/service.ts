import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Balances, EnvelopeEventType, RewardBundle, RewardItem, RewardSource } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { appendOutboxEvents, outboxRowsOf, withOutboxEvents, type OutboxEvent } from '../outbox/service.ts';
import { levelForExp, tierForLevel } from '../users/progression.ts';
import { balancesFrom, balancesOf, getBalances, movesBetween, type SystemAccount } from '../wallet/ledger.ts';
import { findGrantMadeUnder, insertGrant } from './repo.ts';

export interface GrantRequest {
  userId: string;
  /** Unique per grant, e.g. `event:{event_id}:user:{user_id}`; a second grant of it does nothing. */
  grantKey: string;
  source: RewardSource;
  sourceId?: string | null;
  title?: string | null;
  bundle: RewardBundle;
  now: Date;
  /** The trace of the request granting it, for the analytics events; a new trace when absent. */
  traceId?: string | undefined;
  /**
   * The X-Idempotency-Key of the request granting it, if any: kept on the grant row (a claim's
   * retry finds its grant by it) and on `reward.granted`.
   */
  idempotencyKey?: string | null | undefined;
  /**
   * The caller's own analytics events about this grant (a claim's, a purchase's), written after
   * `reward.granted` in the same statement as it: one round trip for all of them. They carry
   * the request's trace and key as the caller sets them.
   */
  record?: (grant: { grantId: string; rewardItems: RewardItem[] }) => OutboxEvent<EnvelopeEventType>[];
}

/** A claim's answer, and whether it is the answer of a claim made before under the same key. */
export interface ClaimOutcome<T> {
  response: T;
  replayed: boolean;
}

/** What a claim takes from its request besides the ids: the trace, and the X-Idempotency-Key. */
export interface ClaimRequest {
  traceId?: string | undefined;
  idempotencyKey?: string | null | undefined;
}

/**
 * The grant a claim already made under this request's own key paid, with the player's balances
 * now: what a retry answers with when the first answer was lost. Undefined for a claim not made
 * (`status` is not `claimed`), made under another key or none, or a request without a key.
 */
export async function grantOfOwnClaim(trx: Db, c: { userId: string; status: string; grantKey: string; idempotencyKey?: string | null | undefined }) {
  if (c.status !== 'claimed' || !c.idempotencyKey) return undefined;
  const grant = await findGrantMadeUnder(trx, c.grantKey, c.idempotencyKey);
  if (!grant) return undefined;
  return { grantId: grant.id, rewardItems: grant.reward_items as RewardItem[], balances: await getBalances(trx, c.userId) };
}

export interface GrantResult {
  grantId: string;
  rewardItems: RewardItem[];
  /** False when the key was granted before: nothing changed and the first grant is returned. */
  created: boolean;
  level: number;
  levelUp: boolean;
  /** The player's balances right after the grant (read in its last statement). */
  balances: Balances;
}

// Which system account pays for a grant, by source; the shop pays for bundles it sells.
const PAYER: Record<RewardSource, SystemAccount> = {
  signup: 'system:rewards',
  event: 'system:rewards',
  mission: 'system:rewards',
  game: 'system:rewards',
  item: 'system:rewards',
  shop: 'system:shop',
  operator: 'system:operator',
};

/** The reward items a bundle expands to, in a stable order. */
export function rewardItemsOf(bundle: RewardBundle): RewardItem[] {
  const items: RewardItem[] = [];
  for (const currency of ['soft', 'premium'] as const) {
    const amount = bundle.currencies?.[currency];
    if (amount) items.push({ type: 'currency', currency, amount });
  }
  if (bundle.exp) items.push({ type: 'exp', amount: bundle.exp });
  for (const item of bundle.items ?? []) items.push({ type: 'item', item_id: item.item_id, quantity: item.quantity });
  return items;
}

/**
 * Grants a bundle to a player inside the caller's transaction — the one path every grant takes —
 * in one statement (`insertGrant`): the grant row goes first (`ON CONFLICT DO NOTHING`), and the
 * rest of it is written only if that row was, so of any number of concurrent grants of one key
 * exactly one does the work; the others get the first grant back and change nothing.
 */
export async function grantReward(trx: Db, req: GrantRequest): Promise<GrantResult> {
  const rewardItems = rewardItemsOf(req.bundle);
  const grantId = randomUUID();
  const currencies = req.bundle.currencies ?? {};
  const granted: OutboxEvent<'reward.granted'> = {
    eventType: 'reward.granted',
    userId: req.userId,
    payload: {
      grant_id: grantId,
      grant_key: req.grantKey,
      source: req.source,
      source_id: req.sourceId ?? null,
      reward_items: rewardItems,
    },
    now: req.now,
    traceId: req.traceId,
    idempotencyKey: req.idempotencyKey,
  };
  const written = await insertGrant(trx, {
    grantId,
    grantKey: req.grantKey,
    idempotencyKey: req.idempotencyKey ?? null,
    userId: req.userId,
    source: req.source,
    sourceId: req.sourceId ?? null,
    title: req.title ?? null,
    bundle: req.bundle,
    rewardItems,
    now: req.now,
    ledger:
      currencies.soft || currencies.premium
        ? { id: randomUUID(), kind: 'grant', reference: req.grantKey, moves: movesBetween(req.userId, PAYER[req.source], currencies, 'to_player'), now: req.now }
        : null,
    // Merged per item and in item_id order, so two grants to one player lock rows in the same order.
    items: mergeItems(req.bundle.items ?? []),
    exp: req.bundle.exp ?? 0,
    outbox: outboxRowsOf([granted, ...(req.record?.({ grantId, rewardItems }) ?? [])]),
  });

  if (!written) {
    const first = await trx
      .selectFrom('reward_grants as g')
      .innerJoin('users as u', 'u.id', 'g.user_id')
      .select(['g.id', 'g.reward_items', 'u.level', balancesOf(req.userId).as('balances')])
      .where('g.grant_key', '=', req.grantKey)
      .executeTakeFirstOrThrow();
    const rewardItems = first.reward_items as RewardItem[];
    if (req.record) await appendOutboxEvents(trx, req.record({ grantId: first.id, rewardItems }));
    return { grantId: first.id, rewardItems, created: false, level: first.level, levelUp: false, balances: balancesFrom(first.balances) };
  }
  const { level, levelUp } = await settleLevel(trx, req.userId, written);
  return { grantId, rewardItems, created: true, level, levelUp, balances: balancesFrom(written.balances) };
}

function mergeItems(items: { item_id: string; quantity: number }[]) {
  const merged = new Map<string, number>();
  for (const i of items) merged.set(i.item_id, (merged.get(i.item_id) ?? 0) + i.quantity);
  return [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([item_id, quantity]) => ({ item_id, quantity }));
}

/**
 * Adds exp (possibly none) and bumps the player's state version, which every visible change
 * must do; levels and tier follow the curve. `outbox` events ride on the same statement, which
 * also reads the player's balances as they stand after every earlier move of the transaction.
 */
export async function addExp(
  trx: Db,
  userId: string,
  exp: number,
  outbox: OutboxEvent<EnvelopeEventType>[] = [],
): Promise<{ level: number; levelUp: boolean; balances: Balances }> {
  const row = await withOutboxEvents(trx, outbox)
    .updateTable('users')
    .set({ exp: sql`exp + ${exp}`, state_version: sql`state_version + 1` })
    .where('id', '=', userId)
    .returning(['exp', 'level', balancesOf(userId).as('balances')])
    .executeTakeFirstOrThrow();
  const { level, levelUp } = await settleLevel(trx, userId, row);
  return { level, levelUp, balances: balancesFrom(row.balances) };
}

/** Moves the level (and tier) to where the exp just written puts it; a statement only on a change. */
async function settleLevel(trx: Db, userId: string, row: { exp: number; level: number }): Promise<{ level: number; levelUp: boolean }> {
  const level = levelForExp(row.exp);
  if (level === row.level) return { level, levelUp: false };
  await trx.updateTable('users').set({ level, tier: tierForLevel(level) }).where('id', '=', userId).execute();
  return { level, levelUp: level > row.level };
}
