import { sql } from 'kysely';
import type { RewardBundle, RewardItem, RewardSource } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { outboxInsert, type OutboxRowInput } from '../outbox/repo.ts';
import { balancesOf, ledgerWrites, type LedgerTransaction } from '../wallet/ledger.ts';

/** A page of the user's grants in the history's order: newest first, ties by id. */
const grantsPage = (db: Db, userId: string, limit: number) =>
  db
    .selectFrom('reward_grants as r')
    .select(['r.id', 'r.source', 'r.source_id', 'r.reward_items', 'r.granted_at'])
    .where('r.user_id', '=', userId)
    .orderBy('r.granted_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(limit);

const toHistoryItem = (r: { id: string; source: string; source_id: string | null; reward_items: unknown; granted_at: Date }) => ({
  grant_id: r.id,
  source: r.source as RewardSource,
  source_id: r.source_id,
  reward_items: r.reward_items as RewardItem[],
  granted_at: r.granted_at.toISOString(),
});

/**
 * The user's grants, newest first (ties by id); with `before`, only those after that grant of
 * theirs in this order. Undefined when `before` names no grant of the user.
 */
export async function listGrants(db: Db, userId: string, limit: number, before?: string) {
  if (!before) return (await grantsPage(db, userId, limit).execute()).map(toHistoryItem);
  // One read: the page hangs off the cursor's row, so a cursor that is no grant of theirs gives no
  // row at all, and one with nothing after it a single row of nulls (the outer join's: an empty page).
  const rows = await db
    .selectFrom('reward_grants as c')
    .leftJoinLateral(
      // After the cursor in the list's own order (granted_at, then id, both descending), compared
      // with its row as stored: a timestamp read into JS would lose its microseconds.
      () => grantsPage(db, userId, limit).where(sql<boolean>`(r.granted_at, r.id) < (c.granted_at, c.id)`).as('page'),
      (join) => join.onTrue(),
    )
    .select(['page.id', 'page.source', 'page.source_id', 'page.reward_items', 'page.granted_at'])
    .where('c.id', '=', before)
    .where('c.user_id', '=', userId)
    .orderBy('page.granted_at', 'desc')
    .orderBy('page.id', 'desc')
    .execute();
  if (rows.length === 0) return undefined;
  return rows.flatMap(({ id, source, granted_at, ...r }) =>
    id === null || source === null || granted_at === null ? [] : [toHistoryItem({ ...r, id, source, granted_at })],
  );
}

export async function userExists(db: Db, userId: string): Promise<boolean> {
  return Boolean(await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst());
}

export interface GrantWrite {
  grantId: string;
  grantKey: string;
  idempotencyKey: string | null;
  userId: string;
  source: RewardSource;
  sourceId: string | null;
  title: string | null;
  bundle: RewardBundle;
  rewardItems: RewardItem[];
  now: Date;
  /** The currencies it pays, as a ledger transaction (from a system account to the player). */
  ledger: LedgerTransaction | null;
  /** Items to add, merged per item and in item_id order. */
  items: { item_id: string; quantity: number }[];
  exp: number;
  outbox: OutboxRowInput[];
}

// A condition that holds once `cte` has run to its end: as an uncorrelated subquery it is an
// InitPlan, evaluated before the first row of the statement that holds it is touched. The writes
// of one grant then take their locks in the order every flow uses (accounts, inventory in item
// order, users), whatever order PostgreSQL would run the WITH clauses in.
const after = (cte: string) => sql<boolean>`(SELECT count(*) FROM ${sql.table(cte)}) >= 0`;

/**
 * A whole grant in one statement: the grant row (`ON CONFLICT (grant_key) DO NOTHING` decides),
 * and only if it was inserted, the ledger transaction with the player's balances, the inventory,
 * the users row (exp, state version) and the outbox rows. Answers the player's exp and level as
 * written and balances after it, or undefined when the key was granted before (nothing written).
 */
export async function insertGrant(trx: Db, w: GrantWrite) {
  const granted = sql<boolean>`EXISTS (SELECT 1 FROM g)`;
  const ledger = w.ledger ? ledgerWrites(w.ledger, granted) : null;
  const ctes = [
    sql`g AS (
      INSERT INTO reward_grants (id, grant_key, idempotency_key, user_id, source, source_id, title, bundle, reward_items, ledger_transaction_id, granted_at)
      VALUES (${w.grantId}, ${w.grantKey}, ${w.idempotencyKey}, ${w.userId}, ${w.source}, ${w.sourceId}, ${w.title}, ${JSON.stringify(w.bundle)}::jsonb,
        ${JSON.stringify(w.rewardItems)}::jsonb, ${w.ledger?.id ?? null}::uuid, ${w.now})
      ON CONFLICT (grant_key) DO NOTHING
      RETURNING id
    )`,
  ];
  const done = [granted];
  if (ledger) {
    ctes.push(ledger.ctes);
    done.push(after('moved'));
  }
  if (w.items.length) {
    const items = sql.join(w.items.map((i) => sql`(${i.item_id}::text, ${i.quantity}::bigint)`));
    ctes.push(sql`inv AS (
      INSERT INTO inventory (user_id, item_id, quantity, updated_at)
      SELECT ${w.userId}::uuid, i.item_id, i.quantity, ${w.now}::timestamptz FROM (VALUES ${items}) i (item_id, quantity)
      WHERE ${sql.join(done, sql` AND `)}
      ORDER BY i.item_id
      ON CONFLICT (user_id, item_id) DO UPDATE SET quantity = inventory.quantity + excluded.quantity, updated_at = excluded.updated_at
      RETURNING 1
    )`);
    done.push(after('inv'));
  }
  if (w.outbox.length) ctes.push(sql`ob AS (${outboxInsert(w.outbox, granted)})`);
  ctes.push(sql`u AS (
    UPDATE users SET exp = exp + ${w.exp}::bigint, state_version = state_version + 1
    WHERE id = ${w.userId} AND ${sql.join(done, sql` AND `)}
    RETURNING exp, level
  )`);
  const balances = ledger?.balances ?? balancesOf(w.userId);
  const { rows } = await sql<{ exp: number; level: number; balances: Record<string, number> | null }>`
    WITH ${sql.join(ctes)}
    SELECT u.exp, u.level, ${balances} AS balances FROM u
  `.execute(trx);
  return rows[0];
}

/**
 * The grant of `grantKey` if it was made under the idempotency key `key`: what a claim retried
 * under its own key answers with. Undefined for a grant made under another key or none.
 */
export function findGrantMadeUnder(db: Db, grantKey: string, key: string) {
  return db
    .selectFrom('reward_grants')
    .select(['id', 'reward_items'])
    .where('grant_key', '=', grantKey)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/**
 * The player's newest grant from one source (a mission) made under the idempotency key `key`,
 * whatever its grant key (the mission's period is in it): what a claim retried under its key after
 * the period rolled over answers with. Read on a claim's refusal path only; the user's grants are
 * scanned through their history index.
 */
export function findLatestGrantOfSourceMadeUnder(db: Db, p: { userId: string; source: RewardSource; sourceId: string; key: string }) {
  return db
    .selectFrom('reward_grants')
    .select(['id', 'grant_key', 'reward_items'])
    .where('user_id', '=', p.userId)
    .where('source', '=', p.source)
    .where('source_id', '=', p.sourceId)
    .where('idempotency_key', '=', p.key)
    .orderBy('granted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
