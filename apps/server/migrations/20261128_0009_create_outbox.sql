-- Analytics events, written in the same transaction as the state change they describe (SPEC §5):
-- nothing is published that was not committed, and nothing committed is lost. `id` is the
-- publish order. The relay claims the oldest unpublished rows under a short lease, publishes them
-- outside any transaction, then marks them published; a node that dies mid-batch leaves a lease
-- that expires, and the rows are published again (the analytics store dedupes by event_id).
CREATE TABLE outbox (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      uuid NOT NULL UNIQUE,
  event_type    text NOT NULL CHECK (event_type ~ '^[a-z]+(\.[a-z]+)+$'),
  user_id       uuid NOT NULL,
  envelope      jsonb NOT NULL CHECK (jsonb_typeof(envelope) = 'object'),
  created_at    timestamptz NOT NULL,
  published_at  timestamptz,
  lease_until   timestamptz,
  attempts      integer NOT NULL DEFAULT 0
);

-- The relay's claim and the backlog figures read only unpublished rows.
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;
