-- An operator's change of a mission's target rewrites the periods of that mission still running
-- (missions/repo.ts retargetCurrentMissionProgress). The primary key leads with user_id, so without
-- this index every such change scanned all mission progress of all players. Only active rows are
-- indexed: claimable and claimed periods keep their target, and they are most of the table.
CREATE INDEX mission_progress_running_idx ON mission_progress (mission_id, period_ends_at) WHERE status = 'active';
