import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminEventListResponseSchema, AdminEventSchema } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeEvent, uniqueKey } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { holdLock, untilLockWaiters } from '../../../test/locks.ts';
import { expectProblem } from '../../../test/problem.ts';
import { advanceProgressForPlay } from './progress.ts';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const iso = (hours: number) => new Date(ctx.clock.now().getTime() + hours * 3_600_000).toISOString();

const send = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, as: TestPlayer = admin) =>
  ctx.app.inject({
    method,
    url,
    headers: { ...as.headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
const validBody = (overrides: Record<string, unknown> = {}) => ({
  key: uniqueKey('adm'),
  title: 'Play five games',
  description: 'Any game counts.',
  type: 'limited',
  starts_at: iso(-1),
  ends_at: iso(48),
  rules: { metric: 'games_played', target: 5 },
  reward_bundle: { currencies: { soft: 200 } },
  ...overrides,
});
const countEvents = async () => Number((await ctx.db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('operator events: access', () => {
  it('refuses players with 403 and anonymous callers with 401 on every route', async () => {
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx);
    const calls = [
      ['GET', '/api/admin/events', undefined],
      ['POST', '/api/admin/events', validBody()],
      ['PATCH', `/api/admin/events/${event.id}`, { title: 'Hijacked' }],
    ] as const;
    for (const [method, url, body] of calls) {
      expectProblem(await send(method, url, body, player), 403, 'FORBIDDEN');
      expectProblem(await ctx.app.inject({ method, url, ...(body ? { payload: body } : {}) }), 401, 'UNAUTHENTICATED');
    }
    expect((await ctx.db.selectFrom('events').select('title').where('id', '=', event.id).executeTakeFirstOrThrow()).title).toBe('Test event');
  });
});

describe('POST /api/admin/events', () => {
  it('creates an event (201 with the object) that players then see', async () => {
    const body = validBody({ rules: { metric: 'score_total', target: 500, game_type: 'reaction', min_score: 50 } });
    const res = await send('POST', '/api/admin/events', body);
    expect(res.statusCode).toBe(201);
    const created = AdminEventSchema.parse(res.json());
    expect(created).toMatchObject({
      key: body.key,
      title: 'Play five games',
      type: 'limited',
      status: 'active',
      rules: body.rules,
      participants: 0,
      claims: 0,
      starts_at: body.starts_at,
    });
    const player = await makePlayer(ctx.app);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/events?active=true', headers: player.headers });
    expect((list.json() as { items: { id: string }[] }).items.map((e) => e.id)).toContain(created.id);
    const taken = expectProblem(await send('POST', '/api/admin/events', { ...validBody(), key: body.key }), 422, 'VALIDATION_FAILED');
    expect(taken.errors).toEqual([{ field: 'body.key', message: 'already exists' }]);
  });

  it.each([
    ['ends before it starts', { starts_at: '2026-12-02T00:00:00Z', ends_at: '2026-12-01T00:00:00Z' }],
    ['an empty window', { starts_at: '2026-12-01T00:00:00Z', ends_at: '2026-12-01T00:00:00Z' }],
    ['a zero target', { rules: { metric: 'games_played', target: 0 } }],
    ['a negative target', { rules: { metric: 'games_played', target: -3 } }],
    ['a fractional target', { rules: { metric: 'games_played', target: 2.5 } }],
    ['an unknown metric', { rules: { metric: 'shares', target: 2 } }],
    ['an unknown game type', { rules: { metric: 'games_played', target: 2, game_type: 'chess' } }],
    ['a game type on a non-play metric', { rules: { metric: 'logins', target: 2, game_type: 'reaction' } }],
    // A report is a number the client sends, no play: nothing it could filter on.
    ['a client-reportable event with a game type', { rules: { metric: 'score_total', target: 1000, game_type: 'reaction', client_reportable: true } }],
    ['a client-reportable event with a minimum score', { rules: { metric: 'score_total', target: 1000, min_score: 500, client_reportable: true } }],
    ['an extra rule field', { rules: { metric: 'games_played', target: 2, bonus: true } }],
    ['an unknown type', { type: 'weekly' }],
    ['a bad key', { key: 'Has Spaces' }],
    ['an empty title', { title: '  ' }],
    ['a date without offset', { starts_at: '2026-12-01 00:00' }],
    ['an empty bundle', { reward_bundle: {} }],
    ['a negative reward', { reward_bundle: { currencies: { soft: -5 } } }],
    ['an extra field', { status: 'active' }],
  ])('rejects %s and creates nothing', async (_name, overrides) => {
    const before = await countEvents();
    const res = await send('POST', '/api/admin/events', validBody(overrides));
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(await countEvents()).toBe(before);
  });
});

describe('GET /api/admin/events', () => {
  it('lists every event with participants and claims', async () => {
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 1 } });
    const a = await makePlayer(ctx.app);
    const b = await makePlayer(ctx.app);
    for (const p of [a, b]) await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: p.headers });
    await ctx.db.transaction().execute((trx) =>
      advanceProgressForPlay(trx, { userId: a.user.id, sessionId: crypto.randomUUID(), gameType: 'reaction', score: 1, durationS: 5, won: false, now: ctx.clock.now(), resetTimezone: 'UTC' }),
    );
    await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/claim`, headers: a.headers });
    const res = await send('GET', '/api/admin/events');
    expect(res.statusCode).toBe(200);
    const { items } = AdminEventListResponseSchema.parse(res.json());
    expect(items.find((e) => e.id === event.id)).toMatchObject({ participants: 2, claims: 1, status: 'active' });
  });
});

describe('PATCH /api/admin/events/{id}', () => {
  it('changes only the fields given', async () => {
    const event = await makeEvent(ctx);
    ctx.clock.advance(1000);
    const res = await send('PATCH', `/api/admin/events/${event.id}`, { title: 'Renamed', ends_at: iso(72) });
    expect(res.statusCode).toBe(200);
    const body = AdminEventSchema.parse(res.json());
    expect(body).toMatchObject({ title: 'Renamed', ends_at: iso(72), key: event.key, rules: event.rules as object });
    expect(body.updated_at).not.toBe(body.created_at);
  });

  it('checks the window against the stored half and refuses to move an ended event', async () => {
    const event = await makeEvent(ctx, { startsAt: new Date(iso(-1)), endsAt: new Date(iso(24)) });
    expectProblem(await send('PATCH', `/api/admin/events/${event.id}`, { ends_at: iso(-2) }), 400, 'VALIDATION_FAILED');
    expectProblem(await send('PATCH', `/api/admin/events/${event.id}`, { starts_at: iso(25) }), 400, 'VALIDATION_FAILED');
    expectProblem(await send('PATCH', `/api/admin/events/${event.id}`, { starts_at: iso(5), ends_at: iso(4) }), 400, 'VALIDATION_FAILED');

    const ended = await makeEvent(ctx, { startsAt: new Date(iso(-5)), endsAt: new Date(iso(-1)) });
    expectProblem(await send('PATCH', `/api/admin/events/${ended.id}`, { ends_at: iso(10) }), 409, 'EVENT_EXPIRED');
    expect((await send('PATCH', `/api/admin/events/${ended.id}`, { title: 'Archived' })).statusCode).toBe(200);
    const stored = await ctx.db.selectFrom('events').select(['starts_at', 'ends_at']).where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ starts_at: event.starts_at, ends_at: event.ends_at });
  });

  it('applies a lower target to active participations and bumps their players, leaving completed ones', async () => {
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 5 } });
    const active = await makePlayer(ctx.app);
    const done = await makePlayer(ctx.app);
    const play = (p: TestPlayer, n: number) =>
      ctx.db.transaction().execute(async (trx) => {
        for (let i = 0; i < n; i++) {
          await advanceProgressForPlay(trx, { userId: p.user.id, sessionId: crypto.randomUUID(), gameType: 'reaction', score: 1, durationS: 5, won: false, now: ctx.clock.now(), resetTimezone: 'UTC' });
        }
      });
    for (const p of [active, done]) await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: p.headers });
    await play(active, 2);
    await play(done, 5);
    const version = async (p: TestPlayer) =>
      (await ctx.db.selectFrom('users').select('state_version').where('id', '=', p.user.id).executeTakeFirstOrThrow()).state_version;
    const before = { active: await version(active), done: await version(done) };
    const playedAt = ctx.clock.now();
    // The change a minute later: the participation it completes is a progress change of that time.
    ctx.clock.advance(60_000);

    const res = await send('PATCH', `/api/admin/events/${event.id}`, { rules: { metric: 'games_played', target: 2 } });
    expect(res.statusCode).toBe(200);
    const rows = await ctx.db
      .selectFrom('event_participations')
      .select(['user_id', 'status', 'progress', 'target', 'progress_version', 'last_progress_at'])
      .where('event_id', '=', event.id)
      .execute();
    const of = (p: TestPlayer) => rows.find((r) => r.user_id === p.user.id);
    expect(of(active)).toMatchObject({ status: 'claimable', progress: 2, target: 2, progress_version: 3, last_progress_at: ctx.clock.now() });
    expect(of(done)).toMatchObject({ status: 'claimable', progress: 5, target: 5, progress_version: 5, last_progress_at: playedAt });
    expect(await version(active)).toBe(before.active + 1);
    expect(await version(done)).toBe(before.done);
  });

  it.each([
    ['an empty change', {}],
    ['an unknown field', { key: 'renamed' }],
    ['a zero target', { rules: { metric: 'games_played', target: 0 } }],
    ['an unknown game type', { rules: { metric: 'wins', target: 1, game_type: 'poker' } }],
    ['client-reportable with a play filter', { rules: { metric: 'wins', target: 1, game_type: 'reaction', client_reportable: true } }],
    ['an empty title', { title: '' }],
  ])('rejects %s with 400 and changes nothing', async (_name, change) => {
    const event = await makeEvent(ctx);
    expectProblem(await send('PATCH', `/api/admin/events/${event.id}`, change), 400, 'VALIDATION_FAILED');
    const stored = await ctx.db.selectFrom('events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow();
    expect(stored).toEqual(event);
  });

  it('answers 404 for an unknown event and 400 for a bad id', async () => {
    expectProblem(await send('PATCH', `/api/admin/events/${UNKNOWN_ID}`, { title: 'x' }), 404, 'NOT_FOUND');
    expectProblem(await send('PATCH', '/api/admin/events/nope', { title: 'x' }), 400, 'VALIDATION_FAILED');
  });
});

describe.runIf(process.env.DATABASE_URL)('PATCH /api/admin/events/{id} racing players (PostgreSQL)', () => {
  const rules = (target: number) => ({ metric: 'logins' as const, target, client_reportable: true });
  const join = (how: 'participate' | 'report', eventId: string, p: TestPlayer) =>
    how === 'participate'
      ? send('POST', `/api/events/${eventId}/participate`, undefined, p)
      : send('POST', `/api/events/${eventId}/progress`, { metric: 'logins', delta: 1 }, p);
  const hold = (lock: (trx: TestContext['db']) => Promise<unknown>) => holdLock(ctx.db, lock);

  it.each(['participate', 'report'] as const)('a player who joins (%s) while the target changes gets the new target', async (how) => {
    const event = await makeEvent(ctx, { rules: rules(5) });
    const early = await makePlayer(ctx.app);
    const late = await makePlayer(ctx.app);
    expect((await join('participate', event.id, early)).statusCode).toBe(201);
    // The early player's participation is held, so the change waits in its retarget with the event
    // row locked and its new target not yet committed; the late join then waits on the event row.
    const release = await hold((trx) =>
      trx.selectFrom('event_participations').select('user_id').where('event_id', '=', event.id).where('user_id', '=', early.user.id).forUpdate().execute(),
    );
    const patching = send('PATCH', `/api/admin/events/${event.id}`, { rules: rules(2) });
    await untilLockWaiters(ctx.db, 1);
    const joining = join(how, event.id, late);
    await untilLockWaiters(ctx.db, 2);
    await release();
    const [patched, joined] = await Promise.all([patching, joining]);
    expect(patched.statusCode, patched.body).toBe(200);
    expect(joined.statusCode, joined.body).toBe(how === 'participate' ? 201 : 200);
    expect(joined.json()).toMatchObject({ target: 2 });

    const rows = await ctx.db.selectFrom('event_participations').select(['user_id', 'target']).where('event_id', '=', event.id).execute();
    expect(rows.find((r) => r.user_id === early.user.id)).toMatchObject({ target: 2 });
    expect(rows.find((r) => r.user_id === late.user.id)).toMatchObject({ target: 2 });
  });

  it("a joined player's report does not wait for an operator's change of the event", async () => {
    const event = await makeEvent(ctx, { rules: rules(5) });
    const player = await makePlayer(ctx.app);
    expect((await join('report', event.id, player)).statusCode).toBe(200);
    // The event row as a change holds it: a report takes no lock on it once the player has joined.
    const release = await hold((trx) => trx.selectFrom('events').select('id').where('id', '=', event.id).forUpdate().execute());
    let settled = false;
    const reporting = join('report', event.id, player).finally(() => (settled = true));
    await untilLockWaiters(ctx.db, 1, () => settled);
    const waitedOnEvent = !settled;
    await release();
    expect(waitedOnEvent).toBe(false);
    expect((await reporting).json()).toMatchObject({ progress: 2, target: 5 });
  });
});

describe('operator windows outside 1970-9998 (UTC)', () => {
  it.each([
    ['an end in year 10000 UTC (9999 as written, with its offset)', { ends_at: '9999-12-31T23:00:00-05:00' }],
    ['a start in year -1 UTC', { starts_at: '0000-01-01T00:00:00+01:00' }],
    ['a window in the first century', { starts_at: '0010-01-01T00:00:00Z', ends_at: '0040-01-01T00:00:00Z' }],
    ['a start before 1970', { starts_at: '1969-12-31T23:59:59Z' }],
  ])('%s: 400, nothing stored, players unaffected', async (_what, window) => {
    const player = await makePlayer(ctx.app);
    const before = await countEvents();
    expectProblem(await send('POST', '/api/admin/events', validBody(window)), 400, 'VALIDATION_FAILED');
    const event = await makeEvent(ctx);
    expectProblem(await send('PATCH', `/api/admin/events/${event.id}`, window), 400, 'VALIDATION_FAILED');
    expect(await countEvents()).toBe(before + 1);
    expect((await send('GET', '/api/events', undefined, player)).statusCode).toBe(200);
    expect((await send('GET', '/api/dashboard', undefined, player)).statusCode).toBe(200);
  });

  it('refuses a SKU window outside them too', async () => {
    const sku = { sku_id: uniqueKey('win').toLowerCase(), name: 'Window', price: 1, currency_type: 'soft', bundle: { exp: 1 } };
    expectProblem(await send('POST', '/api/admin/shop/skus', { ...sku, available_until: '9999-12-31T23:00:00-05:00' }), 400, 'VALIDATION_FAILED');
    expect((await send('POST', '/api/admin/shop/skus', sku)).statusCode).toBe(201);
    expectProblem(await send('PATCH', `/api/admin/shop/skus/${sku.sku_id}`, { available_from: '0040-01-01T00:00:00Z' }), 400, 'VALIDATION_FAILED');
  });
});

describe('POSTs that take no input', () => {
  it('refuse a body with fields (400, nothing changed) and take none or {}', async () => {
    const event = await makeEvent(ctx);
    const p = await makePlayer(ctx.app);
    const participate = (payload?: unknown) => send('POST', `/api/events/${event.id}/participate`, payload, p);
    expectProblem(await participate({ event_id: 'another' }), 400, 'VALIDATION_FAILED');
    expect(await ctx.db.selectFrom('event_participations').select('user_id').where('user_id', '=', p.user.id).execute()).toEqual([]);
    expect((await participate({})).statusCode).toBe(201);
    expect((await participate()).statusCode).toBe(200);
    expectProblem(await send('POST', `/api/events/${event.id}/claim`, { force: true }, p), 400, 'VALIDATION_FAILED');

    const suspended = await makePlayer(ctx.app);
    expect((await send('POST', `/api/admin/players/${suspended.user.id}/suspend`, { reason: 'spam' })).statusCode).toBe(200);
    expectProblem(await send('POST', `/api/admin/players/${suspended.user.id}/reinstate`, { force: true }), 400, 'VALIDATION_FAILED');
    const row = await ctx.db.selectFrom('users').select('suspended_at').where('id', '=', suspended.user.id).executeTakeFirstOrThrow();
    expect(row.suspended_at).not.toBeNull();
  });
});

describe('rules no play can meet', () => {
  it.each([
    ['above lucky_dice (two dice: 12)', { metric: 'games_played', target: 1, game_type: 'lucky_dice', min_score: 13 }, 'lucky_dice scores above 12'],
    ['above reaction (100/s for 120 s, plus 50)', { metric: 'wins', target: 1, game_type: 'reaction', min_score: 12_051 }, 'reaction scores above 12050'],
    ['above every game type', { metric: 'games_played', target: 1, min_score: 1_000_000 }, 'no play scores above 12050'],
  ])('refuses a min_score %s with 400 naming it, for events and missions', async (_what, rules, message) => {
    const before = await countEvents();
    const res = await send('POST', '/api/admin/events', validBody({ rules }));
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.body).toContain('body.rules.min_score');
    expect(res.body).toContain(message);
    expect(await countEvents()).toBe(before);
    const mission = { key: uniqueKey('mi'), title: 'Unreachable', period: 'daily', rules, reward_bundle: { exp: 1 } };
    const refused = await send('POST', '/api/admin/missions', mission);
    expectProblem(refused, 400, 'VALIDATION_FAILED');
    expect(refused.body).toContain(message);
  });

  it('takes the highest score a play can reach', async () => {
    expect((await send('POST', '/api/admin/events', validBody({ rules: { metric: 'games_played', target: 1, game_type: 'lucky_dice', min_score: 12 } }))).statusCode).toBe(201);
    expect((await send('POST', '/api/admin/events', validBody({ rules: { metric: 'wins', target: 1, game_type: 'reaction', min_score: 12_050 } }))).statusCode).toBe(201);
  });
});
