import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  CreateEventBodySchema,
  CreateItemBodySchema,
  CreateMissionBodySchema,
  CreateSkuBodySchema,
  DistributeBodySchema,
  EndSessionBodySchema,
  EventProgressBodySchema,
  LoginBodySchema,
  PurchaseBodySchema,
  RefreshBodySchema,
  SignupBodySchema,
  StartSessionBodySchema,
  SuspendPlayerBodySchema,
  UpdateEventBodySchema,
  UpdateItemBodySchema,
  UpdateMissionBodySchema,
  UpdateSkuBodySchema,
} from '@playloop/contracts';
import { openAnalyticsStore } from '@playloop/analytics';
import { inProcessPipeline, type Pipeline } from '../src/modules/outbox/pipeline.ts';
import { buildTestApp, type TestContext } from '../test/build-app.ts';
import { makeEvent, makeMission } from '../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../test/factories/players.ts';
import { expectLedgerClean } from '../test/ledger.ts';

// Property-based fuzzing of every route. POST and PATCH: bodies built from the zod contracts
// (their field names, with valid values mutated into wrong types, boundaries, unknown keys and
// junk), random path params and random headers. GET: random query strings (the contract's names
// with junk values, unknown and repeated keys, broken escapes) and headers. Two properties: never a
// 5xx; a 4xx changes no state. A route the OpenAPI document lists and this file does not fails.
let ctx: TestContext;
let player: TestPlayer;
let admin: TestPlayer;
// Logout revokes the session it is called with: it gets a player of its own.
let leaver: TestPlayer;
const ids: Record<string, string> = {};

// The analytics routes read the embedded store (chDB), as `npm start` has them.
let pipeline: Pipeline;
let storeDir: string;

beforeAll(async () => {
  storeDir = mkdtempSync(path.join(tmpdir(), 'playloop-fuzz-'));
  pipeline = inProcessPipeline(await openAnalyticsStore({ dataDir: storeDir }), { autoStart: false });
  ctx = await buildTestApp({ pipeline });
  player = await makePlayer(ctx.app);
  admin = await makeAdmin(ctx);
  leaver = await makePlayer(ctx.app);
  // What the suspension routes act on: a player of its own, so the fuzzed routes keep theirs.
  ids.suspendTarget = (await makePlayer(ctx.app)).user.id;
  const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 2, client_reportable: true } });
  const mission = await makeMission(ctx);
  ids.event = event.id;
  ids.mission = mission.id;
  // What the PATCH routes edit: their own, so edits do not move what the POST routes act on.
  ids.patchEvent = (await makeEvent(ctx, { rules: { metric: 'wins', target: 3 } })).id;
  ids.patchMission = (await makeMission(ctx)).id;
  const gem = await ctx.app.inject({
    method: 'POST',
    url: '/api/admin/items',
    headers: { ...admin.headers, 'content-type': 'application/json' },
    payload: JSON.stringify({ item_id: 'fuzz_gem', name: 'Gem', kind: 'cosmetic' }),
  });
  expect(gem.statusCode).toBe(201);
  await ctx.app.inject({ method: 'POST', url: `/api/events/${event.id}/participate`, headers: player.headers });
  const start = await ctx.app.inject({ method: 'POST', url: '/api/game/sessions/start', headers: { ...player.headers, 'content-type': 'application/json' }, payload: '{"game_type":"reaction"}' });
  ids.session = start.json().session_id;
  const sku = await ctx.app.inject({
    method: 'POST',
    url: '/api/admin/shop/skus',
    headers: { ...admin.headers, 'content-type': 'application/json' },
    payload: JSON.stringify({ sku_id: 'fuzz_sku', name: 'Fuzz', price: 10, currency_type: 'soft', stock: 5, per_user_limit: 2, bundle: { items: [{ item_id: 'fuzz_box', quantity: 1 }] } }),
  });
  expect(sku.statusCode).toBe(201);
});
afterAll(async () => {
  await ctx?.close();
  await pipeline?.close(); // closes the store too
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

/** Everything a request could change that matters: counts, sums and versions of the domain tables. */
async function snapshot(): Promise<string> {
  const r = await sql<Record<string, unknown>>`SELECT
    (SELECT count(*) FROM users) AS users,
    (SELECT string_agg(owner || currency || balance, ',' ORDER BY owner, currency) FROM accounts) AS balances,
    (SELECT count(*) FROM ledger_entries) AS entries,
    (SELECT count(*) FROM reward_grants) AS grants,
    (SELECT coalesce(sum(quantity), 0) FROM inventory) AS inventory,
    (SELECT count(*) FROM items) AS items,
    (SELECT count(*) || ':' || coalesce(sum(stock_remaining), 0) FROM skus) AS skus,
    (SELECT count(*) FROM purchases WHERE status = 'succeeded') AS purchases,
    (SELECT string_agg(status || ':' || coalesce(score, -1), ',' ORDER BY id) FROM game_sessions) AS sessions,
    (SELECT count(*) FROM events) AS events,
    (SELECT string_agg(status || progress || ':' || progress_version, ',' ORDER BY event_id, user_id) FROM event_participations) AS participations,
    (SELECT count(*) FROM missions) AS missions,
    (SELECT string_agg(status || progress || ':' || progress_version, ',' ORDER BY mission_id, user_id) FROM mission_progress) AS mission_progress,
    (SELECT string_agg(level || ':' || exp || ':' || tier, ',' ORDER BY id) FROM users) AS progression,
    (SELECT md5(coalesce(string_agg(e::text, ',' ORDER BY e.id), '')) FROM events e) AS event_rows,
    (SELECT md5(coalesce(string_agg(m::text, ',' ORDER BY m.id), '')) FROM missions m) AS mission_rows,
    (SELECT md5(coalesce(string_agg(i::text, ',' ORDER BY i.item_id), '')) FROM items i) AS item_rows,
    (SELECT md5(coalesce(string_agg(k::text, ',' ORDER BY k.sku_id), '')) FROM skus k) AS sku_rows,
    (SELECT version FROM content_version) AS content_version,
    (SELECT string_agg(coalesce(suspended_at::text, '-') || coalesce(suspended_reason, ''), ',' ORDER BY id) FROM users) AS suspensions,
    (SELECT count(*) FROM auth_sessions WHERE revoked_at IS NULL) AS live_sessions`.execute(ctx.db);
  return JSON.stringify(r.rows[0]);
}

/** A value that is valid for the contract field most of the time, and junk the rest. */
const junk = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, 0, 1.5, 1e308, -0, 2 ** 53, 1_000_000_001, '', ' ', '0', 'null', null, true, [], {}, 'a'.repeat(5000), '\u0000', '💥', '__proto__'),
  fc.string({ maxLength: 300 }),
  fc.integer(),
  fc.double(),
);

