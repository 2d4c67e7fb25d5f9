import {
  DASHBOARD_RECENT_SESSIONS,
  DASHBOARD_SHOP_HIGHLIGHTS,
  DashboardResponseSchema,
  type Dashboard,
  type DashboardEvent,
  type EventRules,
  type RewardBundle,
  type Sku,
} from '@playloop/contracts';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { unauthenticated } from '../../lib/domain-error.ts';
import { listEventsWithParticipation, type EventWithParticipationRow } from '../events/repo.ts';
import { pendingEventRewards, participationOf } from '../events/service.ts';
import { getGameType } from '../games/registry.ts';
import { expForPlay, listRecentSessions } from '../games/service.ts';
import { currentStreak, localDateOf } from '../games/streak.ts';
import { currentPeriods, listMissions, pendingMissionRewards } from '../missions/service.ts';
import { listCatalog } from '../shop/service.ts';
import { expToNextLevel } from '../users/progression.ts';
import { getBalances } from '../wallet/ledger.ts';
import { dashboardEtag, ifNoneMatchMatches, type DashboardVersions } from './etag.ts';
import { readEtagVersions, readPlayerSummary, type PlayerSummaryRow } from './repo.ts';

export interface DashboardDeps {
  db: Db;
  clock: Clock;
  /** RESET_TIMEZONE: the local day of today_rewards, the streak and the mission periods. */
  resetTimezone: string;
  /** Bodies already built on this node, by player, under the tag they were built for. */
  bodies?: DashboardBodies;
}

/**
 * The last body built per player, kept with its ETag. A tag names one body: what a 304 promises a
 * client holding the tag (its copy is current) is what answering the kept body promises here, so
 * a repeated full GET within the same versions and minute costs the tag's one query, not nine.
 * The body is kept as the JSON the route sends, checked against the contract once when built:
 * validating and serializing it again was most of a kept answer's cost.
 */
export type DashboardBodies = LRUCache<string, { etag: string; body: Buffer }>;

export function createDashboardBodies(max = 10_000): DashboardBodies {
  return new LRUCache({ max });
}

/** What a conditional GET answers: always the current tag; the body only when the client's copy is stale. */
export type DashboardReply = { etag: string; notModified: true } | { etag: string; notModified: false; body: Buffer };

/** The body as the route sends it: checked against the response contract, serialized, UTF-8. */
export const serializeDashboard = (dashboard: Dashboard): Buffer => Buffer.from(JSON.stringify(DashboardResponseSchema.parse(dashboard)), 'utf8');

const DAY_MS = 24 * 60 * 60 * 1000;

/** The player's dashboard ETag at `now`: one read of two versions plus the minute. */
export async function dashboardEtagOf(db: Db, userId: string, now: Date): Promise<string> {
  const versions = await readEtagVersions(db, userId);
  if (!versions) throw unauthenticated('the player no longer exists');
  return dashboardEtag(userId, versions, now);
}

/**
 * GET /api/dashboard with If-None-Match. The ETag is read BEFORE the body, never after: a change
 * committed between the two reads then lands in the body but not in the tag, so the client holds
 * a body newer than its tag and its next revalidation simply fetches again. Read the other way
 * round, a body older than its tag could be answered with 304 forever after. For the same reason
 * every part of the body is computed at the same `now` as the tag's minute.
 */
export async function getDashboard(
  deps: DashboardDeps,
  userId: string,
  ifNoneMatch?: string,
  /** The versions as authentication read them a moment ago (before the body, so as good as a fresh read). */
  versions?: DashboardVersions,
): Promise<DashboardReply> {
  const now = deps.clock.now();
  const etag = versions ? dashboardEtag(userId, versions, now) : await dashboardEtagOf(deps.db, userId, now);
  if (ifNoneMatchMatches(ifNoneMatch, etag)) return { etag, notModified: true };
  const kept = deps.bodies?.get(userId);
  if (kept?.etag === etag) return { etag, notModified: false, body: kept.body };
  const body = serializeDashboard(await loadDashboard(deps, userId, now));
  deps.bodies?.set(userId, { etag, body });
  return { etag, notModified: false, body };
}

