-- One play of one game type. The status union mirrors modules/games/state.ts: a session starts
-- 'active' and ends once, as 'ended' (the player reported it) or 'abandoned' (left open past the
-- type's max duration plus a grace period, closed when the player starts that type again).
CREATE TABLE game_sessions (
  id               uuid PRIMARY KEY,
  user_id          uuid NOT NULL REFERENCES users (id),
  game_type        text NOT NULL CHECK (game_type ~ '^[a-z0-9_]{1,32}$'),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended', 'abandoned')),
  started_at       timestamptz NOT NULL,
  ended_at         timestamptz,
  score            bigint CHECK (score >= 0),
  duration_s       double precision CHECK (duration_s >= 0 AND duration_s <= 86400),
  meta             jsonb,
  -- Server-scored games: the seed is drawn at start and the result derived from it right away,
  -- so it is fixed before the client does anything; the commitment (SHA-256 of the seed) is what
  -- the client sees until the end reveals the seed. Any result can be re-derived from the seed.
  seed             text CHECK (seed ~ '^[0-9a-f]{64}$'),
  seed_commitment  text CHECK (seed_commitment ~ '^[0-9a-f]{64}$'),
  server_score     bigint CHECK (server_score >= 0),
  server_result    jsonb,
  CONSTRAINT game_sessions_finished_has_end CHECK ((status = 'active') = (ended_at IS NULL)),
  CONSTRAINT game_sessions_ended_has_result CHECK (
    (status = 'ended') = (score IS NOT NULL AND duration_s IS NOT NULL)
  ),
  CONSTRAINT game_sessions_seeded_together CHECK (
    (seed IS NULL) = (seed_commitment IS NULL)
    AND (seed IS NULL) = (server_score IS NULL)
    AND (seed IS NULL) = (server_result IS NULL)
  ),
  -- A server-scored session can only end with the score the server rolled.
  CONSTRAINT game_sessions_server_score_kept CHECK (server_score IS NULL OR score IS NULL OR score = server_score)
);

-- One active session per player and game type; a start inserts with ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX game_sessions_one_active_idx ON game_sessions (user_id, game_type) WHERE status = 'active';
CREATE INDEX game_sessions_user_ended_idx ON game_sessions (user_id, ended_at DESC, id) WHERE status = 'ended';

-- 'ended' and 'abandoned' are final: no update may move a session out of them.
CREATE FUNCTION game_sessions_final_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'active' AND NEW.status IS DISTINCT FROM OLD.status THEN
    RAISE EXCEPTION 'game session % is % and cannot become %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER game_sessions_final_status BEFORE UPDATE ON game_sessions
  FOR EACH ROW EXECUTE FUNCTION game_sessions_final_status();

-- The play streak: consecutive RESET_TIMEZONE-local days with an ended session.
ALTER TABLE users
  ADD COLUMN streak_days     integer NOT NULL DEFAULT 0 CHECK (streak_days >= 0),
  ADD COLUMN last_play_date  date;
