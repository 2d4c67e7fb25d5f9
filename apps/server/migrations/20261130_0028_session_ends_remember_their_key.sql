-- A session end records the X-Idempotency-Key it was made under, the request's fingerprint and the
-- answer it gave. The plugin's stored answer and the end commit apart: when that answer is missing
-- (lost after COMMIT, or a slow first attempt's key taken over after 60 s) a retry under the same
-- key found the session ended and was told 409 SESSION_NOT_ACTIVE, though its own end had counted.
-- The end's answer (progress updates, exp, level, streak, payout) exists only once, so it is kept
-- to answer the retry with; only keyed ends keep it.
ALTER TABLE game_sessions
  ADD COLUMN end_idempotency_key text,
  ADD COLUMN end_fingerprint text,
  ADD COLUMN end_response json;
