-- content_version was bumped once per statement on events, missions, items and skus, even by a
-- statement that changed no row. An operator's create of a taken key or id is an
-- INSERT ... ON CONFLICT DO NOTHING that the API answers 422: it changed nothing, yet it moved
-- every player's dashboard tag (found by fuzzing the routes: a 4xx must change no state). Fired
-- per changed row instead, a statement that changes nothing bumps nothing; operator writes are
-- rare and one row at a time, so the extra bumps of a many-row statement cost nothing.
DROP TRIGGER events_bump_content_version ON events;
CREATE TRIGGER events_bump_content_version
  AFTER INSERT OR UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION bump_content_version();

DROP TRIGGER missions_bump_content_version ON missions;
CREATE TRIGGER missions_bump_content_version
  AFTER INSERT OR UPDATE OR DELETE ON missions
  FOR EACH ROW EXECUTE FUNCTION bump_content_version();

DROP TRIGGER items_bump_content_version ON items;
CREATE TRIGGER items_bump_content_version
  AFTER INSERT OR UPDATE OR DELETE ON items
  FOR EACH ROW EXECUTE FUNCTION bump_content_version();

-- Not stock_remaining: other players' purchases move it (see 20261128_0010).
DROP TRIGGER skus_bump_content_version ON skus;
CREATE TRIGGER skus_bump_content_version
  AFTER INSERT OR DELETE OR UPDATE OF sku_id, name, description, price, currency_type, bundle, segment, stock,
    per_user_limit, available_from, available_until, active ON skus
  FOR EACH ROW EXECUTE FUNCTION bump_content_version();
