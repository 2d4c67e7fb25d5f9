-- Live events: a window [starts_at, ends_at), a rule (metric, target, optional game_type,
-- min_score, client_reportable) and the bundle a completed participation claims.
CREATE TABLE events (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key            text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,64}$'),
  title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  description    text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  type           text NOT NULL CHECK (type IN ('daily', 'limited', 'progression')),
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz NOT NULL,
  rules          jsonb NOT NULL CHECK (
    jsonb_typeof(rules) = 'object'
    AND rules ->> 'metric' IN ('games_played', 'score_total', 'play_seconds', 'wins', 'logins', 'purchases')
    AND jsonb_typeof(rules -> 'target') = 'number' AND (rules ->> 'target')::numeric > 0
  ),
  reward_bundle  jsonb NOT NULL CHECK (jsonb_typeof(reward_bundle) = 'object'),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CONSTRAINT events_key_key UNIQUE (key),
  CONSTRAINT events_window_ordered CHECK (starts_at < ends_at)
);
CREATE INDEX events_window_idx ON events (ends_at, starts_at);

-- One per (player, event). The status union and its transitions mirror modules/events/state.ts:
--   active → claimable (target reached) → claimed; active | claimable → expired (event ended).
-- target is the event's target when the player joined (an operator's later change is applied to
-- active participations only; a completed one keeps what it earned). Progress stops at target.
CREATE TABLE event_participations (
  user_id           uuid NOT NULL REFERENCES users (id),
  event_id          uuid NOT NULL REFERENCES events (id),
  status            text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'claimable', 'claimed', 'expired')),
  progress          bigint NOT NULL DEFAULT 0,
  target            bigint NOT NULL CHECK (target > 0),
  -- Bumped by every change of the row (progress, claim, expiry): the client's optimistic lock.
  progress_version  bigint NOT NULL DEFAULT 0 CHECK (progress_version >= 0),
  joined_at         timestamptz NOT NULL,
  last_progress_at  timestamptz,
  claimed_at        timestamptz,
  expired_at        timestamptz,
  PRIMARY KEY (user_id, event_id),
  CONSTRAINT event_participations_progress_in_range CHECK (progress BETWEEN 0 AND target),
  CONSTRAINT event_participations_status_matches_progress
    CHECK (status = 'expired' OR (status = 'active') = (progress < target)),
  CONSTRAINT event_participations_claimed_at CHECK ((status = 'claimed') = (claimed_at IS NOT NULL)),
  CONSTRAINT event_participations_expired_at CHECK ((status = 'expired') = (expired_at IS NOT NULL))
);
CREATE INDEX event_participations_event_idx ON event_participations (event_id, status);
CREATE INDEX event_participations_open_idx ON event_participations (user_id, event_id)
  WHERE status IN ('active', 'claimable');

CREATE FUNCTION event_participations_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
    (OLD.status = 'active' AND NEW.status IN ('claimable', 'expired'))
    OR (OLD.status = 'claimable' AND NEW.status IN ('claimed', 'expired'))
  ) THEN
    RAISE EXCEPTION 'participation cannot move from % to %', OLD.status, NEW.status USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER event_participations_transition BEFORE UPDATE ON event_participations
  FOR EACH ROW EXECUTE FUNCTION event_participations_transition();

-- Daily and weekly missions; every player takes part without joining.
CREATE TABLE missions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key            text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,64}$'),
  title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  description    text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  period         text NOT NULL CHECK (period IN ('daily', 'weekly')),
  rules          jsonb NOT NULL CHECK (
    jsonb_typeof(rules) = 'object'
    AND rules ->> 'metric' IN ('games_played', 'score_total', 'play_seconds', 'wins', 'logins', 'purchases')
    AND jsonb_typeof(rules -> 'target') = 'number' AND (rules ->> 'target')::numeric > 0
  ),
  reward_bundle  jsonb NOT NULL CHECK (jsonb_typeof(reward_bundle) = 'object'),
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CONSTRAINT missions_key_key UNIQUE (key)
);

-- A player's progress in one period of one mission, created by the first progress in the period
-- (no row reads as progress 0). period_key is the RESET_TIMEZONE-local day 'YYYY-MM-DD' or ISO
-- week 'YYYY-Www'; period_ends_at is when the next one starts, after which this row can no
-- longer be claimed. The status union mirrors modules/missions/state.ts.
CREATE TABLE mission_progress (
  user_id           uuid NOT NULL REFERENCES users (id),
  mission_id        uuid NOT NULL REFERENCES missions (id),
  period_key        text NOT NULL CHECK (period_key ~ '^[0-9]{4}-([0-9]{2}-[0-9]{2}|W[0-9]{2})$'),
  period_ends_at    timestamptz NOT NULL,
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'claimable', 'claimed')),
  progress          bigint NOT NULL DEFAULT 0,
  target            bigint NOT NULL CHECK (target > 0),
  progress_version  bigint NOT NULL DEFAULT 0 CHECK (progress_version >= 0),
  last_progress_at  timestamptz,
  claimed_at        timestamptz,
  created_at        timestamptz NOT NULL,
  PRIMARY KEY (user_id, mission_id, period_key),
  CONSTRAINT mission_progress_progress_in_range CHECK (progress BETWEEN 0 AND target),
  CONSTRAINT mission_progress_status_matches_progress CHECK ((status = 'active') = (progress < target)),
  CONSTRAINT mission_progress_claimed_at CHECK ((status = 'claimed') = (claimed_at IS NOT NULL))
);
CREATE INDEX mission_progress_claimable_idx ON mission_progress (user_id, period_ends_at)
  WHERE status = 'claimable';

CREATE FUNCTION mission_progress_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
    (OLD.status = 'active' AND NEW.status = 'claimable')
    OR (OLD.status = 'claimable' AND NEW.status = 'claimed')
  ) THEN
    RAISE EXCEPTION 'mission progress cannot move from % to %', OLD.status, NEW.status USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER mission_progress_transition BEFORE UPDATE ON mission_progress
  FOR EACH ROW EXECUTE FUNCTION mission_progress_transition();
