-- Operators find a player by the start of their handle or nickname (GET /api/admin/players).
-- text_pattern_ops lets a `LIKE 'prefix%'` use the index whatever the database's collation; the
-- unique index on site_id cannot serve it outside the C collation. Without a query the search
-- lists the newest signups, hence created_at.
CREATE INDEX users_site_id_prefix ON users (site_id text_pattern_ops);
CREATE INDEX users_nickname_prefix ON users (lower(nickname) text_pattern_ops);
CREATE INDEX users_created_at ON users (created_at DESC, id DESC);
