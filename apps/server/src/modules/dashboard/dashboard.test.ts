import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminEventSchema,
  AdminMissionSchema,
  AdminSkuSchema,
  AuthResponseSchema,
  DashboardResponseSchema,
  PendingRewardsResponseSchema,
  type Dashboard,
} from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { uniqueKey } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { expectProblem } from '../../../test/problem.ts';
import type { Db } from '../../db/database.ts';
import { getDashboard, type DashboardDeps } from './service.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** Calls and operator helpers bound to one test app. */
function helpers(ctx: TestContext, admin: () => TestPlayer) {
  const call = (method: 'GET' | 'POST', url: string, as: TestPlayer | undefined, payload?: unknown, headers: Record<string, string> = {}) =>
    ctx.app.inject({
      method,
      url,
      headers: { ...(as?.headers ?? {}), ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });

  const dashboard = async (as: TestPlayer, ifNoneMatch?: string) =>
    call('GET', '/api/dashboard', as, undefined, ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch });

  /** The player's dashboard, checked against the contract, with its ETag. */
  const fetchDashboard = async (as: TestPlayer): Promise<{ etag: string; body: Dashboard }> => {
    const res = await dashboard(as);
    expect(res.statusCode, res.body).toBe(200);
    return { etag: String(res.headers.etag), body: DashboardResponseSchema.parse(res.json()) };
  };

  const createEvent = async (overrides: Record<string, unknown> = {}) => {
    const now = ctx.clock.now().getTime();
    const res = await call('POST', '/api/admin/events', admin(), {
      key: uniqueKey('dash_ev'),
      title: 'Dashboard event',
      type: 'limited',
      starts_at: new Date(now - HOUR_MS).toISOString(),
      ends_at: new Date(now + 7 * DAY_MS).toISOString(),
      rules: { metric: 'games_played', target: 5, game_type: 'reaction' },
      reward_bundle: { currencies: { soft: 100 }, exp: 10 },
      ...overrides,
    });
    expect(res.statusCode, res.body).toBe(201);
    return AdminEventSchema.parse(res.json());
  };

  const createMission = async (overrides: Record<string, unknown> = {}) => {
    const res = await call('POST', '/api/admin/missions', admin(), {
      key: uniqueKey('dash_mi'),
      title: 'Dashboard mission',
      period: 'daily',
      rules: { metric: 'games_played', target: 2 },
      reward_bundle: { currencies: { soft: 50 } },
      ...overrides,
    });
    expect(res.statusCode, res.body).toBe(201);
    return AdminMissionSchema.parse(res.json());
  };

  const createSku = async (overrides: Record<string, unknown> = {}) => {
    const res = await call('POST', '/api/admin/shop/skus', admin(), {
      sku_id: uniqueKey('dash_sku'),
      name: 'Dashboard SKU',
      price: 10,
      currency_type: 'soft',
      bundle: { items: [{ item_id: 'dash_token', quantity: 1 }] },
      ...overrides,
    });
    expect(res.statusCode, res.body).toBe(201);
    return AdminSkuSchema.parse(res.json());
  };

  /** One ended reaction session: starts, lets 30 s pass, ends with `score`. */
  const play = async (as: TestPlayer, score = 100) => {
    const start = await call('POST', '/api/game/sessions/start', as, { game_type: 'reaction' });
    expect(start.statusCode, start.body).toBe(201);
    ctx.clock.advance(30_000);
    const end = await call('POST', `/api/game/sessions/${start.json().session_id}/end`, as, { score, duration: 29 });
    expect(end.statusCode, end.body).toBe(200);
  };

  /** A fresh access token (they live 15 minutes; tests that move the clock by days need one). */
  const relogin = async (as: TestPlayer): Promise<TestPlayer> => {
    const res = await call('POST', '/api/auth/login', undefined, { site_id: as.user.site_id, password: as.password });
    expect(res.statusCode, res.body).toBe(200);
    const auth = AuthResponseSchema.parse(res.json());
    return { ...as, ...auth, headers: { authorization: `Bearer ${auth.access_token}` } };
  };

  return { call, dashboard, fetchDashboard, createEvent, createMission, createSku, play, relogin };
}