/** Bodies from a contract: a valid example mutated field by field, plus unknown keys and whole junk. */
function bodies(schema: z.ZodType, valid: Record<string, unknown>) {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
  const keys = [...new Set([...Object.keys(shape), ...Object.keys(valid)])];
  const mutated = fc
    .record(Object.fromEntries(keys.map((k) => [k, fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: junk })])), { requiredKeys: [] })
    .chain((changes) =>
      fc.record({ extra: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), junk, { minKeys: 1, maxKeys: 2 }) }) }).map(({ extra }) => {
        const body: Record<string, unknown> = { ...valid };
        for (const [k, v] of Object.entries(changes)) if (v !== undefined) body[k] = v;
        return extra ? { ...body, ...extra } : body;
      }),
    );
  return fc.oneof({ weight: 6, arbitrary: mutated.map((b) => JSON.stringify(b)) }, { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) });
}

const param = (real: () => string) =>
  fc.oneof(fc.constant(null).map(() => real()), fc.uuid().map(String), fc.string({ maxLength: 60 }).map((s) => encodeURIComponent(s) || 'x'), fc.constantFrom('0', '-1', 'null', '%00', '..', 'a'.repeat(300), '%', '%zz', '%E0%A4%A'));
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const headers = fc.record({
  auth: fc.oneof(
    { weight: 5, arbitrary: fc.constant('player') },
    { weight: 2, arbitrary: fc.constant('admin') },
    { weight: 1, arbitrary: fc.constant('none') },
    { weight: 2, arbitrary: printable.map((s) => `junk:${s}`) },
  ),
  key: fc.option(printable, { freq: 2, nil: undefined }),
  contentType: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'none', 'application/json; charset=latin1') }),
});

