import type {
  Balances,
  RewardItem,
  AdminMission,
  CreateMissionBody,
  Mission,
  MissionClaimResponse,
  MissionRules,
  RewardBundle,
  UpdateMissionBody,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { DomainError, notFound, unprocessable } from '../../lib/domain-error.ts';
import { assertKnownGameType } from '../events/service.ts';
import type { PendingReward } from '../rewards/pending.ts';
import { findLatestGrantOfSourceMadeUnder } from '../rewards/repo.ts';
import { grantReward, type ClaimOutcome, type ClaimRequest } from '../rewards/service.ts';
import { getBalances } from '../wallet/ledger.ts';
import { periodOf } from './period.ts';
import {
  findMission,
  findMissionAndMarkClaimed,
  findMissionProgress,
  insertMission,
  listAllMissions,
  listClaimableMissions,
  listMissionsWithProgress,
  retargetCurrentMissionProgress,
  updateMission,
  type CurrentPeriods,
  type MissionRow,
  type MissionWithProgressRow,
} from './repo.ts';
import { assertTransition } from './state.ts';

export interface MissionsDeps {
  db: Db;
  clock: Clock;
  /** RESET_TIMEZONE: where a day and a week begin. */
  resetTimezone: string;
}

/** The daily and weekly periods `now` falls in. */
export function currentPeriods(now: Date, timeZone: string): CurrentPeriods {
  return { daily: periodOf('daily', now, timeZone), weekly: periodOf('weekly', now, timeZone) };
}

function toMission(row: MissionWithProgressRow, periods: CurrentPeriods): Mission {
  const rules = row.rules as MissionRules;
  const period = periods[row.period];
  const progress = row.mp_progress ?? 0;
  const target = row.mp_target ?? rules.target;
  const status = row.mp_status ?? 'active';
  return {
    id: row.id,
    key: row.key,
    title: row.title,
    description: row.description,
    period: row.period,
    rules,
    reward_bundle: row.reward_bundle as RewardBundle,
    period_key: period.key,
    resets_at: period.endsAt.toISOString(),
    progress,
    target,
    status,
    completed: progress >= target,
    claimed: status === 'claimed',
    progress_version: row.mp_progress_version ?? 0,
  };
}

/** Active missions with the player's progress in the current day and week, in one query. */
export async function listMissions(deps: MissionsDeps, userId: string): Promise<{ daily: Mission[]; weekly: Mission[] }> {
  const periods = currentPeriods(deps.clock.now(), deps.resetTimezone);
  const rows = await listMissionsWithProgress(deps.db, userId, periods);
  const missions = { daily: [] as Mission[], weekly: [] as Mission[] };
  for (const row of rows) missions[row.period].push(toMission(row, periods));
  return missions;
}

/** A mission period's grant key: one grant per player, mission and period. */
const missionGrantKey = (missionId: string, periodKey: string, userId: string) => `mission:${missionId}:${periodKey}:user:${userId}`;

/**
 * Claims the current period of a mission. Only the current period can be claimed (a past one is
 * simply no longer current). The conditional UPDATE claimable → claimed decides the one winner;
 * the grant (key `mission:{id}:{period_key}:user:{user}`) follows in the same transaction. A claim
 * already made under the request's own idempotency key is answered again, replayed, whatever the
 * period is now (a retry that came after midnight answers with the day it claimed, and leaves the
 * new day's period to a claim of its own).
 */
export async function claimMission(
  deps: MissionsDeps,
  userId: string,
  missionId: string,
  request: ClaimRequest = {},
): Promise<ClaimOutcome<MissionClaimResponse>> {
  const { traceId, idempotencyKey } = request;
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    // The accounts first, as every flow that pays locks them, then the claim itself, in the
    // statement that reads the mission.
    const periods = currentPeriods(now, deps.resetTimezone);
    const read = await findMissionAndMarkClaimed(trx, { missionId, userId, periods, now, idempotencyKey });
    if (!read) throw notFound('mission');
    const { mission, claimed } = read;
    const period = periods[mission.period];
    const grantKey = missionGrantKey(missionId, period.key, userId);
    if (!claimed) {
      // Claimed under this request's own key (its first answer lost, or a retry that took the key
      // over while the claim still ran), in this period or an earlier one: answer it again.
      const mine = idempotencyKey ? await ownClaim(trx, userId, missionId, idempotencyKey) : undefined;
      if (mine) return { response: mine, replayed: true };
      if (!mission.active) throw notFound('mission');
      const current = await findMissionProgress(trx, userId, missionId, period.key);
      if (!current) throw new DomainError('NOT_CLAIMABLE', 'nothing counted toward this mission in this period yet');
      assertTransition(current.status, 'claimed');
      throw new DomainError('VERSION_CONFLICT', 'the mission changed concurrently; retry');
    }

    const grant = await grantReward(trx, {
      userId,
      grantKey,
      idempotencyKey,
      source: 'mission',
      sourceId: missionId,
      title: mission.title,
      bundle: mission.reward_bundle as RewardBundle,
      now,
      traceId,
      record: ({ grantId, rewardItems }) => [
        {
          eventType: 'mission.claim',
          userId,
          payload: { mission_id: missionId, period_key: period.key, grant_id: grantId, reward_items: rewardItems },
          now,
          traceId,
          idempotencyKey,
        },
      ],
    });
    return { response: claimResponse(claimed, grant), replayed: false };
  });
}

