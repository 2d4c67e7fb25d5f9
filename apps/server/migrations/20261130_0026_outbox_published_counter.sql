-- published_total (GET /api/admin/pipeline, /metrics) was a count of the published rows still in
-- the outbox, so the retention sweep made it fall, to 0 after a quiet week: a `_total` that goes
-- down breaks every rate() over it. A counter the relay's mark adds to only ever grows; it starts
-- from the rows published so far.
CREATE TABLE outbox_counters (
  only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  published_total bigint NOT NULL CHECK (published_total >= 0)
);
INSERT INTO outbox_counters (published_total) SELECT count(*) FROM outbox WHERE published_at IS NOT NULL;
