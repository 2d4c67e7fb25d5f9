import { CreateEventBodySchema, CreateMissionBodySchema } from '@playloop/contracts';
import type { z } from 'zod';
import type { Db } from '../db/database.ts';
import { insertEvent } from '../modules/events/repo.ts';
import { insertMission } from '../modules/missions/repo.ts';

type EventInput = z.input<typeof CreateEventBodySchema>;
type MissionInput = z.input<typeof CreateMissionBodySchema>;

const DAY_MS = 24 * 60 * 60 * 1000;
const at = (now: Date, days: number) => new Date(now.getTime() + days * DAY_MS).toISOString();

/**
 * The demo events, all running at the seeding: a warm-up any game counts for, a Reaction score
 * chase, a short limited Lucky Dice event and a client-reported one (the SPEC's metric list has
 * no "shares", so the share is reported under `logins`; the server never counts a
 * client-reportable event itself).
 */
export function demoEvents(now: Date): EventInput[] {
  return [
    {
      key: 'warm_up_3_games',
      title: 'Warm-up: play 3 games',
      description: 'Play any three games to collect a starter purse.',
      type: 'progression',
      starts_at: at(now, -1),
      ends_at: at(now, 14),
      rules: { metric: 'games_played', target: 3 },
      reward_bundle: { currencies: { soft: 300 }, exp: 50 },
    },
    {
      key: 'reaction_500',
      title: 'Score 500 in Reaction',
      description: 'Reach 500 points in total across your Reaction games.',
      type: 'limited',
      starts_at: at(now, -1),
      ends_at: at(now, 7),
      rules: { metric: 'score_total', target: 500, game_type: 'reaction' },
      reward_bundle: { currencies: { soft: 500 }, items: [{ item_id: 'chest_bronze', quantity: 1 }] },
    },
    {
      key: 'lucky_weekend',
      title: 'Lucky weekend: win 3 dice rolls',
      description: 'Win three Lucky Dice rolls before the weekend is over.',
      type: 'limited',
      starts_at: at(now, -1),
      ends_at: at(now, 3),
      rules: { metric: 'wins', target: 3, game_type: 'lucky_dice' },
      reward_bundle: { currencies: { premium: 10 }, exp: 100 },
    },
    {
      key: 'share_the_site',
      title: 'Share the site',
      description: 'Tell a friend about Playloop; the share button reports it.',
      type: 'progression',
      starts_at: at(now, -1),
      ends_at: at(now, 30),
      rules: { metric: 'logins', target: 1, client_reportable: true },
      reward_bundle: { currencies: { soft: 100 } },
    },
    {
      key: 'daily_high_roller',
      title: 'High roller: 20 minutes of play',
      description: 'Spend twenty minutes in any game.',
      type: 'daily',
      starts_at: at(now, -1),
      ends_at: at(now, 14),
      rules: { metric: 'play_seconds', target: 1200 },
      reward_bundle: { currencies: { soft: 400 }, items: [{ item_id: 'xp_potion', quantity: 1 }] },
    },
  ];
}

/** The demo missions: two daily and two weekly. */
export const DEMO_MISSIONS: MissionInput[] = [
  {
    key: 'daily_play_1',
    title: 'Play a game',
    period: 'daily',
    rules: { metric: 'games_played', target: 1 },
    reward_bundle: { currencies: { soft: 50 }, exp: 10 },
  },
  {
    key: 'daily_score_200',
    title: 'Score 200 points',
    period: 'daily',
    rules: { metric: 'score_total', target: 200 },
    reward_bundle: { currencies: { soft: 100 }, exp: 20 },
  },
  {
    key: 'weekly_play_10',
    title: 'Play 10 games',
    period: 'weekly',
    rules: { metric: 'games_played', target: 10 },
    reward_bundle: { currencies: { soft: 500 }, items: [{ item_id: 'chest_bronze', quantity: 1 }] },
  },
  {
    key: 'weekly_play_600s',
    title: 'Play for 10 minutes',
    period: 'weekly',
    rules: { metric: 'play_seconds', target: 600 },
    reward_bundle: { currencies: { soft: 200 }, exp: 200 },
  },
];

/** Seeds the demo events and missions; a key that exists already is left as it is. */
export async function seedDemoLiveOps(trx: Db, now: Date): Promise<void> {
  for (const input of demoEvents(now)) {
    const event = CreateEventBodySchema.parse(input);
    await insertEvent(trx, { ...event, starts_at: new Date(event.starts_at), ends_at: new Date(event.ends_at) }, now);
  }
  for (const input of DEMO_MISSIONS) {
    await insertMission(trx, CreateMissionBodySchema.parse(input), now);
  }
}
