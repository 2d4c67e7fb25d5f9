-- Live updates (GET /api/stream): each change of a player's own state is announced on the channel
-- `playloop_user`. NOTIFY is delivered when the transaction commits and never for a rollback, to
-- every API node that LISTENs (PostgreSQL) or to the process itself (PGlite); each node forwards it
-- to that player's open streams. Payloads are small JSON objects: k = kind, u = user id.
CREATE FUNCTION notify_user_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('playloop_user', json_build_object('k', 'state', 'u', NEW.id, 'v', NEW.state_version)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER users_notify_state
  AFTER UPDATE OF state_version ON users
  FOR EACH ROW WHEN (NEW.state_version IS DISTINCT FROM OLD.state_version)
  EXECUTE FUNCTION notify_user_state();

CREATE FUNCTION notify_reward_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('playloop_user', json_build_object('k', 'reward', 'u', NEW.user_id, 'id', NEW.id, 'source', NEW.source)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER reward_grants_notify
  AFTER INSERT ON reward_grants
  FOR EACH ROW EXECUTE FUNCTION notify_reward_granted();

CREATE FUNCTION notify_purchase_succeeded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('playloop_user', json_build_object('k', 'purchase', 'u', NEW.user_id, 'id', NEW.id, 'sku_id', NEW.sku_id)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER purchases_notify
  AFTER INSERT ON purchases
  FOR EACH ROW WHEN (NEW.status = 'succeeded')
  EXECUTE FUNCTION notify_purchase_succeeded();

-- TG_ARGV[0] names the kind of progress ('event' or 'mission') and TG_ARGV[1] its id column.
CREATE FUNCTION notify_progress_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('playloop_user', json_build_object(
    'k', 'progress', 'u', NEW.user_id, 'kind', TG_ARGV[0],
    'id', to_jsonb(NEW)->>TG_ARGV[1],
    'progress', NEW.progress, 'target', NEW.target, 'progress_version', NEW.progress_version, 'status', NEW.status)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER event_participations_notify
  AFTER INSERT OR UPDATE OF progress_version ON event_participations
  FOR EACH ROW EXECUTE FUNCTION notify_progress_changed('event', 'event_id');

CREATE TRIGGER mission_progress_notify
  AFTER INSERT OR UPDATE OF progress_version ON mission_progress
  FOR EACH ROW EXECUTE FUNCTION notify_progress_changed('mission', 'mission_id');