describe('GET /api/dashboard', () => {
  let ctx: TestContext;
  let admin: TestPlayer;
  let h: ReturnType<typeof helpers>;
  beforeAll(async () => {
    ctx = await buildTestApp();
    admin = await makeAdmin(ctx);
    h = helpers(ctx, () => admin);
  });
  afterAll(() => ctx?.close());

  it('answers the SPEC shape with a weak ETag and private, no-cache', async () => {
    const player = await makePlayer(ctx.app, { nickname: 'Dash' });
    const res = await h.dashboard(player);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toMatch(/^W\/"[0-9a-f]{32}-\d+-\d+-\d+"$/);
    expect(res.headers['cache-control']).toBe('private, no-cache');
    const raw = res.json();
    expect(Object.keys(raw).sort()).toEqual(
      ['active_events', 'currencies', 'last_24h', 'missions', 'pending_rewards', 'profile', 'recent_sessions', 'shop_highlights', 'today_rewards'].sort(),
    );
    expect(Object.keys(raw.profile).sort()).toEqual(['exp', 'exp_to_next_level', 'id', 'level', 'nickname', 'site_id', 'streak_days', 'tier'].sort());
    const body = DashboardResponseSchema.parse(raw);
    expect(body.profile).toEqual({
      id: player.user.id,
      site_id: player.user.site_id,
      nickname: 'Dash',
      tier: 'bronze',
      level: 1,
      exp: 0,
      exp_to_next_level: 100,
      streak_days: 0,
    });
    expect(body.currencies).toEqual({ soft: 1000, premium: 0 });
    expect(body.today_rewards).toEqual({ soft: 1000, premium: 0, exp: 0 });
    expect(body.last_24h).toEqual({ games: 0, missions_completed: 0 });
    expect(body.recent_sessions).toEqual([]);
  });

  it('shows running events with the participation, and only running ones', async () => {
    const player = await makePlayer(ctx.app);
    const now = ctx.clock.now().getTime();
    const joined = await h.createEvent({ rules: { metric: 'games_played', target: 3, game_type: 'reaction' } });
    const notJoined = await h.createEvent();
    const future = await h.createEvent({ starts_at: new Date(now + HOUR_MS).toISOString(), ends_at: new Date(now + 2 * HOUR_MS).toISOString() });
    expect((await h.call('POST', `/api/events/${joined.id}/participate`, player)).statusCode).toBe(201);
    await h.play(player);

    const { body } = await h.fetchDashboard(player);
    const byId = new Map(body.active_events.map((e) => [e.id, e]));
    expect(byId.has(future.id)).toBe(false);
    expect(byId.get(notJoined.id)?.participation).toBeNull();
    expect(byId.get(joined.id)).toEqual({
      id: joined.id,
      key: joined.key,
      title: joined.title,
      type: 'limited',
      ends_at: joined.ends_at,
      rules: { metric: 'games_played', target: 3, game_type: 'reaction' },
      reward_bundle: { currencies: { soft: 100 }, exp: 10 },
      participation: { status: 'active', progress: 1, target: 3, progress_version: 1 },
    });
  });

  it('answers 304 with no body to a matching If-None-Match, in any of its forms', async () => {
    const player = await makePlayer(ctx.app);
    const { etag } = await h.fetchDashboard(player);
    for (const header of [etag, etag.replace(/^W\//, ''), `"nope", ${etag}`, `W/"a,b", ${etag}`, '*']) {
      const res = await h.dashboard(player, header);
      expect(res.statusCode, header).toBe(304);
      expect(res.body).toBe('');
      expect(res.headers.etag).toBe(etag);
      expect(res.headers['cache-control']).toBe('private, no-cache');
    }
    for (const header of ['"nope"', 'W/"1-1-1"', etag.slice(2, -1), '']) {
      expect((await h.dashboard(player, header)).statusCode, header).toBe(200);
    }
  });

  it("never answers 304 to one player holding another player's tag, and varies by Authorization", async () => {
    // Two new players in one minute hold the same versions: state 1 after signup, the same content.
    const a = await makePlayer(ctx.app);
    const b = await makePlayer(ctx.app);
    const { etag } = await h.fetchDashboard(a);
    const res = await h.dashboard(b, etag);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).not.toBe(etag);
    expect(res.headers.vary).toBe('Authorization');
    expect((await h.dashboard(b, res.headers.etag as string)).statusCode).toBe(304);
  });

  describe('a new ETag after every change the player can see', () => {
    /** Runs `change` and expects the ETag held before it to be answered with 200 and a new tag. */
    async function expectInvalidated(player: TestPlayer, change: () => Promise<void>) {
      const { etag } = await h.fetchDashboard(player);
      expect((await h.dashboard(player, etag)).statusCode).toBe(304);
      await change();
      const res = await h.dashboard(player, etag);
      expect(res.statusCode).toBe(200);
      expect(res.headers.etag).not.toBe(etag);
      DashboardResponseSchema.parse(res.json());
    }

    it('an event claim', async () => {
      const player = await makePlayer(ctx.app);
      const event = await h.createEvent({ rules: { metric: 'games_played', target: 1, game_type: 'reaction' } });
      await h.call('POST', `/api/events/${event.id}/participate`, player);
      await h.play(player);
      await expectInvalidated(player, async () => {
        expect((await h.call('POST', `/api/events/${event.id}/claim`, player)).statusCode).toBe(200);
      });
    });

    it('a purchase', async () => {
      const player = await makePlayer(ctx.app);
      const sku = await h.createSku();
      await expectInvalidated(player, async () => {
        expect((await h.call('POST', '/api/shop/purchase', player, { sku_id: sku.sku_id })).statusCode).toBe(201);
      });
    });

    it('a session end', async () => {
      const player = await makePlayer(ctx.app);
      const start = await h.call('POST', '/api/game/sessions/start', player, { game_type: 'reaction' });
      ctx.clock.advance(20_000);
      await expectInvalidated(player, async () => {
        const end = await h.call('POST', `/api/game/sessions/${start.json().session_id}/end`, player, { score: 50, duration: 19 });
        expect(end.statusCode).toBe(200);
      });
    });

    it('a client progress report', async () => {
      const player = await makePlayer(ctx.app);
      const event = await h.createEvent({ rules: { metric: 'score_total', target: 100, client_reportable: true } });
      await expectInvalidated(player, async () => {
        const res = await h.call('POST', `/api/events/${event.id}/progress`, player, { metric: 'score_total', delta: 10 });
        expect(res.statusCode, res.body).toBe(200);
      });
    });

    it("an operator's grant", async () => {
      const player = await makePlayer(ctx.app);
      await expectInvalidated(player, async () => {
        const res = await h.call(
          'POST',
          '/api/rewards/distribute',
          admin,
          { user_id: player.user.id, bundle: { currencies: { premium: 5 } }, reason: 'sorry' },
          { 'x-idempotency-key': uniqueKey('grant') },
        );
        expect(res.statusCode, res.body).toBe(201);
      });
    });

    it('an operator creating an event, a mission, a SKU or an item', async () => {
      const player = await makePlayer(ctx.app);
      await expectInvalidated(player, async () => void (await h.createEvent()));
      await expectInvalidated(player, async () => void (await h.createMission()));
      await expectInvalidated(player, async () => void (await h.createSku()));
      await expectInvalidated(player, async () => {
        const res = await h.call('POST', '/api/admin/items', admin, { item_id: uniqueKey('dash_item'), name: 'Badge', kind: 'cosmetic' });
        expect(res.statusCode, res.body).toBe(201);
      });
    });

    it('an operator changing an event', async () => {
      const player = await makePlayer(ctx.app);
      const event = await h.createEvent();
      await expectInvalidated(player, async () => {
        const res = await ctx.app.inject({
          method: 'PATCH',
          url: `/api/admin/events/${event.id}`,
          headers: { ...admin.headers, 'content-type': 'application/json' },
          payload: JSON.stringify({ title: 'Renamed' }),
        });
        expect(res.statusCode, res.body).toBe(200);
      });
    });
  });

  it('keeps the ETag through an operator create refused as a duplicate (422), which changed nothing', async () => {
    const watcher = await makePlayer(ctx.app);
    const event = await h.createEvent();
    const mission = await h.createMission();
    const sku = await h.createSku();
    const item = { item_id: uniqueKey('dash_dup'), name: 'Badge', kind: 'cosmetic' };
    expect((await h.call('POST', '/api/admin/items', admin, item)).statusCode).toBe(201);
    const { etag } = await h.fetchDashboard(watcher);

    const now = ctx.clock.now().getTime();
    const again = [
      h.call('POST', '/api/admin/events', admin, {
        key: event.key,
        title: 'Again',
        type: 'limited',
        starts_at: new Date(now - HOUR_MS).toISOString(),
        ends_at: new Date(now + DAY_MS).toISOString(),
        rules: { metric: 'wins', target: 1 },
        reward_bundle: { exp: 1 },
      }),
      h.call('POST', '/api/admin/missions', admin, { key: mission.key, title: 'Again', period: 'daily', rules: { metric: 'wins', target: 1 }, reward_bundle: { exp: 1 } }),
      h.call('POST', '/api/admin/shop/skus', admin, { sku_id: sku.sku_id, name: 'Again', price: 1, currency_type: 'soft', bundle: { exp: 1 } }),
      h.call('POST', '/api/admin/items', admin, item),
    ];
    for (const res of await Promise.all(again)) expect(res.statusCode, res.body).toBe(422);

    expect((await h.dashboard(watcher, etag)).statusCode).toBe(304);
  });

  it("keeps the ETag through another player's plays, claims and purchases (stock included)", async () => {
    const watcher = await makePlayer(ctx.app);
    const other = await makePlayer(ctx.app);
    const event = await h.createEvent({ rules: { metric: 'games_played', target: 1, game_type: 'reaction' } });
    const limited = await h.createSku({ segment: 'limited', stock: 50 });
    await h.call('POST', `/api/events/${event.id}/participate`, other);
    const start = await h.call('POST', '/api/game/sessions/start', other, { game_type: 'reaction' });
    ctx.clock.advance(10_000);

    const { etag } = await h.fetchDashboard(watcher);
    expect((await h.call('POST', `/api/game/sessions/${start.json().session_id}/end`, other, { score: 10, duration: 9 })).statusCode).toBe(200);
    expect((await h.call('POST', `/api/events/${event.id}/claim`, other)).statusCode).toBe(200);
    expect((await h.call('POST', '/api/shop/purchase', other, { sku_id: limited.sku_id })).statusCode).toBe(201);

    expect((await h.dashboard(watcher, etag)).statusCode).toBe(304);
  });

  it('changes the ETag when the clock passes a minute boundary, and not before', async () => {
    const player = await makePlayer(ctx.app);
    const now = ctx.clock.now().getTime();
    ctx.clock.set(new Date(Math.floor(now / 60_000) * 60_000 + 60_000 + 5_000)); // hh:mm:05 of the next minute
    const { etag } = await h.fetchDashboard(player);
    ctx.clock.advance(54_999); // hh:mm:59.999
    expect((await h.dashboard(player, etag)).statusCode).toBe(304);
    ctx.clock.advance(1); // the next minute
    const res = await h.dashboard(player, etag);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).not.toBe(etag);
  });

  it('shows an event from the minute it opens', async () => {
    const player = await makePlayer(ctx.app);
    const now = ctx.clock.now().getTime();
    const opensAt = Math.floor(now / 60_000) * 60_000 + 2 * 60_000;
    const event = await h.createEvent({ starts_at: new Date(opensAt).toISOString() });
    const before = await h.fetchDashboard(player);
    expect(before.body.active_events.map((e) => e.id)).not.toContain(event.id);
    ctx.clock.set(new Date(opensAt));
    const res = await h.dashboard(player, before.etag);
    expect(res.statusCode).toBe(200);
    expect(DashboardResponseSchema.parse(res.json()).active_events.map((e) => e.id)).toContain(event.id);
  });

  it('highlights at most three offers the player can still buy, limited first', async () => {
    const player = await makePlayer(ctx.app);
    const limitedSoldToThem = await h.createSku({ segment: 'limited', per_user_limit: 1 });
    const limited = await h.createSku({ segment: 'limited', stock: 10 });
    for (let i = 0; i < 4; i++) await h.createSku();
    expect((await h.call('POST', '/api/shop/purchase', player, { sku_id: limitedSoldToThem.sku_id })).statusCode).toBe(201);

    const { body } = await h.fetchDashboard(player);
    expect(body.shop_highlights).toHaveLength(3);
    const ids = body.shop_highlights.map((s) => s.sku_id);
    expect(ids).not.toContain(limitedSoldToThem.sku_id);
    expect(ids).toContain(limited.sku_id);
    const firstRegular = body.shop_highlights.findIndex((s) => s.segment === 'regular');
    expect(body.shop_highlights.slice(firstRegular).every((s) => s.segment === 'regular')).toBe(true);
  });

  it("does not count a pack bought in the shop as today's rewards", async () => {
    const player = await makePlayer(ctx.app);
    const pack = await h.createSku({ price: 100, bundle: { currencies: { premium: 3 }, exp: 5 } });
    const before = (await h.fetchDashboard(player)).body.today_rewards;
    expect((await h.call('POST', '/api/shop/purchase', player, { sku_id: pack.sku_id })).statusCode).toBe(201);
    const after = (await h.fetchDashboard(player)).body;
    expect(after.today_rewards).toEqual(before);
    expect(after.currencies).toEqual({ soft: 900, premium: 3 });
  });

  it('refuses anonymous callers (401) and any query parameter (400)', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/dashboard' }), 401, 'UNAUTHENTICATED');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: { authorization: 'Bearer nope' } }), 401, 'UNAUTHENTICATED');
    for (const q of ['limit=3', 'fields=profile', 'active=true']) {
      expectProblem(await ctx.app.inject({ method: 'GET', url: `/api/dashboard?${q}`, headers: player.headers }), 400, 'VALIDATION_FAILED');
    }
    expectProblem(
      await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: { ...player.headers, 'if-none-match': 'x'.repeat(2000) } }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('dashboard numbers after a scripted loop', () => {
  let ctx: TestContext;
  let admin: TestPlayer;
  let h: ReturnType<typeof helpers>;
  beforeAll(async () => {
    ctx = await buildTestApp();
    admin = await makeAdmin(ctx);
    h = helpers(ctx, () => admin);
  });
  afterAll(() => ctx?.close());

  it('counts today, the last 24 hours, pending rewards and the streak', async () => {
    ctx.clock.set('2026-12-01T09:00:00Z');
    admin = await h.relogin(admin);
    const mission = await h.createMission({ rules: { metric: 'games_played', target: 2 }, reward_bundle: { currencies: { soft: 50 }, exp: 20 } });
    let player = await makePlayer(ctx.app);

    // Signup bonus 1000 → today's soft.
    let dash = (await h.fetchDashboard(player)).body;
    expect(dash.today_rewards).toEqual({ soft: 1000, premium: 0, exp: 0 });
    expect(dash.last_24h).toEqual({ games: 0, missions_completed: 0 });

    // Two plays: the mission is completed, claimable (one pending reward); the streak starts.
    await h.play(player, 120);
    await h.play(player, 340);
    dash = (await h.fetchDashboard(player)).body;
    expect(dash.last_24h).toEqual({ games: 2, missions_completed: 1 });
    expect(dash.recent_sessions.map((s) => s.score)).toEqual([340, 120]);
    expect(dash.profile.streak_days).toBe(1);
    expect(dash.missions.daily.find((m) => m.id === mission.id)).toMatchObject({ progress: 2, target: 2, status: 'claimable' });
    const pending = PendingRewardsResponseSchema.parse((await h.call('GET', '/api/rewards/pending', player)).json());
    expect(dash.pending_rewards).toBe(pending.count);
    expect(dash.pending_rewards).toBeGreaterThanOrEqual(1);
    const pendingBefore = dash.pending_rewards;

    // Claim the mission → still one completed, its reward in today's totals (the plays' exp too).
    expect((await h.call('POST', `/api/events/missions/${mission.id}/claim`, player)).statusCode).toBe(200);
    dash = (await h.fetchDashboard(player)).body;
    expect(dash.last_24h).toEqual({ games: 2, missions_completed: 1 });
    expect(dash.today_rewards).toEqual({ soft: 1050, premium: 0, exp: 11 + 13 + 20 });
    expect(dash.pending_rewards).toBe(pendingBefore - 1);
    expect(dash.currencies).toEqual({ soft: 1050, premium: 0 });
    // Exp: 2 plays × (10 base + 1 per 100 points) + the mission's 20.
    expect(dash.profile).toMatchObject({ exp: 11 + 13 + 20, level: 1, exp_to_next_level: 100 - 44 });

    // The next day: today's totals start again, the plays are still within 24 hours.
    ctx.clock.set('2026-12-02T08:00:00Z');
    player = await h.relogin(player);
    dash = (await h.fetchDashboard(player)).body;
    expect(dash.today_rewards).toEqual({ soft: 0, premium: 0, exp: 0 });
    expect(dash.last_24h).toEqual({ games: 2, missions_completed: 1 });
    expect(dash.profile.streak_days).toBe(1); // yesterday's play keeps it
    await h.play(player);
    expect((await h.fetchDashboard(player)).body.profile.streak_days).toBe(2);

    // Day three: 24 hours later the first day's plays have left the window.
    ctx.clock.set('2026-12-03T10:00:00Z');
    player = await h.relogin(player);
    await h.play(player);
    dash = (await h.fetchDashboard(player)).body;
    expect(dash.profile.streak_days).toBe(3);
    expect(dash.last_24h).toEqual({ games: 1, missions_completed: 0 });

    // A missed day ends the streak for the reader, though the stored count is only reset by a play.
    ctx.clock.set('2026-12-05T10:00:00Z');
    player = await h.relogin(player);
    expect((await h.fetchDashboard(player)).body.profile.streak_days).toBe(0);
    const stored = await ctx.db.selectFrom('users').select('streak_days').where('id', '=', player.user.id).executeTakeFirstOrThrow();
    expect(stored.streak_days).toBe(3);
    await expectLedgerClean(ctx.db);
  });
});

describe("today_rewards.exp counts the day's plays", () => {
  let ctx: TestContext;
  let admin: TestPlayer;
  let h: ReturnType<typeof helpers>;
  beforeAll(async () => {
    ctx = await buildTestApp();
    admin = await makeAdmin(ctx);
    h = helpers(ctx, () => admin);
  });
  afterAll(() => ctx?.close());

  it('adds the exp of plays (no grant) to the exp of grants, today only, shop packs left out', async () => {
    ctx.clock.set('2026-12-01T23:58:00Z');
    admin = await h.relogin(admin);
    let player = await makePlayer(ctx.app);
    // Yesterday's play (ends 23:58:30): its exp is not today's.
    await h.play(player, 2000);

    ctx.clock.set('2026-12-02T09:00:00Z');
    admin = await h.relogin(admin);
    player = await h.relogin(player);
    const mission = await h.createMission({ rules: { metric: 'games_played', target: 2 }, reward_bundle: { exp: 50 } });
    const pack = await h.createSku({ price: 10, bundle: { exp: 5 } });
    const first = await h.fetchDashboard(player);
    expect(first.body.today_rewards).toEqual({ soft: 0, premium: 0, exp: 0 });

    // A play: 10 base + 1 per 100 points. The tag held before it is stale, and the body is rebuilt.
    await h.play(player, 500);
    const afterPlay = await h.dashboard(player, first.etag);
    expect(afterPlay.statusCode).toBe(200);
    expect(afterPlay.headers.etag).not.toBe(first.etag);
    expect(DashboardResponseSchema.parse(afterPlay.json()).today_rewards).toEqual({ soft: 0, premium: 0, exp: 15 });

    // The same again: the body kept for the last read is under a stale tag and is not answered.
    await h.play(player, 500);
    expect((await h.fetchDashboard(player)).body.today_rewards).toEqual({ soft: 0, premium: 0, exp: 30 });

    // 30 from plays and 50 from the mission's grant; a pack bought in the shop is not a reward.
    expect((await h.call('POST', `/api/events/missions/${mission.id}/claim`, player)).statusCode).toBe(200);
    expect((await h.call('POST', '/api/shop/purchase', player, { sku_id: pack.sku_id })).statusCode).toBe(201);
    const dash = (await h.fetchDashboard(player)).body;
    expect(dash.today_rewards).toEqual({ soft: 0, premium: 0, exp: 80 });
    // The profile's exp has every source: yesterday's play (10 + 20), today's 80, the pack's 5.
    expect(dash.profile.exp).toBe(30 + 80 + 5);
  });
});

describe('today_rewards in RESET_TIMEZONE', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await buildTestApp({ config: { resetTimezone: 'Asia/Seoul' } });
  });
  afterAll(() => ctx?.close());

  it('starts the day at local midnight (15:00 UTC in Seoul)', async () => {
    ctx.clock.set('2026-12-01T14:59:00Z'); // 23:59 in Seoul
    const player = await makePlayer(ctx.app);
    const res = await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers });
    expect(DashboardResponseSchema.parse(res.json()).today_rewards.soft).toBe(1000);
    ctx.clock.set('2026-12-01T15:00:00Z'); // 00:00 the next day in Seoul
    const next = await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers });
    expect(DashboardResponseSchema.parse(next.json()).today_rewards.soft).toBe(0);
  });

  it("counts a play's exp on the local day it ended", async () => {
    ctx.clock.set('2026-12-02T14:58:00Z'); // 23:58 in Seoul
    const player = await makePlayer(ctx.app);
    const dashboard = async () =>
      DashboardResponseSchema.parse((await ctx.app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers })).json()).today_rewards.exp;
    const start = await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: player.headers, payload: { game_type: 'reaction' } });
    expect(start.statusCode, start.body).toBe(201);
    ctx.clock.advance(30_000);
    const end = await ctx.app.inject({ method: 'POST', url: `/api/game/sessions/${start.json().session_id}/end`, headers: player.headers, payload: { score: 300, duration: 29 } });
    expect(end.statusCode, end.body).toBe(200);
    expect(await dashboard()).toBe(13);
    ctx.clock.set('2026-12-02T15:00:00Z'); // 00:00 the next day in Seoul
    expect(await dashboard()).toBe(0);
  });
});

