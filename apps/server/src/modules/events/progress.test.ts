import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressUpdateSchema, type EventRules, type ProgressUpdate } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeEvent, makeMission } from '../../../test/factories/live-ops.ts';
import { makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { advanceProgressForMetric, advanceProgressForPlay, playDeltas, type PlayOutcome } from './progress.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

type Play = Partial<Omit<PlayOutcome, 'userId'>>;
const playAs = (player: TestPlayer, p: Play = {}) =>
  ctx.db.transaction().execute((trx) =>
    advanceProgressForPlay(trx, {
      userId: player.user.id,
      sessionId: crypto.randomUUID(),
      gameType: 'reaction',
      score: 100,
      durationS: 30,
      won: false,
      now: ctx.clock.now(),
      resetTimezone: 'UTC',
      ...p,
    }),
  );

async function joined(player: TestPlayer, rules: EventRules, window: { startsAt?: Date; endsAt?: Date } = {}) {
  const event = await makeEvent(ctx, { rules, ...window });
  const res = await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: player.headers });
  if (res.statusCode !== 201) throw new Error(res.body);
  return event;
}

const participation = (player: TestPlayer, eventId: string) =>
  ctx.db
    .selectFrom('event_participations')
    .select(['status', 'progress', 'target', 'progress_version', 'last_progress_at'])
    .where('user_id', '=', player.user.id)
    .where('event_id', '=', eventId)
    .executeTakeFirstOrThrow();
const stateVersion = async (player: TestPlayer) =>
  (await ctx.db.selectFrom('users').select('state_version').where('id', '=', player.user.id).executeTakeFirstOrThrow()).state_version;
const byId = (updates: ProgressUpdate[]) => new Map(updates.map((u) => [u.id, u]));

describe('playDeltas', () => {
  it.each([
    [{ score: 150, durationS: 30.9, won: false }, { games_played: 1, score_total: 150, play_seconds: 30 }],
    [{ score: 0, durationS: 0.4, won: true }, { games_played: 1, wins: 1 }],
    [{ score: 7, durationS: 12, won: true }, { games_played: 1, score_total: 7, play_seconds: 12, wins: 1 }],
  ])('%j counts %j', (outcome, expected) => {
    expect(Object.fromEntries(playDeltas(outcome).map((d) => [d.metric, d.delta]))).toEqual(expected);
  });
});

