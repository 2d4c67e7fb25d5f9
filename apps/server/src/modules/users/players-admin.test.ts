import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminPlayerSchema, PlayerSearchResponseSchema, PlayerSummarySchema, RewardHistoryResponseSchema, type PlayerSummary } from '@playloop/contracts';
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
/** Every page of a search, followed by next_before to its end. */
const allPages = async (query: string, limit: number, maxPages = 50) => {
  const pages: string[][] = [];
  let before: string | null = null;
  do {
    const res = await get(`/api/admin/players?${query}&limit=${limit}${before ? `&before=${before}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = PlayerSearchResponseSchema.parse(res.json());
    pages.push(handles(page.items));
    before = page.next_before;
  } while (before && pages.length < maxPages);
  return pages;
};
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
    expect(items[1]).toEqual({ user: a.user, level: 1, balances: { soft: 1000, premium: 0 }, suspension: null });
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

  it('pages a search with next_before: every match once, the exact handle first, ties by id', async () => {
    const p = fresh();
    await signup(`${p}kim`);
    await signup(`${p}kim1`);
    // Two signups at one instant: the order between them is their ids'.
    await signup(`${p}kim2`);
    await makePlayer(ctx.app, { site_id: `${p}kim3`, nickname: 'Tester' });
    await signup(`${p}kim4`);
    const whole = handles(await search(`q=${p}kim&limit=50`));
    expect(whole).toHaveLength(5);
    expect(whole[0]).toBe(`${p}kim`);
    expect(whole.slice(1, 2)).toEqual([`${p}kim4`]);
    for (const limit of [1, 2, 3, 5]) {
      const pages = await allPages(`q=${p}kim`, limit);
      expect(pages.flat(), `limit ${limit}`).toEqual(whole);
      // No empty last page: a page names a next one only when more match.
      expect(pages.map((x) => x.length)).toEqual(Array.from({ length: Math.ceil(5 / limit) }, (_, i) => Math.min(limit, 5 - i * limit)));
    }
    // Without the exact handle among the matches, pages follow the newest first.
    expect((await allPages(`q=${p}kim1`, 1)).flat()).toEqual([`${p}kim1`]);
    expect((await allPages(`q=${p}`, 2)).flat()).toEqual([...whole.slice(1), `${p}kim`]);
  });

  it('pages by the times as stored, microseconds included', async () => {
    const p = fresh();
    const players = [];
    for (let i = 0; i < 4; i += 1) players.push(await signup(`${p}${i}`));
    // Four signups within one millisecond, which JS's Date cannot tell apart.
    for (const [i, player] of players.entries()) {
      await sql`UPDATE users SET created_at = timestamptz '2026-01-01 00:00:00.123456Z' - ${i} * interval '100 microseconds' WHERE id = ${player.user.id}`.execute(ctx.db);
    }
    expect((await allPages(`q=${p}`, 1)).flat()).toEqual(players.map((x) => x.user.site_id));
  });

  it('lists the newest signups page by page without a query', async () => {
    await signup(fresh());
    const six = handles(await search('limit=6'));
    expect((await allPages('', 2, 3)).flat()).toEqual(six);
  });

  it('refuses a cursor that is no player with 404', async () => {
    expectProblem(await get('/api/admin/players?before=00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
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
    ['before=abc', 'before'],
    ['before=', 'before'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const body = expectProblem(await get(`/api/admin/players?${query}`), 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(body)).toContain(field);
  });

  it('reads each kind of match from an index, not the whole table', async () => {
    const plan = async (q: string | undefined, id?: string, before?: string) => {
      const compiled = searchUsersQuery({ q, id, limit: 20, before }).compile(ctx.db);
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
    const next = await plan(undefined, undefined, admin.user.id);
    expect(next).toMatch(/Index Cond: \(ROW\((\w+\.)?created_at, (\w+\.)?id\) < ROW\(/);
    expect(next).not.toMatch(/Seq Scan on users/);
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
    const profile = AdminPlayerSchema.parse(res.json());
    expect(profile.user).toEqual(player.user);
    expect(profile.currencies).toEqual({ soft: 1000, premium: 7 });
    expect(profile.recent_activity[0]).toMatchObject({ type: 'grant', detail: { source: 'operator', title: 'support ticket 12' } });
    // The same profile the player reads for themselves, and whether they are suspended.
    const own = await get('/api/profile', player);
    expect(res.json()).toEqual({ ...own.json(), suspension: null });
  });

  it('answers 404 for an id no user has, 400 for one that is not an id or with a query', async () => {
    expectProblem(await get('/api/admin/players/00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await get('/api/admin/players/not-a-uuid'), 400, 'VALIDATION_FAILED');
    expectProblem(await get(`/api/admin/players/${admin.user.id}?full=1`), 400, 'VALIDATION_FAILED');
  });
});

describe('GET /api/admin/players/{id}/grants', () => {
  it("pages through every grant of the player, as their own history does", async () => {
    const player = await makePlayer(ctx.app);
    for (let i = 0; i < 3; i += 1) {
      ctx.clock.advance(1_000);
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/rewards/distribute',
        headers: { ...admin.headers, 'content-type': 'application/json', 'x-idempotency-key': `grants-${player.user.id}-${i}` },
        payload: JSON.stringify({ user_id: player.user.id, bundle: { exp: i + 1 }, reason: `r${i}` }),
      });
      expect(res.statusCode).toBe(201);
    }
    const first = RewardHistoryResponseSchema.parse((await get(`/api/admin/players/${player.user.id}/grants?limit=2`)).json());
    expect(first.items.map((g) => g.reward_items)).toEqual([[{ type: 'exp', amount: 3 }], [{ type: 'exp', amount: 2 }]]);
    const rest = RewardHistoryResponseSchema.parse((await get(`/api/admin/players/${player.user.id}/grants?limit=2&before=${first.next_before}`)).json());
    expect(rest.items.map((g) => g.source)).toEqual(['operator', 'signup']);
    const own = await get('/api/rewards/history?limit=4', player);
    expect([...first.items, ...rest.items]).toEqual(own.json().items);
  });

  it('refuses players, unknown players, bad cursors and bad limits', async () => {
    const player = await makePlayer(ctx.app);
    expectProblem(await get(`/api/admin/players/${player.user.id}/grants`, player), 403, 'FORBIDDEN');
    expectProblem(await get(`/api/admin/players/${player.user.id}/grants`, null), 401, 'UNAUTHENTICATED');
    expectProblem(await get('/api/admin/players/00000000-0000-4000-8000-000000000000/grants'), 404, 'NOT_FOUND');
    // Another player's grant is no cursor into this one's history.
    const theirs = RewardHistoryResponseSchema.parse((await get(`/api/admin/players/${admin.user.id}/grants`)).json()).items[0]!;
    expectProblem(await get(`/api/admin/players/${player.user.id}/grants?before=${theirs.grant_id}`), 404, 'NOT_FOUND');
    for (const q of ['limit=0', 'limit=201', 'before=x', 'sort=asc']) expectProblem(await get(`/api/admin/players/${player.user.id}/grants?${q}`), 400, 'VALIDATION_FAILED');
  });
});

describe('suspending a player', () => {
  const post = (url: string, body?: unknown, as: { headers: Record<string, string> } | null = admin, extra: Record<string, string> = {}) =>
    ctx.app.inject({
      method: 'POST',
      url,
      headers: { ...(as?.headers ?? {}), ...extra, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const suspend = (id: string, body: unknown = { reason: 'chargeback fraud' }, as?: { headers: Record<string, string> } | null) =>
    post(`/api/admin/players/${id}/suspend`, body, as);
  const reinstate = (id: string, as?: { headers: Record<string, string> } | null) => post(`/api/admin/players/${id}/reinstate`, undefined, as);
  const login = (p: TestPlayer, password = p.password) =>
    ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: p.user.site_id, password } });
  const refresh = (token: string) => ctx.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: token } });
  const userRow = (id: string) => ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('ends their sessions at once and keeps them out until reinstated', async () => {
    const player = await makePlayer(ctx.app);
    const second = (await login(player)).json() as TestPlayer;
    expect((await get('/api/dashboard', player)).statusCode).toBe(200);

    ctx.clock.advance(1_000);
    const res = await suspend(player.user.id, { reason: '  chargeback fraud  ' });
    expect(res.statusCode, res.body).toBe(200);
    const summary = PlayerSummarySchema.parse(res.json());
    expect(summary.suspension).toEqual({ suspended_at: ctx.clock.now().toISOString(), reason: 'chargeback fraud', by: { id: admin.user.id, site_id: admin.user.site_id } });

    // Every session of theirs is over: access tokens, refresh tokens, both logins.
    expectProblem(await get('/api/dashboard', player), 401, 'UNAUTHENTICATED');
    expectProblem(await get('/api/dashboard', { headers: { authorization: `Bearer ${second.access_token}` } }), 401, 'UNAUTHENTICATED');
    expectProblem(await refresh(player.refresh_token), 401, 'UNAUTHENTICATED');
    expectProblem(await refresh(second.refresh_token), 401, 'UNAUTHENTICATED');
    // The right password is told the account is suspended; a wrong one learns nothing new.
    expect(expectProblem(await login(player), 403, 'FORBIDDEN').detail).toMatch(/suspended/);
    expectProblem(await login(player, 'not-the-password'), 401, 'UNAUTHENTICATED');
    const sessions = await ctx.db.selectFrom('auth_sessions').select(['revoked_reason']).where('user_id', '=', player.user.id).execute();
    expect(sessions.map((s) => s.revoked_reason)).toEqual(['suspended', 'suspended']);

    // Operators see it in the search and on the player's page.
    expect((await search(`q=${player.user.site_id}`))[0]!.suspension).toEqual(summary.suspension);
    expect(AdminPlayerSchema.parse((await get(`/api/admin/players/${player.user.id}`)).json()).suspension).toEqual(summary.suspension);

    const back = await reinstate(player.user.id);
    expect(back.statusCode, back.body).toBe(200);
    expect(PlayerSummarySchema.parse(back.json()).suspension).toBeNull();
    // The old sessions stay ended; a new login works.
    expectProblem(await get('/api/dashboard', player), 401, 'UNAUTHENTICATED');
    const again = await login(player);
    expect(again.statusCode, again.body).toBe(200);
    expect((await get('/api/dashboard', { headers: { authorization: `Bearer ${(again.json() as TestPlayer).access_token}` } })).statusCode).toBe(200);
  });

  it('counts no session of a suspended player as live, even one opened by a login that raced the suspension', async () => {
    const player = await makePlayer(ctx.app);
    // As if a login had committed its session after the suspension revoked the others.
    await ctx.db.updateTable('users').set({ suspended_at: ctx.clock.now(), suspended_reason: 'raced', suspended_by: admin.user.id }).where('id', '=', player.user.id).execute();
    expectProblem(await get('/api/dashboard', player), 401, 'UNAUTHENTICATED');
  });

  it('keeps the first suspension when suspended again, and reinstating a player in good standing changes nothing', async () => {
    const player = await makePlayer(ctx.app);
    const first = PlayerSummarySchema.parse((await suspend(player.user.id, { reason: 'first' })).json()).suspension;
    ctx.clock.advance(5_000);
    const second = await suspend(player.user.id, { reason: 'second' });
    expect(second.statusCode).toBe(200);
    expect(PlayerSummarySchema.parse(second.json()).suspension).toEqual(first);
    const other = await makePlayer(ctx.app);
    const before = await userRow(other.user.id);
    expect((await reinstate(other.user.id)).statusCode).toBe(200);
    expect(await userRow(other.user.id)).toEqual(before);
    expect((await get('/api/dashboard', other)).statusCode).toBe(200);
  });

  it('refuses to suspend an operator, itself included', async () => {
    const other = await makeAdmin(ctx);
    expectProblem(await suspend(other.user.id), 403, 'FORBIDDEN');
    expectProblem(await suspend(admin.user.id), 403, 'FORBIDDEN');
    expect((await userRow(admin.user.id)).suspended_at).toBeNull();
    expect((await get('/api/admin/players', other)).statusCode).toBe(200);
  });

  it('refuses players and bad tokens, unknown ids and bad bodies, and changes nothing', async () => {
    const player = await makePlayer(ctx.app);
    const target = await makePlayer(ctx.app);
    const before = await userRow(target.user.id);
    const id = target.user.id;
    expectProblem(await suspend(id, undefined, player), 403, 'FORBIDDEN');
    expectProblem(await reinstate(id, player), 403, 'FORBIDDEN');
    expectProblem(await suspend(id, undefined, null), 401, 'UNAUTHENTICATED');
    expectProblem(await suspend(id, undefined, { headers: { authorization: 'Bearer nope' } }), 401, 'UNAUTHENTICATED');
    expectProblem(await suspend('00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await reinstate('00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectProblem(await suspend('not-an-id'), 400, 'VALIDATION_FAILED');
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(201) }, { reason: 7 }, { reason: 'a\u0000b' }, { reason: 'ok', until: '2027-01-01' }, [], 'null', '{"reason":'])
      expectProblem(await suspend(id, body), 400, 'VALIDATION_FAILED');
    expect(await userRow(id)).toEqual(before);
    expect((await get('/api/dashboard', target)).statusCode).toBe(200);
  });

  it('replays a suspension sent again under its idempotency key', async () => {
    const target = await makePlayer(ctx.app);
    const send = () => post(`/api/admin/players/${target.user.id}/suspend`, { reason: 'once' }, admin, { 'x-idempotency-key': `suspend-${target.user.id}` });
    const [a, b] = [await send(), await send()];
    expect(a.statusCode).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json()).toEqual(a.json());
  });
});
