import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
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

export interface LedgerTransaction {
  id: string;
  kind: 'grant' | 'purchase';
  reference: string;
  moves: Move[];
  now: Date;
}

/**
 * One balanced ledger transaction as the CTEs of a statement: `moves`, `tx`, `entries` and
 * `moved` (the player's accounts, updated, as they stand after it). With `when`, a condition on
 * another CTE of the statement (the grant row was inserted), nothing is written unless it holds.
 * `balances` is a scalar expression over them: the player's balances after the moves (a plain read
 * of accounts in the same statement sees them before, so a currency moved is taken from `moved`).
 *
 * Moving both of the player's currencies, `moved` first locks the two accounts in currency order,
 * as `lockPlayerAccounts` does (an uncorrelated subquery in its WHERE, evaluated once before its
 * first row is touched): the UPDATE alone would lock them in whatever order its plan reads them,
 * and an operator's grant of both currencies then deadlocked with a claim of the same player.
 */
export function ledgerWrites(tx: LedgerTransaction, when?: RawBuilder<boolean>) {
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
  const values = sql.join(moves.map((m) => sql`(${m.owner}::text, ${m.currency}::text, ${m.amount}::bigint)`));
  const where = when ? sql` WHERE ${when}` : sql``;
  const and = when ? sql` AND ${when}` : sql``;
  const inOrder =
    moves.filter((m) => m.owner === player).length > 1
      ? sql` AND (SELECT count(*) FROM (SELECT 1 FROM accounts WHERE owner = ${player}${and} ORDER BY currency FOR UPDATE) l) >= 0`
      : sql``;
  return {
    ctes: sql`moves (owner, currency, amount) AS (VALUES ${values}),
    tx AS (
      INSERT INTO ledger_transactions (id, kind, reference, created_at)
      SELECT ${tx.id}::uuid, ${tx.kind}::text, ${tx.reference}::text, ${tx.now}::timestamptz${where}
    ),
    entries AS (
      INSERT INTO ledger_entries (transaction_id, owner, currency, amount, created_at)
      SELECT ${tx.id}::uuid, owner, currency, amount, ${tx.now}::timestamptz FROM moves${where}
    ),
    moved AS (
      UPDATE accounts a SET balance = a.balance + m.amount
      FROM moves m
      WHERE a.owner = m.owner AND a.currency = m.currency AND a.kind = 'player'${and}${inOrder}
      RETURNING a.owner, a.currency, a.balance
    )`,
    balances: sql<Record<string, number> | null>`(
      SELECT jsonb_object_agg(b.currency, b.balance) FROM (
        SELECT currency, balance FROM moved WHERE owner = ${player}
        UNION ALL
        SELECT currency, balance FROM accounts
        WHERE owner = ${player} AND currency NOT IN (SELECT currency FROM moved WHERE owner = ${player})
      ) b
    )`,
  };
}

/**
 * Records one balanced ledger transaction and updates the cached player balances, in one
 * statement, which also answers the player's balances after it (the one player among the moves).
 * A player balance that would go negative violates `accounts_player_balance_nonnegative` and
 * aborts the caller's transaction. Data-modifying CTEs all run, in one snapshot; foreign keys are
 * checked at statement end.
 */
export async function postTransaction(trx: Db, tx: Omit<LedgerTransaction, 'id'>): Promise<{ id: string; balances: Balances }> {
  const id = randomUUID();
  const ledger = ledgerWrites({ ...tx, id });
  const { rows } = await sql<{ balances: Record<string, number> | null }>`WITH ${ledger.ctes} SELECT ${ledger.balances} AS balances`.execute(trx);
  return { id, balances: balancesFrom(rows[0]?.balances ?? null) };
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
 * `lockPlayerAccounts` as a scalar subquery, for the select list of a statement the caller makes
 * anyway (reading what is claimed): it locks the player's accounts, in currency order, when the
 * statement returns a row, and saves the round trip of a statement of its own.
 */
export function playerAccountsLocked(userId: string) {
  return sql<number>`(SELECT count(*) FROM (SELECT 1 FROM accounts WHERE owner = ${playerAccount(userId)} ORDER BY currency FOR UPDATE) l)`;
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
