-- A ledger transaction is checked once, at the end of the statement that wrote it.
--
-- The balance check was a deferred constraint trigger FOR EACH ROW: at commit, every entry ran two
-- queries over its whole transaction, so a purchase (two entries) ran four identical checks and a
-- grant of both currencies eight. Every ledger transaction is written whole by one statement (the
-- transaction row and all its entries are CTEs of one statement, see ledgerWrites), so one check
-- per statement, over every transaction the statement touched, decides the same thing in one
-- query. It is stricter as well: a transaction is never unbalanced after its statement, not even
-- for the statements that follow it in the same database transaction.
--
-- `count(*) < 2` is gone: entries are never zero (CHECK amount <> 0), so a lone entry never sums to
-- zero and is refused by the sum alone.
DROP TRIGGER ledger_transaction_balanced ON ledger_entries;

CREATE OR REPLACE FUNCTION ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced uuid;
BEGIN
  -- Per transaction the statement wrote, a correlated subquery (an aggregate is never pulled up
  -- into a join): it reads that transaction's entries by index. Joined to ledger_entries instead,
  -- the planner knows nothing of `added` and scans the whole ledger.
  SELECT a.transaction_id INTO unbalanced
  FROM (SELECT DISTINCT transaction_id FROM added) a
  WHERE EXISTS (
    SELECT 1 FROM ledger_entries e
    WHERE e.transaction_id = a.transaction_id
    GROUP BY e.currency
    HAVING sum(e.amount) <> 0
  )
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance', unbalanced USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_transaction_balanced();
