-- What the shop sells. Stock and the per-player limit are optional; a SKU with no stock
-- (stock IS NULL) is unlimited and its row is never written by a purchase, so a popular
-- unlimited SKU is never a row every buyer must lock.
CREATE TABLE skus (
  sku_id           text PRIMARY KEY CHECK (sku_id ~ '^[a-z0-9_]{1,64}$'),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description      text NOT NULL DEFAULT '',
  price            bigint NOT NULL CHECK (price > 0),
  currency_type    text NOT NULL CHECK (currency_type IN ('soft', 'premium')),
  bundle           jsonb NOT NULL CHECK (jsonb_typeof(bundle) = 'object'),
  segment          text NOT NULL CHECK (segment IN ('regular', 'limited')),
  stock            bigint CHECK (stock > 0),
  stock_remaining  bigint CONSTRAINT skus_stock_remaining_nonnegative CHECK (stock_remaining >= 0),
  per_user_limit   bigint CHECK (per_user_limit > 0),
  available_from   timestamptz,
  available_until  timestamptz,
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL,
  CONSTRAINT skus_stock_consistent
    CHECK ((stock IS NULL) = (stock_remaining IS NULL) AND stock_remaining <= stock),
  CONSTRAINT skus_window_ordered
    CHECK (available_from IS NULL OR available_until IS NULL OR available_from < available_until)
);

-- Units of a SKU each player has bought; the per-user limit is enforced by the guarded upsert
-- on this row, so concurrent purchases by one player cannot both pass the limit.
CREATE TABLE sku_purchase_counts (
  user_id    uuid NOT NULL REFERENCES users (id),
  sku_id     text NOT NULL REFERENCES skus (sku_id),
  purchased  bigint NOT NULL CHECK (purchased > 0),
  PRIMARY KEY (user_id, sku_id)
);

-- Every purchase attempt that reached a SKU: succeeded ones with their debit, failed ones
-- (written after the rollback) with the code the player was given.
CREATE TABLE purchases (
  id                     uuid PRIMARY KEY,
  user_id                uuid NOT NULL REFERENCES users (id),
  sku_id                 text NOT NULL REFERENCES skus (sku_id),
  quantity               integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
  price                  bigint NOT NULL CHECK (price > 0),
  total_price            bigint NOT NULL,
  currency_type          text NOT NULL CHECK (currency_type IN ('soft', 'premium')),
  status                 text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  failure_code           text CHECK (failure_code ~ '^[A-Z_]{1,64}$'),
  ledger_transaction_id  uuid REFERENCES ledger_transactions (id),
  created_at             timestamptz NOT NULL,
  CONSTRAINT purchases_total_is_price_times_quantity CHECK (total_price = price * quantity),
  CONSTRAINT purchases_status_shape CHECK (
    (status = 'succeeded' AND ledger_transaction_id IS NOT NULL AND failure_code IS NULL)
    OR (status = 'failed' AND ledger_transaction_id IS NULL AND failure_code IS NOT NULL)
  ),
  CONSTRAINT purchases_ledger_transaction_key UNIQUE (ledger_transaction_id)
);
CREATE INDEX purchases_user_idx ON purchases (user_id, created_at DESC);
CREATE INDEX purchases_sku_succeeded_idx ON purchases (sku_id) WHERE status = 'succeeded';