describe('advanceProgressForPlay', () => {
  it('advances exactly the participations whose rules the play matches', async () => {
    const player = await makePlayer(ctx.app);
    const anyGame = await joined(player, { metric: 'games_played', target: 3 });
    const reactionScore = await joined(player, { metric: 'score_total', target: 500, game_type: 'reaction' });
    const diceScore = await joined(player, { metric: 'score_total', target: 500, game_type: 'lucky_dice' });
    const highScores = await joined(player, { metric: 'games_played', target: 2, min_score: 120 });
    const seconds = await joined(player, { metric: 'play_seconds', target: 100 });
    const diceWins = await joined(player, { metric: 'wins', target: 1, game_type: 'lucky_dice' });
    const logins = await joined(player, { metric: 'logins', target: 5 });
    const clientSide = await joined(player, { metric: 'games_played', target: 5, client_reportable: true });
    const notJoined = await makeEvent(ctx, { rules: { metric: 'games_played', target: 3 } });

    const first = await playAs(player, { gameType: 'reaction', score: 150, durationS: 30.7 });
    for (const u of first) ProgressUpdateSchema.parse(u);
    const firstById = byId(first);
    expect([...firstById.keys()].sort()).toEqual([anyGame.id, reactionScore.id, highScores.id, seconds.id].sort());
    expect(firstById.get(anyGame.id)).toEqual({ kind: 'event', id: anyGame.id, progress: 1, target: 3, completed: false, progress_version: 1 });
    expect(firstById.get(reactionScore.id)).toMatchObject({ progress: 150, progress_version: 1 });
    expect(firstById.get(seconds.id)).toMatchObject({ progress: 30 });

    // Below min_score, another game type, a win.
    const second = byId(await playAs(player, { gameType: 'lucky_dice', score: 7, durationS: 5, won: true }));
    expect([...second.keys()].sort()).toEqual([anyGame.id, diceScore.id, seconds.id, diceWins.id].sort());
    expect(second.get(diceWins.id)).toMatchObject({ progress: 1, target: 1, completed: true, progress_version: 1 });
    expect(await participation(player, diceWins.id)).toMatchObject({ status: 'claimable' });

    for (const untouched of [logins, clientSide]) {
      expect(await participation(player, untouched.id)).toMatchObject({ status: 'active', progress: 0, progress_version: 0, last_progress_at: null });
    }
    const stray = await ctx.db.selectFrom('event_participations').select('user_id').where('event_id', '=', notJoined.id).execute();
    expect(stray).toEqual([]);
  });

  it('stops at the target, keeps a completed participation stable and strictly increases versions', async () => {
    const player = await makePlayer(ctx.app);
    const event = await joined(player, { metric: 'score_total', target: 500, game_type: 'reaction' });
    const versions: number[] = [];
    for (const score of [200, 200, 200]) {
      const update = byId(await playAs(player, { score })).get(event.id);
      versions.push(update!.progress_version);
    }
    expect(versions).toEqual([1, 2, 3]);
    expect(await participation(player, event.id)).toMatchObject({ status: 'claimable', progress: 500, target: 500, progress_version: 3 });
    const after = await playAs(player, { score: 200 });
    expect(after.some((u) => u.id === event.id)).toBe(false);
    expect(await participation(player, event.id)).toMatchObject({ progress: 500, progress_version: 3 });
  });

  it('ignores events outside their window', async () => {
    const player = await makePlayer(ctx.app);
    const event = await joined(player, { metric: 'games_played', target: 3 }, { endsAt: new Date(ctx.clock.now().getTime() + 5 * 60_000) });
    const saved = ctx.clock.now();
    try {
      ctx.clock.set(event.ends_at);
      expect((await playAs(player)).some((u) => u.id === event.id)).toBe(false);
    } finally {
      ctx.clock.set(saved);
    }
    expect(await participation(player, event.id)).toMatchObject({ progress: 0, progress_version: 0 });
  });

  it('bumps the player’s state version only when something changed', async () => {
    const player = await makePlayer(ctx.app);
    const before = await stateVersion(player);
    expect(await playAs(player)).toEqual([]);
    expect(await stateVersion(player)).toBe(before);
    await joined(player, { metric: 'games_played', target: 3 });
    const joinedAt = await stateVersion(player);
    expect(await playAs(player)).toHaveLength(1);
    expect(await stateVersion(player)).toBe(joinedAt + 1);
  });

  it('upserts the current period of matching missions, lazily and atomically', async () => {
    const player = await makePlayer(ctx.app);
    const daily = await makeMission(ctx, { period: 'daily', rules: { metric: 'games_played', target: 2 } });
    const weekly = await makeMission(ctx, { period: 'weekly', rules: { metric: 'score_total', target: 1000, game_type: 'reaction' } });
    const inactive = await makeMission(ctx, { period: 'daily', rules: { metric: 'games_played', target: 1 }, active: false });
    const minScore = await makeMission(ctx, { period: 'daily', rules: { metric: 'games_played', target: 1, min_score: 1_000 } });

    const first = byId(await playAs(player, { score: 300 }));
    expect(first.get(daily.id)).toEqual({ kind: 'mission', id: daily.id, progress: 1, target: 2, completed: false, progress_version: 1 });
    expect(first.get(weekly.id)).toMatchObject({ kind: 'mission', progress: 300, target: 1000, progress_version: 1 });
    expect(first.has(inactive.id)).toBe(false);
    expect(first.has(minScore.id)).toBe(false);

    const second = byId(await playAs(player, { score: 300 }));
    expect(second.get(daily.id)).toMatchObject({ progress: 2, completed: true, progress_version: 2 });
    const third = byId(await playAs(player, { score: 300 }));
    expect(third.has(daily.id)).toBe(false);
    expect(third.get(weekly.id)).toMatchObject({ progress: 900, progress_version: 3 });

    const rows = await ctx.db
      .selectFrom('mission_progress')
      .select(['mission_id', 'period_key', 'status', 'progress'])
      .where('user_id', '=', player.user.id)
      .orderBy('progress')
      .execute();
    expect(rows).toEqual([
      { mission_id: daily.id, period_key: '2026-11-28', status: 'claimable', progress: 2 },
      { mission_id: weekly.id, period_key: '2026-W48', status: 'active', progress: 900 },
    ]);
  });

  it('counts every one of 10 concurrent plays of one player exactly once', async () => {
    const player = await makePlayer(ctx.app);
    const event = await joined(player, { metric: 'games_played', target: 100 });
    const mission = await makeMission(ctx, { period: 'weekly', rules: { metric: 'games_played', target: 100 } });
    await Promise.all(Array.from({ length: 10 }, () => playAs(player)));
    expect(await participation(player, event.id)).toMatchObject({ progress: 10, progress_version: 10 });
    const row = await ctx.db
      .selectFrom('mission_progress')
      .select(['progress', 'progress_version'])
      .where('user_id', '=', player.user.id)
      .where('mission_id', '=', mission.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ progress: 10, progress_version: 10 });
  });
});

