import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlayerSearchResponseSchema, ProfileResponseSchema, type PlayerSummary } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeAdmin, makePlayer, uniqueSiteId, type TestPlayer } from '../../../test/factories/players.ts';
import { expectProblem } from '../../../test/problem.ts';
import { searchUsersQuery } from './repo.ts';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

const get = (url: string, as: { headers: Record<string, string> } | null = admin) => ctx.app.inject({ method: 'GET', url, headers: as?.headers ?? {} });
const search = async (query: string): Promise<PlayerSummary[]> => {
  const res = await get(`/api/admin/players?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return PlayerSearchResponseSchema.parse(res.json()).items;
};
const handles = (items: PlayerSummary[]) => items.map((i) => i.user.site_id);
/** A handle prefix no other test of this file uses. */
const fresh = () => `${uniqueSiteId('s').replace(/_/g, '')}_`.slice(0, 20);
/** Signs a player up a second after the last one, so "newest first" has an order to follow. */
const signup = async (site_id: string, nickname = 'Tester') => {
  ctx.clock.advance(1_000);
  return makePlayer(ctx.app, { site_id, nickname });
};

describe('GET /api/admin/players: who may search', () => {
  it('refuses players with 403 and callers without a valid token with 401', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await get('/api/admin/players', player), 403, 'FORBIDDEN');
    expectProblem(await get(`/api/admin/players/${player.user.id}`, player), 403, 'FORBIDDEN');
    expectProblem(await get('/api/admin/players', null), 401, 'UNAUTHENTICATED');
    expectProblem(await get(`/api/admin/players/${player.user.id}`, { headers: { authorization: 'Bearer not-a-token' } }), 401, 'UNAUTHENTICATED');
  });
});

describe('GET /api/admin/players', () => {
  it('finds players by the start of their handle, with their level and balances', async () => {
    const p = fresh();
    const a = await signup(`${p}alpha`);
    await signup(`${p}beta`);
    await signup(`x${p}alpha`);
    const items = await search(`q=${p}`);
    expect(handles(items)).toEqual([`${p}beta`, `${p}alpha`]);
    expect(items[1]).toEqual({ user: a.user, level: 1, balances: { soft: 1000, premium: 0 } });
    expect(handles(await search(`q=${p}al`))).toEqual([`${p}alpha`]);
    // Handles are lower case; what an operator types is matched as if it were.
    expect(handles(await search(`q=${p.toUpperCase()}AL`))).toEqual([`${p}alpha`]);
  });

  it('puts the exact handle first, then the newest', async () => {
    const p = fresh();
    await signup(`${p}kim`);
    await signup(`${p}kim2`);
    await signup(`${p}kim3`);
    expect(handles(await search(`q=${p}kim`))).toEqual([`${p}kim`, `${p}kim3`, `${p}kim2`]);
  });

  it('finds players by the start of their nickname in any case, Korean included', async () => {
    const p = fresh();
    await signup(`${p}one`, 'Moonlight');
    await signup(`${p}two`, '김철수');
    await signup(`${p}three`, 'Honeymoon');
    expect(handles(await search('q=moonl'))).toEqual([`${p}one`]);
    expect(handles(await search('q=MOONL'))).toEqual([`${p}one`]);
    expect(handles(await search(`q=${encodeURIComponent('김철')}`))).toEqual([`${p}two`]);
  });

  it('finds a player by id', async () => {
    const p = fresh();
    const a = await signup(`${p}byid`);
    expect(handles(await search(`q=${a.user.id}`))).toEqual([`${p}byid`]);
    expect(await search(`q=${a.user.id.slice(0, 8)}x`)).toEqual([]);
  });

  it('takes %, _ and \\ as themselves, not as patterns', async () => {
    const p = fresh();
    await signup(`${p}a_c`);
    await signup(`${p}abc`);
    expect(handles(await search(`q=${p}a_`))).toEqual([`${p}a_c`]);
    expect(await search(`q=${encodeURIComponent('%')}`)).toEqual([]);
    expect(await search(`q=${encodeURIComponent(`${p}%c`)}`)).toEqual([]);
    expect(await search(`q=${encodeURIComponent('\\')}`)).toEqual([]);
  });

  it('lists the newest signups without a query, as many as asked', async () => {
    const p = fresh();
    await signup(`${p}old`);
    await signup(`${p}mid`);
    await signup(`${p}new`);
    expect(handles(await search('limit=2'))).toEqual([`${p}new`, `${p}mid`]);
    expect(handles(await search('q=%20%20&limit=1'))).toEqual([`${p}new`]);
    expect((await search('')).length).toBeLessThanOrEqual(20);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=51', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    [`q=${'a'.repeat(65)}`, 'q'],
    ['q=ab%00cd', 'q'],
    ['q=a%0Ab', 'q'],
    ['role=admin', 'role'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const body = expectProblem(await get(`/api/admin/players?${query}`), 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(body)).toContain(field);
  });

  it('reads each kind of match from an index, not the whole table', async () => {
    const plan = async (q: string | undefined, id?: string) => {
      const compiled = searchUsersQuery({ q, id, limit: 20 }).compile(ctx.db);
      return ctx.db.transaction().execute(async (trx) => {
        await trx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
        const rows = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]));
        return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    };
    const byHandleOrName = await plan('kim');
    expect(byHandleOrName).toContain('users_site_id_prefix');
    expect(byHandleOrName).toContain('users_nickname_prefix');
    expect(byHandleOrName).not.toMatch(/Seq Scan on users/);
    expect(await plan(undefined)).toContain('users_created_at');
  });
});

describe('GET /api/admin/players/{id}', () => {
  it("answers the player's profile, rewards from operators included", async () => {
    const player = await makePlayer(ctx.app);
    ctx.clock.advance(1_000);
    const grant = await ctx.app.inject({
      method: 'POST',
      url: '/api/rewards/distribute',
      headers: { ...admin.headers, 'content-type': 'application/json', 'x-idempotency-key': `g-${player.user.id}` },
      payload: JSON.stringify({ user_id: player.user.id, bundle: { currencies: { premium: 7 } }, reason: 'support ticket 12' }),
    });
    expect(grant.statusCode, grant.body).toBe(201);
    const res = await get(`/api/admin/players/${player.user.id}`);
    expect(res.statusCode, res.body).toBe(200);
    const profile = ProfileResponseSchema.parse(res.json());
    expect(profile.user).toEqual(player.user);
    expect(profile.currencies).toEqual({ soft: 1000, premium: 7 });
    expect(profile.recent_activity[0]).toMatchObject({ type: 'grant', detail: { source: 'operator', title: 'support ticket 12' } });
    // The same profile the player reads for themselves.
    const own = await get('/api/profile', player);
    expect(res.json()).toEqual(own.json());
  });

  it('answers 404 for an id no user has, 400 for one that is not an id or with a query', async () => {
    expectProblem(await get('/api/admin/players/00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await get('/api/admin/players/not-a-uuid'), 400, 'VALIDATION_FAILED');
    expectProblem(await get(`/api/admin/players/${admin.user.id}?full=1`), 400, 'VALIDATION_FAILED');
  });
});
