import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissionsResponseSchema, type Mission } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeMission } from '../../../test/factories/live-ops.ts';
import { makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectProblem } from '../../../test/problem.ts';
import { advanceProgressForPlay } from '../events/progress.ts';
import type { MissionRow } from './repo.ts';

// An app whose missions reset at midnight in Seoul (UTC+9): a day starts at 15:00Z the day before.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp({ config: { resetTimezone: 'Asia/Seoul' } });
});
afterAll(() => ctx?.close());

const list = async (player: TestPlayer) =>
  MissionsResponseSchema.parse((await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).json());
const find = (missions: { daily: Mission[]; weekly: Mission[] }, mission: MissionRow) =>
  [...missions.daily, ...missions.weekly].find((m) => m.id === mission.id);
const claim = (mission: MissionRow, player: TestPlayer) =>
  ctx.app.inject({ method: 'POST', url: `/api/events/missions/${mission.id}/claim`, headers: player.headers });
/** One play, as the game-session flow reports it, in the app's zone. */
const play = (player: TestPlayer) =>
  ctx.db.transaction().execute((trx) =>
    advanceProgressForPlay(trx, {
      userId: player.user.id,
      sessionId: crypto.randomUUID(),
      gameType: 'reaction',
      score: 50,
      durationS: 20,
      won: false,
      now: ctx.clock.now(),
      resetTimezone: 'Asia/Seoul',
    }),
  );

async function at<T>(when: string, player: TestPlayer, fn: () => Promise<T>): Promise<T> {
  const saved = ctx.clock.now();
  ctx.clock.set(when);
  try {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
    player.headers = { authorization: `Bearer ${(res.json() as { access_token: string }).access_token}` };
    return await fn();
  } finally {
    ctx.clock.set(saved);
  }
}

describe('missions in Asia/Seoul', () => {
  it('reset the day at 15:00Z and count a play near it in the local day', async () => {
    const player = await makePlayer(ctx.app);
    const daily = await makeMission(ctx, { period: 'daily', rules: { metric: 'games_played', target: 1 } });
    await at('2026-11-28T14:59:59.000Z', player, async () => {
      await play(player);
      expect(find(await list(player), daily)).toMatchObject({
        period_key: '2026-11-28',
        resets_at: '2026-11-28T15:00:00.000Z',
        status: 'claimable',
      });
    });
    await at('2026-11-28T15:00:00.000Z', player, async () => {
      expect(find(await list(player), daily)).toMatchObject({ period_key: '2026-11-29', status: 'active', progress: 0 });
      expectProblem(await claim(daily, player), 409, 'NOT_CLAIMABLE');
      await play(player);
      expect((await claim(daily, player)).json()).toMatchObject({ period_key: '2026-11-29', status: 'claimed' });
    });
    const rows = await ctx.db.selectFrom('mission_progress').select(['period_key', 'period_ends_at']).where('mission_id', '=', daily.id).orderBy('period_key').execute();
    expect(rows).toEqual([
      { period_key: '2026-11-28', period_ends_at: new Date('2026-11-28T15:00:00Z') },
      { period_key: '2026-11-29', period_ends_at: new Date('2026-11-29T15:00:00Z') },
    ]);
  });

  it('reset the week on Monday 00:00 Seoul time (Sunday 15:00Z)', async () => {
    const player = await makePlayer(ctx.app);
    const weekly = await makeMission(ctx, { period: 'weekly', rules: { metric: 'games_played', target: 2 } });
    await at('2026-11-29T14:59:00.000Z', player, async () => {
      await play(player);
      await play(player);
      expect(find(await list(player), weekly)).toMatchObject({ period_key: '2026-W48', status: 'claimable' });
    });
    await at('2026-11-29T15:00:00.000Z', player, async () => {
      expect(find(await list(player), weekly)).toMatchObject({
        period_key: '2026-W49',
        progress: 0,
        status: 'active',
        resets_at: '2026-12-06T15:00:00.000Z',
      });
      expectProblem(await claim(weekly, player), 409, 'NOT_CLAIMABLE');
    });
  });
});
