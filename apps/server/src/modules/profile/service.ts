import {
  PROFILE_PARTICIPATIONS,
  PROFILE_RECENT_ACTIVITY,
  type ActivityEntry,
  type Profile,
  type RewardItem,
  type RewardSource,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { unauthenticated } from '../../lib/domain-error.ts';
import { effectiveParticipationStatus } from '../events/state.ts';
import { gameNameOf } from '../games/registry.ts';
import { currentStreak, localDateOf } from '../games/streak.ts';
import { listHoldings } from '../inventory/repo.ts';
import { expToNextLevel } from '../users/progression.ts';
import { toUser } from '../users/repo.ts';
import { getBalances } from '../wallet/ledger.ts';
import { listParticipationsWithEvents, listRecentActivity, listTopScores, readProfileUser, type ActivityRow } from './repo.ts';

export interface ProfileDeps {
  db: Db;
  clock: Clock;
  /** RESET_TIMEZONE: the local day the play streak is counted in. */
  resetTimezone: string;
}

/** "500 soft, 50 exp, 1 × trophy": what a grant gave, in its stable order. */
export function describeRewardItems(items: RewardItem[]): string {
  if (items.length === 0) return 'nothing';
  return items
    .map((item) => {
      if (item.type === 'currency') return `${item.amount} ${item.currency}`;
      if (item.type === 'exp') return `${item.amount} exp`;
      return `${item.quantity} × ${item.item_id}`;
    })
    .join(', ');
}

/** How a grant that is not a claim reads, from its source and title (a grant's title names what it is for). */
function grantHeading(source: Exclude<RewardSource, 'event' | 'mission'>, title: string | null): string {
  switch (source) {
    case 'signup':
      return title ?? 'Signup bonus';
    case 'game':
      return `${title ?? 'Game'} payout`;
    case 'item':
      return `Opened ${title ?? 'an item'}`;
    case 'operator':
      return title ? `From the operators (${title})` : 'From the operators';
    case 'shop':
      return title ? `Purchase (${title})` : 'Purchase';
  }
}

/** One line of the activity feed, written from the row's detail. */
export function toActivityEntry(row: ActivityRow): ActivityEntry {
  const at = row.at.toISOString();
  switch (row.kind) {
    case 'grant': {
      const { source, title, reward_items } = row.detail;
      const given = describeRewardItems(reward_items);
      if (source === 'event' || source === 'mission') {
        return { type: 'claim', at, summary: `Claimed ${source} "${title ?? source}": ${given}`, detail: { source, title, reward_items } };
      }
      return { type: 'grant', at, summary: `${grantHeading(source, title)}: ${given}`, detail: { source, title, reward_items } };
    }
    case 'purchase': {
      const { sku_name, quantity, total_price, currency_type } = row.detail;
      return { type: 'purchase', at, summary: `Bought ${quantity} × ${sku_name} for ${total_price} ${currency_type}`, detail: row.detail };
    }
    case 'session': {
      const { game_type, score, duration } = row.detail;
      const name = gameNameOf(game_type);
      return {
        type: 'session',
        at,
        summary: `Played ${name}: ${score} points in ${Math.floor(duration)} s`,
        detail: { game_type, game_name: name, score, duration },
      };
    }
  }
}

/**
 * The player's profile: who they are, progression (with the streak as of today), balances,
 * lifetime stats with the best score per game, inventory, event participations and the last
 * twenty things that happened to them. Six queries, all independent, whatever the history.
 */
export async function getProfile(deps: ProfileDeps, userId: string): Promise<Profile> {
  const profile = await readProfile(deps, userId);
  if (!profile) throw unauthenticated('the player no longer exists');
  return profile;
}

/** The profile of any user, or undefined when there is no such user (operators look players up). */
export async function readProfile(deps: ProfileDeps, userId: string): Promise<Profile | undefined> {
  const { db } = deps;
  const now = deps.clock.now();
  const [user, currencies, topScores, holdings, participations, activity] = await Promise.all([
    readProfileUser(db, userId),
    getBalances(db, userId),
    listTopScores(db, userId),
    listHoldings(db, userId),
    listParticipationsWithEvents(db, userId, PROFILE_PARTICIPATIONS),
    listRecentActivity(db, userId, PROFILE_RECENT_ACTIVITY),
  ]);
  if (!user) return undefined;

  return {
    user: toUser(user),
    progression: {
      level: user.level,
      exp: user.exp,
      exp_to_next_level: expToNextLevel(user.exp),
      streak_days: currentStreak(user.streak_days, user.last_play_day, localDateOf(now, deps.resetTimezone)),
    },
    currencies,
    stats: {
      games_played: user.games_played,
      total_score: user.total_score,
      play_seconds: user.play_seconds,
      top_scores: topScores.map((t) => ({ game_type: t.game_type, game_name: gameNameOf(t.game_type), score: t.score })),
      events_joined: user.events_joined,
      events_claimed: user.events_claimed,
      purchases: user.purchases,
    },
    inventory: holdings.map(({ item_id, name, quantity }) => ({ item_id, name, quantity })),
    participations: participations.map((p) => ({
      event_id: p.event_id,
      key: p.key,
      title: p.title,
      // An ended event's open participation reads expired before the sweep writes it so.
      status: effectiveParticipationStatus(p.status, p.ends_at, now),
      progress: p.progress,
      target: p.target,
      progress_version: p.progress_version,
      joined_at: p.joined_at.toISOString(),
      ends_at: p.ends_at.toISOString(),
      claimed_at: p.claimed_at?.toISOString() ?? null,
    })),
    recent_activity: activity.map(toActivityEntry),
  };
}
