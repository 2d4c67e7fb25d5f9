-- Every use of a consumable: what was spent, what the server rolled and what was granted.
-- `opens` is a snapshot of the definition at that moment, so an outcome can be re-derived from
-- (opens, roll) even after the operator changes the item: the chosen entry is the one the roll's
-- ticket floor(roll * total weight) falls in. A fixed bundle has no roll.
CREATE TABLE item_opens (
  id               uuid PRIMARY KEY,
  user_id          uuid NOT NULL REFERENCES users (id),
  item_id          text NOT NULL REFERENCES items (item_id),
  -- The client's X-Idempotency-Key, if it sent one: a retry opens nothing more.
  idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  opens            jsonb NOT NULL,
  roll             double precision CHECK (roll >= 0 AND roll < 1),
  chosen_index     integer CHECK (chosen_index >= 0 AND chosen_index < jsonb_array_length(opens -> 'table')),
  grant_id         uuid REFERENCES reward_grants (id),
  quantity_left    bigint CHECK (quantity_left >= 0),
  opened_at        timestamptz NOT NULL,
  CONSTRAINT item_opens_rolled_iff_table CHECK (
    (opens ? 'table') = (roll IS NOT NULL) AND (roll IS NULL) = (chosen_index IS NULL)
  ),
  CONSTRAINT item_opens_user_idempotency_key_key UNIQUE (user_id, idempotency_key),
  CONSTRAINT item_opens_grant_id_key UNIQUE (grant_id)
);
CREATE INDEX item_opens_user_idx ON item_opens (user_id, opened_at DESC);

-- The row is inserted first (it claims the idempotency key) and completed once the grant exists;
-- at commit every open must name its grant and what was left.
CREATE FUNCTION item_open_completed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM item_opens WHERE id = NEW.id AND (grant_id IS NULL OR quantity_left IS NULL)
  ) THEN
    RAISE EXCEPTION 'item open % has no grant', NEW.id USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER item_open_completed AFTER INSERT ON item_opens
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION item_open_completed();
