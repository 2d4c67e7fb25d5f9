-- The relay's "is another node's batch in flight?" check reads only leased, unpublished rows. Without
-- this index it scanned the whole outbox (published rows stay for replays), so every claim cost
-- O(table) and the relay slowed down as history grew. The index holds only the batches in flight.
CREATE INDEX outbox_leased_idx ON outbox (lease_until) WHERE published_at IS NULL AND lease_until IS NOT NULL;

-- Which relay holds a lease: a relay claims its next batch while publishing the current one, and
-- its own leases must not make it wait for itself (another node's still do).
ALTER TABLE outbox ADD COLUMN lease_owner uuid;
