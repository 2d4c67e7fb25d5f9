-- A keyed mission claim asks whether its key already claimed some period of the mission (a retry
-- after midnight must answer the day it claimed, not claim the new day too), in the statement
-- that marks the period claimed. Found by the player and key, not by scanning the player's grants.
CREATE INDEX reward_grants_user_idempotency_key_idx ON reward_grants (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
