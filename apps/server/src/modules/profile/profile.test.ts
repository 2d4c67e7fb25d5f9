import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminEventSchema,
  AdminSkuSchema,
  EndSessionResponseSchema,
  PROFILE_RECENT_ACTIVITY,
  ProfileResponseSchema,
  type Profile,
} from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { uniqueKey } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectProblem } from '../../../test/problem.ts';
import type { Db } from '../../db/database.ts';
import { getProfile } from './service.ts';

const HOUR_MS = 60 * 60 * 1000;

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

const call = (method: 'GET' | 'POST', url: string, as: TestPlayer | undefined, payload?: unknown, headers: Record<string, string> = {}) =>
  ctx.app.inject({
    method,
    url,
    headers: { ...(as?.headers ?? {}), ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

async function fetchProfile(as: TestPlayer): Promise<Profile> {
  const res = await call('GET', '/api/profile', as);
  expect(res.statusCode, res.body).toBe(200);
  return ProfileResponseSchema.parse(res.json());
}

async function createEvent(overrides: Record<string, unknown> = {}) {
  const now = ctx.clock.now().getTime();
  const res = await call('POST', '/api/admin/events', admin, {
    key: uniqueKey('prof_ev'),
    title: 'Profile event',
    type: 'limited',
    starts_at: new Date(now - HOUR_MS).toISOString(),
    ends_at: new Date(now + 24 * HOUR_MS).toISOString(),
    rules: { metric: 'games_played', target: 1, game_type: 'reaction' },
    reward_bundle: { currencies: { soft: 200 }, exp: 5 },
    ...overrides,
  });
  expect(res.statusCode, res.body).toBe(201);
  return AdminEventSchema.parse(res.json());
}

/** One ended session of `gameType`; the end response tells the score the server kept. */
async function play(as: TestPlayer, gameType: 'reaction' | 'lucky_dice', score?: number) {
  const start = await call('POST', '/api/game/sessions/start', as, { game_type: gameType });
  expect(start.statusCode, start.body).toBe(201);
  ctx.clock.advance(30_000);
  const end = await call('POST', `/api/game/sessions/${start.json().session_id}/end`, as, {
    duration: 29.7,
    ...(score === undefined ? {} : { score }),
  });
  expect(end.statusCode, end.body).toBe(200);
  return EndSessionResponseSchema.parse(end.json());
}

describe('GET /api/profile', () => {
  it('answers the SPEC shape for a new player', async () => {
    const player = await makePlayer(ctx.app, { nickname: 'Prof' });
    const res = await call('GET', '/api/profile', player);
    expect(res.statusCode).toBe(200);
    const raw = res.json();
    expect(Object.keys(raw).sort()).toEqual(['currencies', 'inventory', 'participations', 'progression', 'recent_activity', 'stats', 'user'].sort());
    expect(Object.keys(raw.stats).sort()).toEqual(
      ['events_claimed', 'events_joined', 'games_played', 'play_seconds', 'purchases', 'top_scores', 'total_score'].sort(),
    );
    const profile = ProfileResponseSchema.parse(raw);
    expect(profile).toEqual({
      user: player.user,
      progression: { level: 1, exp: 0, exp_to_next_level: 100, streak_days: 0 },
      currencies: { soft: 1000, premium: 0 },
      stats: { games_played: 0, total_score: 0, play_seconds: 0, top_scores: [], events_joined: 0, events_claimed: 0, purchases: 0 },
      inventory: [],
      participations: [],
      recent_activity: [
        {
          type: 'grant',
          at: player.user.created_at,
          summary: 'Welcome bonus: 1000 soft',
          detail: { source: 'signup', title: 'Welcome bonus', reward_items: [{ type: 'currency', currency: 'soft', amount: 1000 }] },
        },
      ],
    });
  });

  it('adds up plays, claims, purchases and items, with the activity newest first', async () => {
    const player = await makePlayer(ctx.app);
    const event = await createEvent({ title: 'First win' });
    const ended = await createEvent({ ends_at: new Date(ctx.clock.now().getTime() + 60_000).toISOString(), rules: { metric: 'wins', target: 5 } });
    const itemId = uniqueKey('prof_badge');
    expect((await call('POST', '/api/admin/items', admin, { item_id: itemId, name: 'Gold badge', kind: 'cosmetic' })).statusCode).toBe(201);
    const skuRes = await call('POST', '/api/admin/shop/skus', admin, {
      sku_id: uniqueKey('prof_sku'),
      name: 'Badge pack',
      price: 150,
      currency_type: 'soft',
      bundle: { items: [{ item_id: itemId, quantity: 2 }] },
    });
    const sku = AdminSkuSchema.parse(skuRes.json());

    expect((await call('POST', `/api/events/${event.id}/participate`, player)).statusCode).toBe(201);
    expect((await call('POST', `/api/events/${ended.id}/participate`, player)).statusCode).toBe(201);
    await play(player, 'reaction', 300);
    await play(player, 'reaction', 500);
    const dice = await play(player, 'lucky_dice');
    ctx.clock.advance(1_000);
    expect((await call('POST', `/api/events/${event.id}/claim`, player)).statusCode).toBe(200);
    ctx.clock.advance(1_000);
    expect((await call('POST', '/api/shop/purchase', player, { sku_id: sku.sku_id })).statusCode).toBe(201);

    const profile = await fetchProfile(player);
    expect(profile.stats).toEqual({
      games_played: 3,
      total_score: 800 + dice.session.score,
      play_seconds: 29 * 3,
      top_scores: [
        { game_type: 'lucky_dice', game_name: 'Lucky Dice', score: dice.session.score },
        { game_type: 'reaction', game_name: 'Reaction', score: 500 },
      ],
      events_joined: 2,
      events_claimed: 1,
      purchases: 1,
    });
    expect(profile.inventory).toEqual([{ item_id: itemId, name: 'Gold badge', quantity: 2 }]);
    const expectedSoft = 1000 + 200 - 150 + (dice.reward_items[0]?.type === 'currency' ? dice.reward_items[0].amount : 0);
    expect(profile.currencies).toEqual({ soft: expectedSoft, premium: 0 });
    expect(profile.progression.streak_days).toBe(1);
    expect(profile.progression.exp).toBe(10 + 3 + 10 + 5 + 10 + dice.session.score + 5);

    // The ended event's open participation reads expired; the claimed one shows its claim.
    const byEvent = new Map(profile.participations.map((p) => [p.event_id, p]));
    expect(byEvent.get(event.id)).toMatchObject({ key: event.key, title: 'First win', status: 'claimed', progress: 1, target: 1 });
    expect(byEvent.get(event.id)?.claimed_at).not.toBeNull();
    expect(byEvent.get(ended.id)).toMatchObject({ status: 'expired', claimed_at: null, ends_at: ended.ends_at });

    const activity = profile.recent_activity;
    expect(activity.map((a) => a.at)).toEqual([...activity.map((a) => a.at)].sort().reverse());
    // Each line comes with what it is written from, for a client that says it in another language.
    expect(activity[0]).toMatchObject({
      type: 'purchase',
      summary: 'Bought 1 × Badge pack for 150 soft',
      detail: { sku_name: 'Badge pack', quantity: 1, total_price: 150, currency_type: 'soft' },
    });
    expect(activity[1]).toMatchObject({
      type: 'claim',
      summary: 'Claimed event "First win": 200 soft, 5 exp',
      detail: {
        source: 'event',
        title: 'First win',
        reward_items: [
          { type: 'currency', currency: 'soft', amount: 200 },
          { type: 'exp', amount: 5 },
        ],
      },
    });
    expect(activity.filter((a) => a.type === 'session').map((a) => a.summary)).toEqual([
      `Played Lucky Dice: ${dice.session.score} points in 29 s`,
      'Played Reaction: 500 points in 29 s',
      'Played Reaction: 300 points in 29 s',
    ]);
    expect(activity.find((a) => a.type === 'session')).toMatchObject({
      detail: { game_type: 'lucky_dice', game_name: 'Lucky Dice', score: dice.session.score, duration: 29.7 },
    });
    // The purchase's own shop grant is not listed twice.
    expect(activity.filter((a) => a.type === 'grant').every((a) => !a.summary.startsWith('Purchase'))).toBe(true);
    expect(activity.at(-1)).toMatchObject({ type: 'grant', summary: 'Welcome bonus: 1000 soft' });
  });

  it(`keeps the newest ${PROFILE_RECENT_ACTIVITY} activity entries`, async () => {
    const player = await makePlayer(ctx.app);
    for (let i = 1; i <= 25; i++) {
      ctx.clock.advance(1_000);
      const res = await call(
        'POST',
        '/api/rewards/distribute',
        admin,
        { user_id: player.user.id, bundle: { currencies: { premium: i } }, reason: `gift ${i}` },
        { 'x-idempotency-key': uniqueKey('gift') },
      );
      expect(res.statusCode).toBe(201);
    }
    const { recent_activity } = await fetchProfile(player);
    expect(recent_activity).toHaveLength(PROFILE_RECENT_ACTIVITY);
    expect(recent_activity[0]?.summary).toBe('From the operators (gift 25): 25 premium');
    expect(recent_activity.at(-1)?.summary).toBe('From the operators (gift 6): 6 premium');
  });

  it('runs the same number of queries with 1 and with 20 participations, plays and grants', async () => {
    let queries = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const deps = { db: ctx.db.withPlugin(counter) as Db, clock: ctx.clock, resetTimezone: 'UTC' };
    const count = async (userId: string) => {
      queries = 0;
      const profile = await getProfile(deps, userId);
      return { queries, profile };
    };

    const player = await makePlayer(ctx.app);
    const first = await createEvent({ rules: { metric: 'games_played', target: 50 } });
    await call('POST', `/api/events/${first.id}/participate`, player);
    await play(player, 'reaction', 100);
    const one = await count(player.user.id);
    expect(one.profile.participations).toHaveLength(1);

    for (let i = 0; i < 19; i++) {
      const event = await createEvent({ rules: { metric: 'games_played', target: 50 } });
      await call('POST', `/api/events/${event.id}/participate`, player);
      await play(player, 'reaction', 100 + i);
    }
    const twenty = await count(player.user.id);
    expect(twenty.profile.participations).toHaveLength(20);
    expect(twenty.profile.stats.games_played).toBe(20);
    expect(twenty.queries).toBe(one.queries);
    expect(one.queries).toBe(6);
  });

  it('refuses anonymous callers (401) and any query parameter (400)', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/profile' }), 401, 'UNAUTHENTICATED');
    for (const q of ['user_id=1', 'limit=5']) {
      expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/profile?${q}`, headers: player.headers }), 400, 'VALIDATION_FAILED');
    }
  });
});