const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
interface Route {
  name: string;
  method: 'POST' | 'PATCH';
  /** As the OpenAPI document names it; `{param}` is filled by the fuzzed param. */
  path: string;
  realParam: () => string;
  body: fc.Arbitrary<string>;
}
const urlOf = (path: string, p: string) => path.replace(/\{[^}]+\}/, p);
const routes: Route[] = [
  { name: 'signup', method: 'POST', path: '/api/auth/signup', realParam: () => '', body: bodies(SignupBodySchema, { site_id: 'fuzz_new', nickname: 'F', password: 'fuzz-password' }) },
  { name: 'login', method: 'POST', path: '/api/auth/login', realParam: () => '', body: bodies(LoginBodySchema, { site_id: 'fuzz_new', password: 'fuzz-password' }) },
  { name: 'refresh', method: 'POST', path: '/api/auth/refresh', realParam: () => '', body: bodies(RefreshBodySchema, { refresh_token: 'x'.repeat(43) }) },
  { name: 'logout', method: 'POST', path: '/api/auth/logout', realParam: () => '', body: fc.constantFrom('{}', '', '{"all":true}', '[]', 'null') },
  { name: 'participate', method: 'POST', path: '/api/events/{id}/participate', realParam: () => ids.event!, body: fc.constantFrom('', '{}', '[]', '{"x":1}') },
  { name: 'progress', method: 'POST', path: '/api/events/{id}/progress', realParam: () => ids.event!, body: bodies(EventProgressBodySchema, { metric: 'games_played', delta: 1, expected_version: 0 }) },
  { name: 'claim', method: 'POST', path: '/api/events/{id}/claim', realParam: () => ids.event!, body: fc.constantFrom('', '{}', '{"a":1}') },
  { name: 'mission-claim', method: 'POST', path: '/api/events/missions/{id}/claim', realParam: () => ids.mission!, body: fc.constantFrom('', '{}', '{"a":1}') },
  { name: 'session-start', method: 'POST', path: '/api/game/sessions/start', realParam: () => '', body: bodies(StartSessionBodySchema, { game_type: 'reaction' }) },
  { name: 'session-end', method: 'POST', path: '/api/game/sessions/{id}/end', realParam: () => ids.session!, body: bodies(EndSessionBodySchema, { score: 10, duration: 1 }) },
  { name: 'purchase', method: 'POST', path: '/api/shop/purchase', realParam: () => '', body: bodies(PurchaseBodySchema, { sku_id: 'fuzz_sku', quantity: 1 }) },
  { name: 'item-use', method: 'POST', path: '/api/inventory/{item_id}/use', realParam: () => 'fuzz_box', body: fc.constantFrom('', '{}', '{"a":1}', 'null') },
  { name: 'distribute', method: 'POST', path: '/api/rewards/distribute', realParam: () => '', body: bodies(DistributeBodySchema, { user_id: randomUUID(), bundle: { currencies: { soft: 1 } }, reason: 'fuzz' }) },
  {
    name: 'admin-event',
    method: 'POST', path: '/api/admin/events',
    realParam: () => '',
    body: bodies(CreateEventBodySchema, { key: 'fuzz_ev', title: 'F', type: 'limited', starts_at: iso(-3600_000), ends_at: iso(3600_000), rules: { metric: 'wins', target: 1 }, reward_bundle: { exp: 1 } }),
  },
  { name: 'admin-mission', method: 'POST', path: '/api/admin/missions', realParam: () => '', body: bodies(CreateMissionBodySchema, { key: 'fuzz_mi', title: 'F', period: 'daily', rules: { metric: 'wins', target: 1 }, reward_bundle: { exp: 1 } }) },
  { name: 'admin-sku', method: 'POST', path: '/api/admin/shop/skus', realParam: () => '', body: bodies(CreateSkuBodySchema, { sku_id: 'fuzz_sku2', name: 'F', price: 1, currency_type: 'soft', bundle: { exp: 1 } }) },
  { name: 'admin-item', method: 'POST', path: '/api/admin/items', realParam: () => '', body: bodies(CreateItemBodySchema, { item_id: 'fuzz_item', name: 'F', kind: 'cosmetic' }) },
  { name: 'admin-player-suspend', method: 'POST', path: '/api/admin/players/{id}/suspend', realParam: () => ids.suspendTarget!, body: bodies(SuspendPlayerBodySchema, { reason: 'fuzz' }) },
  { name: 'admin-player-reinstate', method: 'POST', path: '/api/admin/players/{id}/reinstate', realParam: () => ids.suspendTarget!, body: fc.constantFrom('', '{}', '[]', '{"a":1}', 'null') },
  { name: 'admin-event-edit', method: 'PATCH', path: '/api/admin/events/{id}', realParam: () => ids.patchEvent!, body: bodies(UpdateEventBodySchema, { title: 'Fuzzed' }) },
  { name: 'admin-mission-edit', method: 'PATCH', path: '/api/admin/missions/{id}', realParam: () => ids.patchMission!, body: bodies(UpdateMissionBodySchema, { title: 'Fuzzed' }) },
  { name: 'admin-sku-edit', method: 'PATCH', path: '/api/admin/shop/skus/{sku_id}', realParam: () => 'fuzz_sku', body: bodies(UpdateSkuBodySchema, { name: 'Fuzzed' }) },
  { name: 'admin-item-edit', method: 'PATCH', path: '/api/admin/items/{item_id}', realParam: () => 'fuzz_gem', body: bodies(UpdateItemBodySchema, { name: 'Fuzzed' }) },
];

