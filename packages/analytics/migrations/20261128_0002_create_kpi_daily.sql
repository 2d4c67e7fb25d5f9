-- Daily KPIs kept by a materialized view. The states are uniqExact sets of event ids and user ids
-- per (day, event type): adding the same event twice leaves a set unchanged, so the view stays
-- exact under redelivery (a SummingMergeTree of counts would not). Sums of money are not
-- idempotent this way, so revenue is computed from events_log with a per-event_id dedupe.
CREATE TABLE IF NOT EXISTS {db}.kpi_daily (
  event_date Date,
  event_type String,
  events AggregateFunction(uniqExact, String),
  users AggregateFunction(uniqExact, String)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (event_date, event_type);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.kpi_daily_mv TO {db}.kpi_daily AS
SELECT
  event_date,
  event_type,
  uniqExactState(event_id) AS events,
  uniqExactState(user_id) AS users
FROM {db}.events_log
GROUP BY event_date, event_type;
