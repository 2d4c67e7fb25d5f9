-- Players and operators. site_id is the login handle; role and tier mirror the contracts' unions.
CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id        text NOT NULL CHECK (site_id ~ '^[a-z0-9_]{3,32}$'),
  nickname       text NOT NULL CHECK (length(nickname) BETWEEN 1 AND 32),
  password_hash  text NOT NULL,
  role           text NOT NULL DEFAULT 'player' CHECK (role IN ('player', 'admin')),
  tier           text NOT NULL DEFAULT 'bronze'
                 CHECK (tier IN ('bronze', 'silver', 'gold', 'platinum', 'diamond')),
  level          integer NOT NULL DEFAULT 1 CHECK (level >= 1),
  exp            bigint NOT NULL DEFAULT 0 CHECK (exp >= 0),
  -- Bumped by every change the player can see; the dashboard ETag is derived from it.
  state_version  bigint NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_site_id_key UNIQUE (site_id)
);

-- A login session: the family every refresh token of one login belongs to.
-- Revoking it (logout, or a spent refresh token presented again) ends every token of the family.
CREATE TABLE auth_sessions (
  id              uuid PRIMARY KEY,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL,
  revoked_at      timestamptz,
  revoked_reason  text CHECK (revoked_reason IN ('logout', 'reuse_detected'))
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);

-- Refresh tokens are stored only as SHA-256 hashes; each may be spent once.
CREATE TABLE refresh_tokens (
  token_hash  text PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
  issued_at   timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  spent_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
