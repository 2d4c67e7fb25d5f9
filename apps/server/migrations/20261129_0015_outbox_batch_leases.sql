-- A relay leases a batch, not each of its rows: one row here per batch in flight (its owner, the
-- first and last id it claimed, until when) instead of writing lease_until, lease_owner and
-- attempts into every outbox row it claims. That per-row rewrite was the claim's cost: 77-81 ms of
-- PostgreSQL for 5 000 rows, against 12 ms to read them, and each rewritten row left a dead
-- version in four indexes for the next claim and the mark to step over.
--
-- While a lease is live, the unpublished rows between its first and last id are its owner's: a row
-- that committed inside that range after the claim (ids are taken before commit) waits for the
-- lease to end, then the next claim takes it.
CREATE TABLE outbox_leases (
  owner        uuid NOT NULL,
  first_id     bigint NOT NULL,
  last_id      bigint NOT NULL,
  lease_until  timestamptz NOT NULL,
  PRIMARY KEY (owner, first_id),
  CHECK (first_id <= last_id)
);

DROP INDEX outbox_leased_idx;
ALTER TABLE outbox DROP COLUMN lease_until, DROP COLUMN lease_owner, DROP COLUMN attempts;
