-- Every analytics event, one row per delivery. ReplacingMergeTree with event_id in the sort key
-- folds redelivered copies together on merge; until then the KPI queries count uniqExact(event_id),
-- so a batch written twice never changes a count. Columns after payload_json are extracted by the
-- writer so the KPI queries need no JSON functions (ClickHouse 18.16 has only visitParam*).
-- `{db}` is replaced by the analytics database name.
CREATE TABLE IF NOT EXISTS {db}.events_log (
  event_date Date,
  ts DateTime('UTC'),
  event_id String,
  event_type String,
  user_id String,
  trace_id String,
  idempotency_key String,
  version UInt8,
  payload_json String,
  game_type String,
  currency String,
  amount Int64,
  inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (event_date, event_type, event_id);
