import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';

export interface LedgerViolation {
  rule: string;
  detail: string;
}

/**
 * Checks the wallet invariants over a whole database and lists what breaks:
 * cached balance = sum of entries, every transaction and every currency sums to zero,
 * no negative player balance, every currency grant and every purchase has its transaction.
 */
export async function verifyLedger(db: Db): Promise<LedgerViolation[]> {
  const violations: LedgerViolation[] = [];
  const add = (rule: string, rows: Record<string, unknown>[]) => {
    for (const row of rows) violations.push({ rule, detail: JSON.stringify(row) });
  };

  const mismatched = await sql<Record<string, unknown>>`
    SELECT a.owner, a.currency, a.balance, coalesce(sum(e.amount), 0)::bigint AS entries
    FROM accounts a LEFT JOIN ledger_entries e ON e.owner = a.owner AND e.currency = a.currency
    WHERE a.kind = 'player'
    GROUP BY a.owner, a.currency, a.balance
    HAVING a.balance <> coalesce(sum(e.amount), 0)`.execute(db);
  add('player balance equals the sum of its entries', mismatched.rows);

  const negative = await sql<Record<string, unknown>>`
    SELECT owner, currency, balance FROM accounts WHERE kind = 'player' AND balance < 0`.execute(db);
  add('player balances are never negative', negative.rows);

  const unbalancedTx = await sql<Record<string, unknown>>`
    SELECT transaction_id, currency, sum(amount)::bigint AS total
    FROM ledger_entries GROUP BY transaction_id, currency HAVING sum(amount) <> 0`.execute(db);
  add('every transaction sums to zero per currency', unbalancedTx.rows);

  const unbalancedCurrency = await sql<Record<string, unknown>>`
    SELECT currency, sum(amount)::bigint AS total FROM ledger_entries
    GROUP BY currency HAVING sum(amount) <> 0`.execute(db);
  add('every currency sums to zero over all accounts', unbalancedCurrency.rows);

  const grantsWithoutTx = await sql<Record<string, unknown>>`
    SELECT g.id, g.grant_key FROM reward_grants g
    WHERE (g.bundle -> 'currencies') IS NOT NULL
      AND jsonb_typeof(g.bundle -> 'currencies') = 'object'
      AND (coalesce((g.bundle #>> '{currencies,soft}')::bigint, 0) > 0
           OR coalesce((g.bundle #>> '{currencies,premium}')::bigint, 0) > 0)
      AND NOT EXISTS (
        SELECT 1 FROM ledger_entries e
        WHERE e.transaction_id = g.ledger_transaction_id AND e.owner = 'user:' || g.user_id::text
      )`.execute(db);
  add('every currency grant has its ledger transaction', grantsWithoutTx.rows);

  const hasPurchases = await sql<{ exists: boolean }>`
    SELECT to_regclass('purchases') IS NOT NULL AS exists`.execute(db);
  if (hasPurchases.rows[0]?.exists) {
    const purchasesWithoutTx = await sql<Record<string, unknown>>`
      SELECT p.id FROM purchases p
      WHERE p.status = 'succeeded' AND NOT EXISTS (
        SELECT 1 FROM ledger_entries e
        WHERE e.transaction_id = p.ledger_transaction_id AND e.owner = 'user:' || p.user_id::text
          AND e.amount = -p.total_price
      )`.execute(db);
    add('every purchase has its debit', purchasesWithoutTx.rows);
    const txWithoutPurchase = await sql<Record<string, unknown>>`
      SELECT t.id, t.reference FROM ledger_transactions t
      WHERE t.kind = 'purchase' AND NOT EXISTS (
        SELECT 1 FROM purchases p WHERE p.ledger_transaction_id = t.id AND p.status = 'succeeded'
      )`.execute(db);
    add('every purchase debit has its purchase', txWithoutPurchase.rows);
  }
  return violations;
}
