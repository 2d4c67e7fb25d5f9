-- The outbox is a queue: every row is inserted, updated once when published and deleted when
-- pruned, so at 20 000 events/s it makes about 40 000 dead row versions a second. At the default
-- scale factors (20 % of the table) autovacuum waits for millions of them on a large outbox, and
-- the relay's claim walks over each one in the pending index before it finds a live row. Measured
-- on the pipeline bench here: with 14 M dead versions the claim took a third of a core and the
-- Kafka path fell to 17 500 ev/s with its lag growing; on a vacuumed outbox it kept 24 000 ev/s
-- at a p99 lag under one second. Vacuum these two tables after 1 % of their rows have changed.
ALTER TABLE outbox SET (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_insert_scale_factor = 0.01,
  autovacuum_analyze_scale_factor = 0.02
);
ALTER TABLE outbox_leases SET (autovacuum_vacuum_scale_factor = 0.01);
