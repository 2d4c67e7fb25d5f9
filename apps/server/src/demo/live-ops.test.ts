import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventListResponseSchema, MissionsResponseSchema } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../test/build-app.ts';
import { makePlayer } from '../../test/factories/players.ts';
import { gameTypes } from '../modules/games/registry.ts';
import { DEMO_MISSIONS, demoEvents, seedDemoLiveOps } from './live-ops.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

describe('demo live-ops content', () => {
  it('seeds at least three running events and daily and weekly missions, once', async () => {
    await ctx.db.transaction().execute((trx) => seedDemoLiveOps(trx, ctx.clock.now()));
    await ctx.db.transaction().execute((trx) => seedDemoLiveOps(trx, ctx.clock.now()));
    const player = await makePlayer(ctx.app);

    const events = EventListResponseSchema.parse(
      (await ctx.app.inject({ method: 'GET', url: '/api/events?active=true', headers: player.headers })).json(),
    ).items;
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.map((e) => e.key).sort()).toEqual(demoEvents(ctx.clock.now()).map((e) => e.key).sort());
    expect(events.some((e) => e.rules.client_reportable)).toBe(true);
    expect(events.some((e) => e.type === 'limited')).toBe(true);

    const missions = MissionsResponseSchema.parse(
      (await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).json(),
    );
    expect(missions.daily.length).toBeGreaterThanOrEqual(2);
    expect(missions.weekly.length).toBeGreaterThanOrEqual(2);
    expect(missions.daily.length + missions.weekly.length).toBe(DEMO_MISSIONS.length);
  });

  it('names only game types the server knows', () => {
    const named = [...demoEvents(new Date()).map((e) => e.rules.game_type), ...DEMO_MISSIONS.map((m) => m.rules.game_type)];
    for (const gameType of named.filter((g): g is string => g !== undefined)) expect(gameTypes.has(gameType)).toBe(true);
  });
});
