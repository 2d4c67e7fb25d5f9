import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Balances, Currency } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';

export type SystemAccount = 'system:rewards' | 'system:shop' | 'system:operator';
export const playerAccount = (userId: string) => `user:${userId}`;

export interface Move {
  owner: string;
  currency: Currency;
  amount: number;
}

/** Opens a player's soft and premium accounts at zero (part of signup). */
export async function openPlayerAccounts(trx: Db, userId: string): Promise<void> {
  const owner = playerAccount(userId);
  await trx
    .insertInto('accounts')
    .values([
      { owner, currency: 'soft', kind: 'player', balance: 0 },
      { owner, currency: 'premium', kind: 'player', balance: 0 },
    ])
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Moves between a player and a system account, both directions of one amount per currency. */
export function movesBetween(userId: string, system: SystemAccount, amounts: Partial<Record<Currency, number>>, direction: 'to_player' | 'from_player'): Move[] {
  const moves: Move[] = [];
  for (const currency of ['soft', 'premium'] as const) {
    const amount = amounts[currency];
    if (!amount) continue;
    const toPlayer = direction === 'to_player' ? amount : -amount;
    moves.push({ owner: playerAccount(userId), currency, amount: toPlayer });
    moves.push({ owner: system, currency, amount: -toPlayer });
  }
  return moves;
}

/**
 * Records one balanced ledger transaction and updates the cached player balances, in one
 * statement, which also answers the player's balances after it (the one player among the moves)
 * and can link the grant row the transaction pays for. A player balance that would go negative
 * violates `accounts_player_balance_nonnegative` and aborts the caller's transaction.
 */
export async function postTransaction(
  trx: Db,
  tx: { kind: 'grant' | 'purchase'; reference: string; moves: Move[]; now: Date; grantId?: string },
): Promise<{ id: string; balances: Balances }> {
  const sums = new Map<string, Move>();
  for (const m of tx.moves) {
    const key = `${m.owner}|${m.currency}`;
    const prev = sums.get(key);
    sums.set(key, { ...m, amount: (prev?.amount ?? 0) + m.amount });
  }
  const moves = [...sums.values()].filter((m) => m.amount !== 0);
  const players = new Set(moves.filter((m) => m.owner.startsWith('user:')).map((m) => m.owner));
  if (players.size !== 1) throw new Error('a ledger transaction moves the money of exactly one player');
  const [player] = players;
  const id = randomUUID();
  const values = sql.join(
    moves.map((m) => sql`(${m.owner}::text, ${m.currency}::text, ${m.amount}::bigint)`),
  );
  const link = tx.grantId
    ? sql`, link AS (UPDATE reward_grants SET ledger_transaction_id = ${id} WHERE id = ${tx.grantId})`
    : sql``;
  // Data-modifying CTEs all run, in one snapshot; foreign keys are checked at statement end. The
  // plain read of accounts sees the balances before this statement, so a currency this statement
  // moved is taken from the UPDATE's RETURNING instead.
  const { rows } = await sql<{ currency: Currency; balance: number }>`
    WITH moves (owner, currency, amount) AS (VALUES ${values}),
    tx AS (
      INSERT INTO ledger_transactions (id, kind, reference, created_at)
      VALUES (${id}, ${tx.kind}, ${tx.reference}, ${tx.now})
    ),
    entries AS (
      INSERT INTO ledger_entries (transaction_id, owner, currency, amount, created_at)
      SELECT ${id}, owner, currency, amount, ${tx.now}::timestamptz FROM moves
    )${link},
    moved AS (
      UPDATE accounts a SET balance = a.balance + m.amount
      FROM moves m
      WHERE a.owner = m.owner AND a.currency = m.currency AND a.kind = 'player'
      RETURNING a.owner, a.currency, a.balance
    )
    SELECT currency, balance FROM moved WHERE owner = ${player}
    UNION ALL
    SELECT currency, balance FROM accounts
    WHERE owner = ${player} AND currency NOT IN (SELECT currency FROM moved WHERE owner = ${player})
  `.execute(trx);
  const balances: Balances = { soft: 0, premium: 0 };
  for (const r of rows) balances[r.currency] = r.balance ?? 0;
  return { id, balances };
}

/**
 * Locks both of a player's accounts, in currency order, before any other row of theirs.
 * Every flow that moves a player's money or progress (purchases, claims, paying game ends) takes
 * this first, so all of them lock accounts → progress rows → users in one order and never deadlock.
 */
export async function lockPlayerAccounts(trx: Db, userId: string): Promise<void> {
  await trx
    .selectFrom('accounts')
    .select('currency')
    .where('owner', '=', playerAccount(userId))
    .orderBy('currency')
    .forUpdate()
    .execute();
}

/**
 * A player's balances as a scalar subquery, for a statement the caller makes anyway (its RETURNING
 * or SELECT list): in the same transaction it sees every move made before that statement.
 * Read the value with `balancesFrom`.
 */
export function balancesOf(userId: string) {
  return sql<Record<string, number> | null>`(SELECT jsonb_object_agg(a.currency, a.balance) FROM accounts a WHERE a.owner = ${playerAccount(userId)})`;
}

export function balancesFrom(value: Record<string, number> | null): Balances {
  return { soft: Number(value?.soft ?? 0), premium: Number(value?.premium ?? 0) };
}

/** A player's current balances. */
export async function getBalances(db: Db, userId: string): Promise<Balances> {
  const rows = await db
    .selectFrom('accounts')
    .select(['currency', 'balance'])
    .where('owner', '=', playerAccount(userId))
    .execute();
  const balances: Balances = { soft: 0, premium: 0 };
  for (const r of rows) balances[r.currency] = r.balance ?? 0;
  return balances;
}
