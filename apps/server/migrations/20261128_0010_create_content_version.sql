-- One global version of the operator's content (events, missions, items, SKUs), part of every
-- player's dashboard ETag beside their own users.state_version: an operator's change shows on
-- every player's next revalidation, on every node, with no cache to purge.
-- Statement-level triggers bump it, so no write path can forget to; a statement that changes no
-- row still bumps it (a spurious revalidation, never a stale one). The shop's trigger fires only on
-- the columns an operator edits: a purchase writes skus.stock_remaining alone, and one player's
-- purchase must not invalidate every other player's dashboard (their stock figure may lag until
-- their own next change or the next minute, see modules/dashboard/etag.ts).
CREATE TABLE content_version (
  id       integer PRIMARY KEY CHECK (id = 1),
  version  bigint NOT NULL CHECK (version >= 1)
);
INSERT INTO content_version (id, version) VALUES (1, 1);

CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE content_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END $$;

CREATE TRIGGER events_bump_content_version
  AFTER INSERT OR UPDATE OR DELETE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
CREATE TRIGGER missions_bump_content_version
  AFTER INSERT OR UPDATE OR DELETE ON missions
  FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
CREATE TRIGGER items_bump_content_version
  AFTER INSERT OR UPDATE OR DELETE ON items
  FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
CREATE TRIGGER skus_bump_content_version
  AFTER INSERT OR DELETE OR UPDATE OF sku_id, name, description, price, currency_type, bundle, segment, stock,
    per_user_limit, available_from, available_until, active ON skus
  FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
