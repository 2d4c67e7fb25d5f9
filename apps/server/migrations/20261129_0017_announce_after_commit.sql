-- Live updates are announced after commit, not by a NOTIFY inside the writing transaction.
--
-- A transaction that has NOTIFYed takes one lock for the whole database as it commits and holds
-- it until its commit record is flushed, so that notifications queue in commit order. Every claim,
-- purchase, grant and session end announces something, so every one of them committed one at a
-- time, each waiting out the fsyncs of those ahead: no group commit for the hot paths. Measured
-- with pgbench here (20 clients, a purchase-shaped transaction): 6 100–8 700 tps without a
-- NOTIFY, 2 950–3 700 with one, 4 250–4 330 with the announcement deferred as below.
--
-- The API's transactions set playloop.defer_notify (SET LOCAL, sent with their BEGIN): the
-- triggers then only append each payload to the session setting playloop.changes. A setting
-- changed inside a transaction is reverted if it (or the savepoint around the change) rolls back,
-- so what is left at COMMIT is exactly what committed. The same round trip as the COMMIT then runs
-- playloop_publish_changes(), which NOTIFYs them in a transaction of its own: with nothing to
-- flush but its commit record, and synchronous_commit off (a notification needs no durable
-- commit), it holds the lock for microseconds. Anything else (psql, scripts, PGlite, a statement
-- outside a transaction) does not set the flag, and its triggers NOTIFY as before.
--
-- Each append copies what is collected, so collecting is bounded: past 64 kB (a bulk change, e.g.
-- an operator's new target moving every player's progress, a few hundred announcements in) the
-- rest of the transaction's announcements are NOTIFYed at once as before, and that transaction
-- alone takes the lock at its commit. Its NOTIFYed ones then arrive before its collected ones;
-- every payload carries its versions.
CREATE FUNCTION playloop_announce(channel text, payload text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  pending text;
BEGIN
  IF current_setting('playloop.defer_notify', true) = 'on' THEN
    pending := coalesce(current_setting('playloop.changes', true), '');
    IF length(pending) < 65536 THEN
      PERFORM set_config('playloop.changes', pending || channel || E'\t' || payload || E'\n', false);
      RETURN;
    END IF;
  END IF;
  PERFORM pg_notify(channel, payload);
END $$;

-- NOTIFYs what committed transactions of this session left in playloop.changes, in order, and
-- clears it; returns how many. Never raises (it runs after a COMMIT the caller must see succeed):
-- on any error the changes stay and go out with the session's next commit.
CREATE FUNCTION playloop_publish_changes() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  pending text := coalesce(current_setting('playloop.changes', true), '');
  line text;
  n integer := 0;
BEGIN
  IF pending = '' THEN
    RETURN 0;
  END IF;
  BEGIN
    PERFORM set_config('playloop.changes', '', false);
    PERFORM set_config('synchronous_commit', 'off', true);
    FOREACH line IN ARRAY string_to_array(rtrim(pending, E'\n'), E'\n') LOOP
      PERFORM pg_notify(split_part(line, E'\t', 1), substr(line, strpos(line, E'\t') + 1));
      n := n + 1;
    END LOOP;
    RETURN n;
  EXCEPTION WHEN OTHERS THEN
    RETURN -1;
  END;
END $$;

CREATE OR REPLACE FUNCTION notify_user_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM playloop_announce('playloop_user', json_build_object('k', 'state', 'u', NEW.id, 'v', NEW.state_version)::text);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION notify_reward_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM playloop_announce('playloop_user', json_build_object('k', 'reward', 'u', NEW.user_id, 'id', NEW.id, 'source', NEW.source)::text);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION notify_purchase_succeeded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM playloop_announce('playloop_user', json_build_object('k', 'purchase', 'u', NEW.user_id, 'id', NEW.id, 'sku_id', NEW.sku_id)::text);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION notify_progress_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM playloop_announce('playloop_user', json_build_object(
    'k', 'progress', 'u', NEW.user_id, 'kind', TG_ARGV[0],
    'id', to_jsonb(NEW)->>TG_ARGV[1],
    'progress', NEW.progress, 'target', NEW.target, 'progress_version', NEW.progress_version, 'status', NEW.status)::text);
  RETURN NULL;
END $$;