describe('dashboard query count', () => {
  let ctx: TestContext;
  let admin: TestPlayer;
  let h: ReturnType<typeof helpers>;
  beforeAll(async () => {
    ctx = await buildTestApp();
    admin = await makeAdmin(ctx);
    h = helpers(ctx, () => admin);
  });
  afterAll(() => ctx?.close());

  /** The dashboard service on a db that counts every query it runs. */
  function countedService() {
    let queries = 0;
    const counter: KyselyPlugin = {
      transformQuery: (args) => {
        queries += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const deps: DashboardDeps = { db: ctx.db.withPlugin(counter) as Db, clock: ctx.clock, resetTimezone: 'UTC' };
    return async (userId: string, ifNoneMatch?: string) => {
      queries = 0;
      const reply = await getDashboard(deps, userId, ifNoneMatch);
      return { queries, reply };
    };
  }

  it('is the same with 1 and with 20 active events and missions, joined and progressed', async () => {
    const run = countedService();
    const player = await makePlayer(ctx.app);
    const joinAndPlay = async (events: { id: string }[]) => {
      for (const event of events) await h.call('POST', `/api/events/${event.id}/participate`, player);
      await h.play(player);
    };
    await joinAndPlay([await h.createEvent()]);
    await h.createMission();
    await h.createSku();

    const one = await run(player.user.id);
    expect(one.reply.notModified).toBe(false);
    const small = one.reply.notModified ? undefined : (JSON.parse(one.reply.body.toString('utf8')) as Dashboard);
    expect(small?.active_events).toHaveLength(1);
    expect(small?.missions.daily).toHaveLength(1);

    const more = [];
    for (let i = 0; i < 19; i++) more.push(await h.createEvent());
    for (let i = 0; i < 19; i++) await h.createMission({ period: i % 2 ? 'daily' : 'weekly' });
    for (let i = 0; i < 5; i++) await h.createSku();
    await joinAndPlay(more);
    await h.play(player);

    const twenty = await run(player.user.id);
    const large = twenty.reply.notModified ? undefined : (JSON.parse(twenty.reply.body.toString('utf8')) as Dashboard);
    expect(large?.active_events).toHaveLength(20);
    expect(large?.active_events.every((e) => e.participation !== null)).toBe(true);
    expect((large?.missions.daily.length ?? 0) + (large?.missions.weekly.length ?? 0)).toBe(20);
    expect(large?.recent_sessions).toHaveLength(3);

    expect(twenty.queries).toBe(one.queries);
    // One read for the ETag, then eight for the body.
    expect(one.queries).toBe(9);

    // The 304 path: the ETag read alone.
    const notModified = await run(player.user.id, twenty.reply.etag);
    expect(notModified.reply.notModified).toBe(true);
    expect(notModified.queries).toBe(1);
  });
});
