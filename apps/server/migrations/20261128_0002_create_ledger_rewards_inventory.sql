-- Double-entry wallet. An account is (owner, currency); owner is 'user:<uuid>' or 'system:<name>'.
-- Player accounts cache their balance, guarded by a CHECK so it can never go negative.
-- System accounts keep no cached balance (their balance is the sum of their entries), so the
-- hot system:rewards account is never a row every grant must lock.
CREATE TABLE accounts (
  owner       text NOT NULL CHECK (owner ~ '^(user:[0-9a-f-]{36}|system:[a-z_]+)$'),
  currency    text NOT NULL CHECK (currency IN ('soft', 'premium')),
  kind        text NOT NULL CHECK (kind IN ('player', 'system')),
  balance     bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, currency),
  CONSTRAINT accounts_kind_matches_owner CHECK ((kind = 'player') = (owner LIKE 'user:%')),
  CONSTRAINT accounts_player_has_balance CHECK ((kind = 'player') = (balance IS NOT NULL)),
  CONSTRAINT accounts_player_balance_nonnegative CHECK (balance >= 0)
);

INSERT INTO accounts (owner, currency, kind) VALUES
  ('system:rewards', 'soft', 'system'), ('system:rewards', 'premium', 'system'),
  ('system:shop', 'soft', 'system'), ('system:shop', 'premium', 'system'),
  ('system:operator', 'soft', 'system'), ('system:operator', 'premium', 'system');

-- One balanced movement of money; reference ties it to what caused it (a grant key, a purchase).
CREATE TABLE ledger_transactions (
  id          uuid PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('grant', 'purchase')),
  reference   text NOT NULL,
  created_at  timestamptz NOT NULL,
  CONSTRAINT ledger_transactions_reference_key UNIQUE (kind, reference)
);

-- Append-only entries; per transaction and currency they sum to zero (checked at commit).
CREATE TABLE ledger_entries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id  uuid NOT NULL REFERENCES ledger_transactions (id),
  owner           text NOT NULL,
  currency        text NOT NULL,
  amount          bigint NOT NULL CHECK (amount <> 0),
  created_at      timestamptz NOT NULL,
  FOREIGN KEY (owner, currency) REFERENCES accounts (owner, currency)
);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (owner, currency);

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only' USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

CREATE FUNCTION ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM ledger_entries WHERE transaction_id = NEW.transaction_id
    GROUP BY currency HAVING sum(amount) <> 0
  ) OR (SELECT count(*) FROM ledger_entries WHERE transaction_id = NEW.transaction_id) < 2 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance', NEW.transaction_id USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
-- Deferred to commit, so the entries of one transaction may be written in any order.
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();

-- Every grant of a bundle, whatever its source; grant_key makes a second grant impossible.
CREATE TABLE reward_grants (
  id                     uuid PRIMARY KEY,
  grant_key              text NOT NULL,
  user_id                uuid NOT NULL REFERENCES users (id),
  source                 text NOT NULL
                         CHECK (source IN ('signup', 'event', 'mission', 'game', 'shop', 'item', 'operator')),
  source_id              text,
  title                  text,
  bundle                 jsonb NOT NULL,
  reward_items           jsonb NOT NULL,
  ledger_transaction_id  uuid REFERENCES ledger_transactions (id),
  granted_at             timestamptz NOT NULL,
  CONSTRAINT reward_grants_grant_key_key UNIQUE (grant_key)
);
CREATE INDEX reward_grants_user_idx ON reward_grants (user_id, granted_at DESC, id);

-- Item definitions; an item granted before it is defined counts as cosmetic.
CREATE TABLE items (
  item_id     text PRIMARY KEY CHECK (item_id ~ '^[a-z0-9_]{1,64}$'),
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('cosmetic', 'consumable')),
  opens       jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT items_consumable_opens CHECK ((kind = 'consumable') = (opens IS NOT NULL))
);

CREATE TABLE inventory (
  user_id     uuid NOT NULL REFERENCES users (id),
  item_id     text NOT NULL,
  quantity    bigint NOT NULL CONSTRAINT inventory_quantity_nonnegative CHECK (quantity >= 0),
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (user_id, item_id)
);
