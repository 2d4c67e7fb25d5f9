-- Marks a database whose demo content was seeded, so later starts never seed it again.
CREATE TABLE demo_seed (
  id         integer PRIMARY KEY CHECK (id = 1),
  seeded_at  timestamptz NOT NULL
);
