-- A session revoked (logout, a refresh token reused, the player suspended) is announced like any
-- other change of the player, so every node ends the live-update streams opened with it at once
-- instead of when their access token expires.
CREATE FUNCTION notify_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM playloop_announce('playloop_user', json_build_object('k', 'revoked', 'u', NEW.user_id, 's', NEW.id)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER auth_sessions_announce_revoked
  AFTER UPDATE OF revoked_at ON auth_sessions
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION notify_session_revoked();