/**
 * The answer of the claim of this mission the player made under `key`, in whichever period it
 * was, with their balances now; undefined when the key claimed nothing of it.
 */
async function ownClaim(trx: Db, userId: string, missionId: string, key: string): Promise<MissionClaimResponse | undefined> {
  const grant = await findLatestGrantOfSourceMadeUnder(trx, { userId, source: 'mission', sourceId: missionId, key });
  if (!grant) return undefined;
  // The grant key (`missionGrantKey`) names the period between a prefix and a suffix known here.
  const [prefix, suffix] = [`mission:${missionId}:`, `:user:${userId}`];
  if (!grant.grant_key.startsWith(prefix) || !grant.grant_key.endsWith(suffix)) return undefined;
  const periodKey = grant.grant_key.slice(prefix.length, -suffix.length);
  const row = await findMissionProgress(trx, userId, missionId, periodKey);
  if (!row) return undefined;
  const balances = await getBalances(trx, userId);
  return claimResponse(row, { grantId: grant.id, rewardItems: grant.reward_items as RewardItem[], balances });
}

/** A claimed period's answer, with the grant that paid it and the balances after. */
function claimResponse(
  row: { mission_id: string; period_key: string; progress: number; target: number; progress_version: number; last_progress_at: Date | null },
  grant: { grantId: string; rewardItems: RewardItem[]; balances: Balances },
): MissionClaimResponse {
  return {
    mission_id: row.mission_id,
    period_key: row.period_key,
    status: 'claimed',
    progress: row.progress,
    target: row.target,
    completed: true,
    claimed: true,
    progress_version: row.progress_version,
    last_progress_at: row.last_progress_at?.toISOString() ?? null,
    grant_id: grant.grantId,
    reward_items: grant.rewardItems,
    balances: grant.balances,
  };
}

/** The player's claimable mission periods that are still current, for GET /api/rewards/pending. */
export async function pendingMissionRewards(db: Db, userId: string, now: Date): Promise<PendingReward[]> {
  const rows = await listClaimableMissions(db, userId, now);
  return rows.map((row) => ({
    source: 'mission' as const,
    source_id: row.id,
    title: row.title,
    reward_bundle: row.reward_bundle as RewardBundle,
    expires_at: row.period_ends_at.toISOString(),
  }));
}

function toAdminMission(row: MissionRow): AdminMission {
  return {
    id: row.id,
    key: row.key,
    title: row.title,
    description: row.description,
    period: row.period,
    rules: row.rules as MissionRules,
    reward_bundle: row.reward_bundle as RewardBundle,
    active: row.active,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** Every mission, active or not, for operators. */
export async function listMissionsForOperator(db: Db): Promise<AdminMission[]> {
  return (await listAllMissions(db)).map(toAdminMission);
}

/**
 * Creates a mission. A taken key is a well-formed body breaking a content rule: 422
 * VALIDATION_FAILED on body.key, nothing written (as for SKUs and items).
 */
export async function createMission(deps: { db: Db; clock: Clock }, body: CreateMissionBody): Promise<AdminMission> {
  assertKnownGameType(body.rules);
  const row = await insertMission(deps.db, body, deps.clock.now());
  if (!row) throw unprocessable('body.key', 'already exists');
  return toAdminMission(row);
}

/**
 * Changes a mission (key and period stay). A new target applies to the periods running now that
 * are still active, as for events; claimable and claimed periods keep what they earned. The
 * mission row is locked first, so two operators' changes apply one after the other.
 */
export async function changeMission(deps: { db: Db; clock: Clock }, missionId: string, change: UpdateMissionBody): Promise<AdminMission> {
  if (change.rules) assertKnownGameType(change.rules);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    // FOR UPDATE, not the NO KEY UPDATE a plain UPDATE of the row takes: it is what a play opening
    // a period waits for when it reads the target (`advanceMissionsCtes`), so that the new period
    // either is seen by the retarget below or starts at the new target.
    const mission = await findMission(trx, missionId, true);
    if (!mission) throw notFound('mission');
    const updated = await updateMission(trx, missionId, change, now);
    if (change.rules) await retargetCurrentMissionProgress(trx, missionId, change.rules.target, now);
    return toAdminMission(updated);
  });
}
