-- A claim records the X-Idempotency-Key it was made under on its grant. The plugin's stored answer
-- and the claim commit apart: when that answer is missing (lost after COMMIT, or a slow first
-- attempt's key taken over after 60 s) a retry under the same key ran the claim again and was told
-- 409 ALREADY_CLAIMED, which SPEC keeps for a claim made under another key or none. With the key
-- on the grant, the retry is answered with the claim it made.
ALTER TABLE reward_grants ADD COLUMN idempotency_key text;
