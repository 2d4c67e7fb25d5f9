-- One row per (caller, route, X-Idempotency-Key). The row is inserted before the handler runs, so
-- the insert that goes first decides which request does the work; it is completed with the
-- response that later requests with the same key and body are answered with (SPEC Idempotency).
CREATE TABLE idempotency_keys (
  -- The authenticated user's id, or 'anonymous' on a route that opted in without authentication.
  user_scope             text NOT NULL CHECK (length(user_scope) BETWEEN 1 AND 64),
  -- Method and route pattern, e.g. 'POST /api/events/:id/claim' (not the URL, so ids stay params).
  route                  text NOT NULL CHECK (length(route) BETWEEN 1 AND 1024),
  idempotency_key        text NOT NULL CHECK (idempotency_key ~ '^[!-~]{1,255}$'),
  -- sha256 (hex) of the canonical JSON of the body, route params and query.
  fingerprint            text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  status                 text NOT NULL CHECK (status IN ('in_progress', 'completed')),
  -- Who holds the key: only the holder may complete or release it, so a request whose stale
  -- claim was taken over cannot overwrite the newer attempt's result.
  lock_token             uuid NOT NULL,
  locked_at              timestamptz NOT NULL,
  response_status        integer CHECK (response_status BETWEEN 100 AND 599),
  response_content_type  text,
  response_body          text,
  created_at             timestamptz NOT NULL,
  completed_at           timestamptz,
  expires_at             timestamptz NOT NULL,
  PRIMARY KEY (user_scope, route, idempotency_key),
  CONSTRAINT idempotency_keys_completed_has_response CHECK (
    (status = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL AND completed_at IS NOT NULL)
  ),
  CONSTRAINT idempotency_keys_kept_after_creation CHECK (expires_at > created_at)
);
-- The purge deletes by expiry.
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