/** The Authorization header a generated `auth` stands for: the player's or admin's token, junk, or none. */
function authorization(auth: string, as: { player: TestPlayer; admin: TestPlayer }): string | undefined {
  if (auth === 'player') return as.player.headers.authorization;
  if (auth === 'admin') return as.admin.headers.authorization;
  return auth === 'none' ? undefined : auth.slice(5);
}

/**
 * One route's fuzzing run: counts the statuses, and checks each answer: never a 5xx, and after a
 * 4xx the domain snapshot is what it was before the request.
 */
async function routeRun() {
  let before = await snapshot();
  const seen: Record<number, number> = {};
  return {
    seen,
    async check(request: string, res: { statusCode: number; body: string; headers: Record<string, unknown> }) {
      seen[res.statusCode] = (seen[res.statusCode] ?? 0) + 1;
      expect(res.statusCode, `${request} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
      // Every refusal speaks the API's error contract, Fastify's own (bad URL, long param) included.
      if (res.statusCode >= 400) expect(res.headers['content-type'], `${request} → ${res.body.slice(0, 200)}`).toMatch(/^application\/problem\+json/);
      const after = await snapshot();
      if (res.statusCode >= 400) expect(after, `${res.statusCode} ${res.body.slice(0, 200)} changed state`).toBe(before);
      before = after;
    },
  };
}

const RUNS = Number(process.env.CHAOS_FUZZ_RUNS ?? 180);

describe('fuzzing the POST and PATCH routes from the contracts', () => {
  it.each(routes)('$name: never a 5xx, never a state change on a 4xx', async (route) => {
    const run = await routeRun();
    await fc.assert(
      fc.asyncProperty(param(route.realParam), route.body, headers, async (p, payload, h) => {
        const hdrs: Record<string, string> = {};
        // Logout revokes the session it is called with: whoever calls it, it is the leaver's.
        const auth = authorization(h.auth, route.name === 'logout' ? { player: leaver, admin: leaver } : { player, admin });
        if (auth !== undefined) hdrs.authorization = auth;
        if (h.key !== undefined) hdrs['x-idempotency-key'] = h.key;
        if (h.contentType !== 'none' && payload !== '') hdrs['content-type'] = h.contentType;
        const url = urlOf(route.path, p);
        const res = await ctx.app.inject({ method: route.method, url, headers: hdrs, ...(payload === '' ? {} : { payload }) });
        await run.check(`${route.method} ${url} ${payload.slice(0, 300)}`, res);
      }),
      { numRuns: RUNS, seed: Number(process.env.CHAOS_FUZZ_SEED ?? 20261128) + routes.indexOf(route) },
    );
    console.log(`fuzz ${route.name}: ${JSON.stringify(run.seen)}`);
    // The generators reach past validation too, not only 400s.
    expect(Object.keys(run.seen).length).toBeGreaterThan(0);
    await expectLedgerClean(ctx.db);
  });
});

interface GetRoute {
  path: string;
  /** The query names the contract reads, each with a value it accepts. */
  query: Record<string, string>;
  /** Only refused callers: a valid one would hold the connection open (Server-Sent Events). */
  refusedOnly?: boolean;
  /** For a path with a `{param}`: the real value, fuzzed as the POST routes' params are. */
  realParam?: () => string;
}
const getRoutes: GetRoute[] = [
  { path: '/healthz', query: {} },
  { path: '/readyz', query: {} },
  { path: '/metrics', query: {} },
  { path: '/api/auth/me', query: {} },
  { path: '/api/dashboard', query: {} },
  { path: '/api/profile', query: {} },
  { path: '/api/rewards/pending', query: {} },
  { path: '/api/rewards/history', query: { limit: '20', before: '00000000-0000-4000-8000-000000000000' } },
  { path: '/api/events', query: { active: 'true' } },
  { path: '/api/events/missions', query: {} },
  { path: '/api/game/types', query: {} },
  { path: '/api/game/sessions/recent', query: { limit: '5' } },
  { path: '/api/game/sessions/active', query: {} },
  { path: '/api/shop/catalog', query: {} },
  { path: '/api/inventory', query: {} },
  { path: '/api/items', query: {} },
  { path: '/api/admin/events', query: {} },
  { path: '/api/admin/missions', query: {} },
  { path: '/api/admin/shop/skus', query: {} },
  { path: '/api/admin/items', query: {} },
  { path: '/api/admin/players', query: { q: 'fuzz', limit: '5' } },
  { path: '/api/admin/players/{id}', query: {}, realParam: () => player.user.id },
  { path: '/api/admin/players/{id}/grants', query: { limit: '5', before: '00000000-0000-4000-8000-000000000000' }, realParam: () => player.user.id },
  { path: '/api/admin/pipeline', query: {} },
  { path: '/api/admin/analytics/kpis', query: { from: '2026-11-01', to: '2026-11-30' } },
  { path: '/api/stream/', query: { access_token: 'x' }, refusedOnly: true },
];

const queryPart = fc.oneof(
  printable.map((s) => encodeURIComponent(s)),
  fc.constantFrom('', '-1', '0', '1e9', '9'.repeat(40), 'true', 'TRUE', 'null', '[]', '2026-02-30', '%zz', '%00', 'a'.repeat(3000), '__proto__'),
);
/** A query string: the contract's names with valid or junk values, unknown names, a name repeated, or raw junk. */
function queries(route: GetRoute) {
  const names = Object.keys(route.query);
  const pair = fc.oneof(
    ...(names.length ? [fc.constantFrom(...names).chain((n) => fc.oneof(fc.constant(route.query[n]!), queryPart).map((v) => `${n}=${v}`))] : []),
    fc.tuple(fc.oneof(queryPart, fc.constantFrom('constructor', 'limit', 'active', 'from', 'to', 'access_token', 'q', 'before')), queryPart).map(([n, v]) => `${n}=${v}`),
    queryPart,
  );
  return fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 4, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => `?${ps.join('&')}`) });
}
const getHeaders = fc.record({
  auth: headers.map((h) => h.auth),
  ifNoneMatch: fc.option(fc.oneof(printable, fc.constantFrom('*', 'W/"1-1-1"', '"', 'W/', ',,,', 'x'.repeat(2000))), { freq: 3, nil: undefined }),
  traceparent: fc.option(fc.oneof(printable, fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')), { freq: 3, nil: undefined }),
  requestId: fc.option(printable, { freq: 3, nil: undefined }),
});

const GET_RUNS = Number(process.env.CHAOS_FUZZ_GET_RUNS ?? 100);

describe('fuzzing the GET routes', () => {
  it.each(getRoutes)('$path: never a 5xx, never a state change on a 4xx', async (route) => {
    const run = await routeRun();
    await fc.assert(
      fc.asyncProperty(queries(route), getHeaders, param(route.realParam ?? (() => '')), async (query, h, p) => {
        const hdrs: Record<string, string> = {};
        const auth = authorization(route.refusedOnly && (h.auth === 'player' || h.auth === 'admin') ? 'none' : h.auth, { player, admin });
        if (auth !== undefined) hdrs.authorization = auth;
        if (h.ifNoneMatch !== undefined) hdrs['if-none-match'] = h.ifNoneMatch;
        if (h.traceparent !== undefined) hdrs.traceparent = h.traceparent;
        if (h.requestId !== undefined) hdrs['x-request-id'] = h.requestId;
        const path = route.realParam ? urlOf(route.path, p) : route.path;
        const res = await ctx.app.inject({ method: 'GET', url: `${path}${query}`, headers: hdrs });
        await run.check(`GET ${path}${query.slice(0, 300)}`, res);
        if (res.statusCode >= 400) expect(res.headers['content-type'], res.body.slice(0, 200)).toMatch(/^application\/problem\+json/);
      }),
      { numRuns: GET_RUNS, seed: Number(process.env.CHAOS_FUZZ_SEED ?? 20261128) + 100 + getRoutes.indexOf(route) },
    );
    console.log(`fuzz GET ${route.path}: ${JSON.stringify(run.seen)}`);
    expect(Object.keys(run.seen).length).toBeGreaterThan(0);
  });
});

describe('the fuzzed routes', () => {
  it('are every route the OpenAPI document lists', async () => {
    await ctx.app.ready();
    const spec = (ctx.app as unknown as { swagger(): { paths: Record<string, Record<string, unknown>> } }).swagger();
    const listed = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const fuzzed = new Set([...routes.map((r) => `${r.method} ${r.path}`), ...getRoutes.map((r) => `GET ${r.path}`)]);
    expect(listed.filter((op) => !fuzzed.has(op))).toEqual([]);
    expect(listed.length).toBeGreaterThan(40);
  });
});
