-- Operators suspend a player (POST /api/admin/players/{id}/suspend) and reinstate them; the
-- suspension names the operator and their reason. While suspended_at is set, the player cannot log in or refresh, and the session check (which reads
-- this row anyway) counts none of their sessions as live. One CHECK for both columns: PostgreSQL
-- reads every CHECK of a written table on each statement, and users is written by every grant.
ALTER TABLE users
  ADD COLUMN suspended_at timestamptz,
  ADD COLUMN suspended_reason text,
  ADD COLUMN suspended_by uuid REFERENCES users (id),
  ADD CONSTRAINT users_suspension_complete
    CHECK ((suspended_at IS NULL) = (suspended_reason IS NULL) AND (suspended_at IS NULL) = (suspended_by IS NULL)
           AND length(suspended_reason) BETWEEN 1 AND 200);

-- A suspension also revokes the player's sessions, so their refresh tokens are spent for good.
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_revoked_reason_check;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'reuse_detected', 'suspended'));
