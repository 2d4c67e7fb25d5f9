import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from './build-app.ts';
import { uniqueKey } from './factories/live-ops.ts';
import { makeAdmin, makePlayer, uniqueSiteId, type TestPlayer } from './factories/players.ts';
import { expectProblem } from './problem.ts';

// Text a client sends is stored as it was sent. JSON can spell half of a UTF-16 surrogate pair
// ("\ud800"), which no UTF-8 text can hold: the PostgreSQL driver would store U+FFFD in its
// place, and jsonb refuses it outright. The contract refuses such text with 400, on every route
// that takes free text, before anything is written; a whole pair (an emoji) is ordinary text.

/** A lone high half, a lone low half, and a pair in the wrong order, each inside other text. */
const LONE_SURROGATES = ['\ud800', 'Name \udfff', 'ab\udc00\ud83dcd'];
/** Astral characters (surrogate pairs in UTF-16) beside other non-ASCII text. */
const ASTRAL = '🎮 Ünï 😀 𝒜';

let ctx: TestContext;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
});
afterAll(() => ctx?.close());

const send = (method: 'POST' | 'PATCH', url: string, payload: unknown, headers: Record<string, string> = admin.headers) =>
  ctx.app.inject({
    method,
    url,
    // JSON.stringify writes a lone surrogate as its \u escape, as any JSON client does.
    headers: { ...headers, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });

// Every table a refused request could have written to, read whole: a refusal leaves each as it was.
const TABLES = [
  'users', 'auth_sessions', 'refresh_tokens', 'events', 'missions', 'skus', 'items', 'reward_grants',
  'ledger_transactions', 'ledger_entries', 'accounts', 'game_sessions', 'outbox', 'idempotency_keys', 'content_version',
];
async function snapshot(): Promise<Record<string, string>> {
  const entries = await Promise.all(
    TABLES.map(async (table) => {
      const { rows } = await sql<{ digest: string }>`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM ${sql.table(table)} t`.execute(ctx.db);
      return [table, rows[0]!.digest] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Records an operator-made row for the PATCH cases to change. */
async function created(url: string, body: Record<string, unknown>, idOf: (b: Record<string, string>) => string): Promise<string> {
  const res = await send('POST', url, body);
  expect(res.statusCode, res.body).toBe(201);
  return idOf(res.json());
}

const eventBody = (title: string, description = '') => ({
  key: uniqueKey('wf'),
  title,
  description,
  type: 'limited',
  starts_at: new Date(ctx.clock.now().getTime() - 3_600_000).toISOString(),
  ends_at: new Date(ctx.clock.now().getTime() + 86_400_000).toISOString(),
  rules: { metric: 'games_played', target: 3 },
  reward_bundle: { currencies: { soft: 10 } },
});
const missionBody = (title: string, description = '') => ({
  key: uniqueKey('wf'), title, description, period: 'daily', rules: { metric: 'games_played', target: 1 }, reward_bundle: { exp: 5 },
});
const skuBody = (name: string, description = '') => ({
  sku_id: uniqueKey('wf'), name, description, price: 10, currency_type: 'soft', bundle: { exp: 1 },
});
const itemBody = (name: string) => ({ item_id: uniqueKey('wf'), name, kind: 'cosmetic' });

interface Case {
  /** The request carrying `text` where the route takes free text; `field` is where the refusal points. */
  send(text: string): Promise<Awaited<ReturnType<typeof send>>>;
  field: string;
}

/** Every route that takes free text, with the text in that field. Set up in the test that uses them. */
async function cases(): Promise<Record<string, Case>> {
  const eventId = await created('/api/admin/events', eventBody('Patched event'), (b) => b.id!);
  const missionId = await created('/api/admin/missions', missionBody('Patched mission'), (b) => b.id!);
  const skuId = await created('/api/admin/shop/skus', skuBody('Patched SKU'), (b) => b.sku_id!);
  const itemId = await created('/api/admin/items', itemBody('Patched item'), (b) => b.item_id!);
  const target = await makePlayer(ctx.app);
  const player = await makePlayer(ctx.app);
  const start = await send('POST', '/api/game/sessions/start', { game_type: 'reaction' }, player.headers);
  expect(start.statusCode, start.body).toBe(201);
  const sessionId = (start.json() as { session_id: string }).session_id;
  ctx.clock.advance(10_000);
  const endSession = (meta: Record<string, unknown>) => send('POST', `/api/game/sessions/${sessionId}/end`, { score: 10, duration: 5, meta }, player.headers);
  let n = 0;
  const key = () => `wf-${++n}-${Math.random().toString(36).slice(2)}`;
  return {
    'signup nickname': { send: (t) => send('POST', '/api/auth/signup', { site_id: uniqueSiteId(), nickname: t, password: 'correct-horse-battery' }, {}), field: 'body.nickname' },
    'signup password': { send: (t) => send('POST', '/api/auth/signup', { site_id: uniqueSiteId(), nickname: 'N', password: `password-${t}` }, {}), field: 'body.password' },
    'event title': { send: (t) => send('POST', '/api/admin/events', eventBody(t)), field: 'body.title' },
    'event description': { send: (t) => send('POST', '/api/admin/events', eventBody('Event', t)), field: 'body.description' },
    'event title change': { send: (t) => send('PATCH', `/api/admin/events/${eventId}`, { title: t }), field: 'body.title' },
    'mission title': { send: (t) => send('POST', '/api/admin/missions', missionBody(t)), field: 'body.title' },
    'mission description change': { send: (t) => send('PATCH', `/api/admin/missions/${missionId}`, { description: t }), field: 'body.description' },
    'SKU name': { send: (t) => send('POST', '/api/admin/shop/skus', skuBody(t)), field: 'body.name' },
    'SKU description change': { send: (t) => send('PATCH', `/api/admin/shop/skus/${skuId}`, { description: t }), field: 'body.description' },
    'item name': { send: (t) => send('POST', '/api/admin/items', itemBody(t)), field: 'body.name' },
    'item name change': { send: (t) => send('PATCH', `/api/admin/items/${itemId}`, { name: t }), field: 'body.name' },
    'distribute reason': {
      send: (t) => send('POST', '/api/rewards/distribute', { user_id: target.user.id, bundle: { currencies: { soft: 5 } }, reason: t }, { ...admin.headers, 'x-idempotency-key': key() }),
      field: 'body.reason',
    },
    'suspension reason': { send: (t) => send('POST', `/api/admin/players/${target.user.id}/suspend`, { reason: t }), field: 'body.reason' },
    'session meta value': { send: (t) => endSession({ note: t }), field: 'body.meta' },
    'session meta nested value': { send: (t) => endSession({ rounds: [{ label: t }] }), field: 'body.meta' },
    'session meta key': { send: (t) => endSession({ [t]: 1 }), field: 'body.meta' },
  };
}

describe('free text with a lone UTF-16 surrogate', () => {
  it('is refused with 400 on every route that takes free text, and nothing is written', async () => {
    const all = await cases();
    expect(Object.keys(all).length).toBeGreaterThanOrEqual(15);
    const before = await snapshot();
    for (const [name, c] of Object.entries(all)) {
      for (const text of LONE_SURROGATES) {
        const res = await c.send(text);
        expect(res.statusCode, `${name} ${JSON.stringify(text)}: ${res.body}`).toBe(400);
        const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(problem.errors?.map((e) => e.field), name).toContain(c.field);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('is refused in the operators’ player search', async () => {
    // A query string cannot spell a lone surrogate (%ED%A0%80 is not UTF-8), so the contract is
    // the only place such a search could come from; the web shares it.
    const { PlayerSearchQuerySchema } = await import('@playloop/contracts');
    expect(PlayerSearchQuerySchema.safeParse({ q: 'kim\ud800' }).success).toBe(false);
    expect(PlayerSearchQuerySchema.safeParse({ q: `kim${ASTRAL}` }).success).toBe(true);
  });
});

describe('free text with astral characters (surrogate pairs)', () => {
  /** One text column of one row as PostgreSQL holds it. */
  const row = (table: string, column: string, key: string, value: string) =>
    sql<{ text: string }>`SELECT ${sql.ref(column)}::text AS text FROM ${sql.table(table)} WHERE ${sql.ref(key)}::text = ${value}`
      .execute(ctx.db)
      .then((r) => r.rows[0]?.text);

  it('is accepted and stored exactly, as sent', async () => {
    const signup = await send('POST', '/api/auth/signup', { site_id: uniqueSiteId(), nickname: ASTRAL, password: `pw-${ASTRAL}-long` }, {});
    expect(signup.statusCode, signup.body).toBe(201);
    const user = (signup.json() as { user: { id: string; site_id: string; nickname: string } }).user;
    expect(user.nickname).toBe(ASTRAL);
    expect(await row('users', 'nickname', 'id', user.id)).toBe(ASTRAL);
    const login = await send('POST', '/api/auth/login', { site_id: user.site_id, password: `pw-${ASTRAL}-long` }, {});
    expect(login.statusCode, login.body).toBe(200);

    const event = await send('POST', '/api/admin/events', eventBody(ASTRAL, `about ${ASTRAL}`));
    expect(event.statusCode, event.body).toBe(201);
    expect(event.json()).toMatchObject({ title: ASTRAL, description: `about ${ASTRAL}` });
    const eventId = (event.json() as { id: string }).id;
    expect(await row('events', 'title', 'id', eventId)).toBe(ASTRAL);
    expect(await row('events', 'description', 'id', eventId)).toBe(`about ${ASTRAL}`);

    const mission = await send('POST', '/api/admin/missions', missionBody(ASTRAL));
    expect(mission.statusCode, mission.body).toBe(201);
    expect(await row('missions', 'title', 'id', (mission.json() as { id: string }).id)).toBe(ASTRAL);

    const sku = await send('POST', '/api/admin/shop/skus', skuBody(ASTRAL, ASTRAL));
    expect(sku.statusCode, sku.body).toBe(201);
    expect(await row('skus', 'name', 'sku_id', (sku.json() as { sku_id: string }).sku_id)).toBe(ASTRAL);

    const item = await send('POST', '/api/admin/items', itemBody(ASTRAL));
    expect(item.statusCode, item.body).toBe(201);
    expect(await row('items', 'name', 'item_id', (item.json() as { item_id: string }).item_id)).toBe(ASTRAL);

    const target = await makePlayer(ctx.app);
    const grant = await send(
      'POST',
      '/api/rewards/distribute',
      { user_id: target.user.id, bundle: { currencies: { soft: 5 } }, reason: ASTRAL },
      { ...admin.headers, 'x-idempotency-key': `astral-${target.user.id}` },
    );
    expect(grant.statusCode, grant.body).toBe(201);
    const grantRow = await ctx.db.selectFrom('reward_grants').select('title').where('id', '=', (grant.json() as { grant_id: string }).grant_id).executeTakeFirstOrThrow();
    expect(grantRow.title).toBe(ASTRAL);

    const suspended = await send('POST', `/api/admin/players/${target.user.id}/suspend`, { reason: ASTRAL });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json()).toMatchObject({ suspension: { reason: ASTRAL } });

    const player = await makePlayer(ctx.app);
    const start = await send('POST', '/api/game/sessions/start', { game_type: 'reaction' }, player.headers);
    expect(start.statusCode, start.body).toBe(201);
    const sessionId = (start.json() as { session_id: string }).session_id;
    ctx.clock.advance(10_000);
    const meta = { [ASTRAL]: ASTRAL, rounds: [{ label: ASTRAL }] };
    const ended = await send('POST', `/api/game/sessions/${sessionId}/end`, { score: 10, duration: 5, meta }, player.headers);
    expect(ended.statusCode, ended.body).toBe(200);
    const session = await ctx.db.selectFrom('game_sessions').select('meta').where('id', '=', sessionId).executeTakeFirstOrThrow();
    expect(session.meta).toEqual(meta);
  });
});