describe('advanceProgressForMetric', () => {
  it('advances events and missions of that metric, never ones narrowed to plays', async () => {
    const player = await makePlayer(ctx.app);
    const purchases = await joined(player, { metric: 'purchases', target: 3 });
    const plays = await joined(player, { metric: 'games_played', target: 3 });
    const mission = await makeMission(ctx, { period: 'daily', rules: { metric: 'purchases', target: 1 } });
    const updates = await ctx.db.transaction().execute((trx) =>
      advanceProgressForMetric(trx, { userId: player.user.id, metric: 'purchases', delta: 2, now: ctx.clock.now(), resetTimezone: 'UTC' }),
    );
    const map = byId(updates);
    expect(map.get(purchases.id)).toMatchObject({ kind: 'event', progress: 2, progress_version: 1 });
    expect(map.get(mission.id)).toMatchObject({ kind: 'mission', progress: 1, target: 1, completed: true });
    expect(map.has(plays.id)).toBe(false);
  });

  it('does nothing for a zero, negative or fractional delta', async () => {
    const player = await makePlayer(ctx.app);
    await joined(player, { metric: 'logins', target: 3 });
    for (const delta of [0, -1, 0.5]) {
      const updates = await ctx.db.transaction().execute((trx) => advanceProgressForMetric(trx, { userId: player.user.id, metric: 'logins', delta, now: ctx.clock.now(), resetTimezone: 'UTC' }));
      expect(updates).toEqual([]);
    }
  });

  it('uses the period of the zone it is given', async () => {
    const player = await makePlayer(ctx.app);
    const mission = await makeMission(ctx, { period: 'daily', rules: { metric: 'logins', target: 5 } });
    // 2026-11-28T20:00Z is already the 29th in Seoul.
    const at = new Date('2026-11-28T20:00:00Z');
    await ctx.db.transaction().execute((trx) => advanceProgressForMetric(trx, { userId: player.user.id, metric: 'logins', delta: 1, now: at, resetTimezone: 'Asia/Seoul' }));
    await ctx.db.transaction().execute((trx) => advanceProgressForMetric(trx, { userId: player.user.id, metric: 'logins', delta: 1, now: at, resetTimezone: 'UTC' }));
    const rows = await ctx.db
      .selectFrom('mission_progress')
      .select(['period_key', 'period_ends_at'])
      .where('user_id', '=', player.user.id)
      .where('mission_id', '=', mission.id)
      .orderBy('period_key')
      .execute();
    expect(rows).toEqual([
      { period_key: '2026-11-28', period_ends_at: new Date('2026-11-29T00:00:00Z') },
      { period_key: '2026-11-29', period_ends_at: new Date('2026-11-29T15:00:00Z') },
    ]);
  });
});