function toDashboardEvent(row: EventWithParticipationRow, now: Date): DashboardEvent {
  const participation = participationOf(row, now);
  return {
    id: row.id,
    key: row.key,
    title: row.title,
    type: row.type,
    ends_at: row.ends_at.toISOString(),
    rules: row.rules as EventRules,
    reward_bundle: row.reward_bundle as RewardBundle,
    participation: participation && {
      status: participation.status,
      progress: participation.progress,
      target: participation.target,
      progress_version: participation.progress_version,
    },
  };
}

/**
 * The exp today's plays added, as the session ends computed it from each play's type and score. A
 * type no longer defined counts nothing: what its plays earned cannot be told any more.
 */
function expOfPlays(plays: PlayerSummaryRow['today_plays']): number {
  let exp = 0;
  for (const [gameType, score, count] of plays) {
    const def = getGameType(gameType);
    if (def) exp += expForPlay(def, score) * count;
  }
  return exp;
}

/** Offers the player can still buy: not sold out and under their per-player limit. */
const stillBuyable = (sku: Sku) =>
  (sku.stock_remaining === null || sku.stock_remaining > 0) && (sku.per_user_limit === null || sku.purchased_count < sku.per_user_limit);

/** Up to three offers: limited ones first (they run out or end), then regular, in catalog order. */
export function pickShopHighlights(catalog: { regular: Sku[]; limited: Sku[] }): Sku[] {
  return [...catalog.limited, ...catalog.regular].filter(stillBuyable).slice(0, DASHBOARD_SHOP_HIGHLIGHTS);
}

/**
 * Everything the main screen shows at `now`, in a fixed number of queries whatever the number of
 * events, missions, sessions or offers (eight, all independent, so they run side by side). It only
 * reads: an ended event is not on the dashboard, so its participations need no expiry here.
 */
export async function loadDashboard(deps: DashboardDeps, userId: string, now: Date): Promise<Dashboard> {
  const { db, resetTimezone } = deps;
  // The same instant for every part, so the body matches the minute in its ETag.
  const at = { db, clock: { now: () => now }, resetTimezone };
  const today = currentPeriods(now, resetTimezone).daily;

  const [player, currencies, events, missions, pendingEvents, pendingMissions, recentSessions, catalog] = await Promise.all([
    readPlayerSummary(db, userId, { dayStart: today.startsAt, dayEnd: today.endsAt, since: new Date(now.getTime() - DAY_MS) }),
    getBalances(db, userId),
    listEventsWithParticipation(db, userId, now, true),
    listMissions(at, userId),
    pendingEventRewards(db, userId, now),
    pendingMissionRewards(db, userId, now),
    listRecentSessions(db, userId, DASHBOARD_RECENT_SESSIONS),
    listCatalog(at, userId),
  ]);
  if (!player) throw unauthenticated('the player no longer exists');

  return {
    profile: {
      id: player.id,
      site_id: player.site_id,
      nickname: player.nickname,
      tier: player.tier,
      level: player.level,
      exp: player.exp,
      exp_to_next_level: expToNextLevel(player.exp),
      // The stored streak only changes when a session ends; a missed day ends it now.
      streak_days: currentStreak(player.streak_days, player.last_play_day, localDateOf(now, resetTimezone)),
    },
    currencies,
    active_events: events.map((row) => toDashboardEvent(row, now)),
    missions,
    // The same sources GET /api/rewards/pending lists, so the two counts always agree.
    pending_rewards: pendingEvents.length + pendingMissions.length,
    // Exp from grants (shop packs left out) and from plays, which add exp without a grant.
    today_rewards: { soft: player.today_soft, premium: player.today_premium, exp: player.today_exp + expOfPlays(player.today_plays) },
    last_24h: { games: player.games_24h, missions_completed: player.missions_completed_24h },
    recent_sessions: recentSessions,
    shop_highlights: pickShopHighlights(catalog),
  };
}
