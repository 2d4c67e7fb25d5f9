import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminMissionListResponseSchema, AdminMissionSchema } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { uniqueKey } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { expectProblem } from '../../../test/problem.ts';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

const send = (method: 'GET' | 'POST', payload?: unknown, as: TestPlayer = admin) =>
  ctx.app.inject({
    method,
    url: '/api/admin/missions',
    headers: { ...as.headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
const validBody = (overrides: Record<string, unknown> = {}) => ({
  key: uniqueKey('adm_m'),
  title: 'Win twice',
  period: 'daily',
  rules: { metric: 'wins', target: 2, game_type: 'lucky_dice' },
  reward_bundle: { currencies: { soft: 80 }, exp: 10 },
  ...overrides,
});
const countMissions = async () => Number((await ctx.db.selectFrom('missions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('operator missions', () => {
  it('creates a mission (201 with the object), lists it, and players see it', async () => {
    const body = validBody();
    const res = await send('POST', body);
    expect(res.statusCode).toBe(201);
    const created = AdminMissionSchema.parse(res.json());
    expect(created).toMatchObject({ key: body.key, title: 'Win twice', description: '', period: 'daily', rules: body.rules, active: true });

    const list = AdminMissionListResponseSchema.parse((await send('GET')).json());
    expect(list.items.map((m) => m.id)).toContain(created.id);

    const player = await makePlayer(ctx.app);
    const missions = (await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).json() as { daily: { id: string }[] };
    expect(missions.daily.map((m) => m.id)).toContain(created.id);

    expectProblem(await send('POST', { ...validBody(), key: body.key }), 422, 'VALIDATION_FAILED');
  });

  it('keeps an inactive mission from players', async () => {
    const created = AdminMissionSchema.parse((await send('POST', validBody({ active: false, period: 'weekly' }))).json());
    const player = await makePlayer(ctx.app);
    const missions = (await ctx.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).json() as { weekly: { id: string }[] };
    expect(missions.weekly.map((m) => m.id)).not.toContain(created.id);
  });

  it.each([
    ['an unknown period', { period: 'monthly' }],
    ['a zero target', { rules: { metric: 'wins', target: 0 } }],
    ['an unknown metric', { rules: { metric: 'shares', target: 1 } }],
    ['an unknown game type', { rules: { metric: 'wins', target: 1, game_type: 'chess' } }],
    ['client_reportable (missions are server-counted)', { rules: { metric: 'wins', target: 1, client_reportable: true } }],
    ['min_score on a non-play metric', { rules: { metric: 'purchases', target: 1, min_score: 5 } }],
    ['a bad bundle', { reward_bundle: { currencies: { soft: 1.5 } } }],
    ['an extra field', { starts_at: '2026-12-01T00:00:00Z' }],
  ])('rejects %s and creates nothing', async (_name, overrides) => {
    const before = await countMissions();
    expectProblem(await send('POST', validBody(overrides)), 400, 'VALIDATION_FAILED');
    expect(await countMissions()).toBe(before);
  });

  it('refuses players with 403 and anonymous callers with 401', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await send('GET', undefined, player), 403, 'FORBIDDEN');
    expectProblem(await send('POST', validBody(), player), 403, 'FORBIDDEN');
    expectProblem(await ctx.app.inject({ method: 'GET', url: '/api/admin/missions' }), 401, 'UNAUTHENTICATED');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/admin/missions', payload: validBody() }), 401, 'UNAUTHENTICATED');
  });
});
