-- A purchase made under an idempotency key records it, and one key buys once per player whatever
-- happens to the key's own row: a request still running when another with its key takes it over
-- as stale (60 s), or an answer lost after COMMIT (a 5xx releases the key) used to buy again. The
-- later attempt's insert waits for the first, fails on this index, and is answered with the first.
ALTER TABLE purchases ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX purchases_user_idempotency_key ON purchases (user_id, idempotency_key) WHERE status = 'succeeded';
