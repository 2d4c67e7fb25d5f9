-- A lease names the advisory lock its relay holds while it runs (`presence_key`, with the class
-- key in modules/outbox/repo.ts). A relay whose process died holds no lock any more, so another
-- node takes its batch at once instead of waiting for the lease to end. Leases without a key (a
-- relay draining without running, or a node of an older version) still wait for their end.
ALTER TABLE outbox_leases ADD COLUMN presence_key integer;
