-- Which database this is. A DATA_DIR keeps one database's analytics (chDB), token secret and demo
-- operator password, and records the id of the database it serves (DATA_DIR/instance-id): a start
-- on another database with that DATA_DIR is refused before it migrates anything. One row, made here.
CREATE TABLE database_instance (
  id           integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  instance_id  uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO database_instance DEFAULT VALUES;
