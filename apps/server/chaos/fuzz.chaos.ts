import { randomUUID } from 'node:crypto';
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
} from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../test/build-app.ts';
import { makeEvent, makeMission } from '../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../test/factories/players.ts';
import { expectLedgerClean } from '../test/ledger.ts';

// Property-based fuzzing of every POST route, with bodies built from the zod contracts (their
// field names, with valid values mutated into wrong types, boundaries, unknown keys and junk),
// random path params and random headers. Two properties: never a 5xx; a 4xx changes no state.
let ctx: TestContext;
let player: TestPlayer;
let admin: TestPlayer;
// Logout revokes the session it is called with: it gets a player of its own.
let leaver: TestPlayer;
const ids: Record<string, string> = {};

beforeAll(async () => {
  ctx = await buildTestApp();
  player = await makePlayer(ctx.app);
  admin = await makeAdmin(ctx);
  leaver = await makePlayer(ctx.app);
  const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 2, client_reportable: true } });
  const mission = await makeMission(ctx);
  ids.event = event.id;
  ids.mission = mission.id;
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
afterAll(() => ctx?.close());

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
    (SELECT string_agg(level || ':' || exp || ':' || tier, ',' ORDER BY id) FROM users) AS progression`.execute(ctx.db);
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
  fc.oneof(fc.constant(null).map(() => real()), fc.uuid().map(String), fc.string({ maxLength: 60 }).map((s) => encodeURIComponent(s) || 'x'), fc.constantFrom('0', '-1', 'null', '%00', '..', 'a'.repeat(300)));
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
  url: (p: string) => string;
  realParam: () => string;
  body: fc.Arbitrary<string>;
}
const routes: Route[] = [
  { name: 'signup', url: () => '/api/auth/signup', realParam: () => '', body: bodies(SignupBodySchema, { site_id: 'fuzz_new', nickname: 'F', password: 'fuzz-password' }) },
  { name: 'login', url: () => '/api/auth/login', realParam: () => '', body: bodies(LoginBodySchema, { site_id: 'fuzz_new', password: 'fuzz-password' }) },
  { name: 'refresh', url: () => '/api/auth/refresh', realParam: () => '', body: bodies(RefreshBodySchema, { refresh_token: 'x'.repeat(43) }) },
  { name: 'logout', url: () => '/api/auth/logout', realParam: () => '', body: fc.constantFrom('{}', '', '{"all":true}', '[]', 'null') },
  { name: 'participate', url: (p) => `/api/events/${p}/participate`, realParam: () => ids.event!, body: fc.constantFrom('', '{}', '[]', '{"x":1}') },
  { name: 'progress', url: (p) => `/api/events/${p}/progress`, realParam: () => ids.event!, body: bodies(EventProgressBodySchema, { metric: 'games_played', delta: 1, expected_version: 0 }) },
  { name: 'claim', url: (p) => `/api/events/${p}/claim`, realParam: () => ids.event!, body: fc.constantFrom('', '{}', '{"a":1}') },
  { name: 'mission-claim', url: (p) => `/api/events/missions/${p}/claim`, realParam: () => ids.mission!, body: fc.constantFrom('', '{}', '{"a":1}') },
  { name: 'session-start', url: () => '/api/game/sessions/start', realParam: () => '', body: bodies(StartSessionBodySchema, { game_type: 'reaction' }) },
  { name: 'session-end', url: (p) => `/api/game/sessions/${p}/end`, realParam: () => ids.session!, body: bodies(EndSessionBodySchema, { score: 10, duration: 1 }) },
  { name: 'purchase', url: () => '/api/shop/purchase', realParam: () => '', body: bodies(PurchaseBodySchema, { sku_id: 'fuzz_sku', quantity: 1 }) },
  { name: 'item-use', url: (p) => `/api/inventory/${p}/use`, realParam: () => 'fuzz_box', body: fc.constantFrom('', '{}', '{"a":1}', 'null') },
  { name: 'distribute', url: () => '/api/rewards/distribute', realParam: () => '', body: bodies(DistributeBodySchema, { user_id: randomUUID(), bundle: { currencies: { soft: 1 } }, reason: 'fuzz' }) },
  {
    name: 'admin-event',
    url: () => '/api/admin/events',
    realParam: () => '',
    body: bodies(CreateEventBodySchema, { key: 'fuzz_ev', title: 'F', type: 'limited', starts_at: iso(-3600_000), ends_at: iso(3600_000), rules: { metric: 'wins', target: 1 }, reward_bundle: { exp: 1 } }),
  },
  { name: 'admin-mission', url: () => '/api/admin/missions', realParam: () => '', body: bodies(CreateMissionBodySchema, { key: 'fuzz_mi', title: 'F', period: 'daily', rules: { metric: 'wins', target: 1 }, reward_bundle: { exp: 1 } }) },
  { name: 'admin-sku', url: () => '/api/admin/shop/skus', realParam: () => '', body: bodies(CreateSkuBodySchema, { sku_id: 'fuzz_sku2', name: 'F', price: 1, currency_type: 'soft', bundle: { exp: 1 } }) },
  { name: 'admin-item', url: () => '/api/admin/items', realParam: () => '', body: bodies(CreateItemBodySchema, { item_id: 'fuzz_item', name: 'F', kind: 'cosmetic' }) },
];

const RUNS = Number(process.env.CHAOS_FUZZ_RUNS ?? 180);

describe('fuzzing the POST routes from the contracts', () => {
  it.each(routes)('$name: never a 5xx, never a state change on a 4xx', async (route) => {
    let before = await snapshot();
    const seen: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(param(route.realParam), body(route), headers, async (p, payload, h) => {
        const hdrs: Record<string, string> = {};
        if (h.auth === 'player') hdrs.authorization = (route.name === 'logout' ? leaver : player).headers.authorization;
        else if (h.auth === 'admin') hdrs.authorization = admin.headers.authorization;
        else if (h.auth !== 'none') hdrs.authorization = h.auth.slice(5);
        if (h.key !== undefined) hdrs['x-idempotency-key'] = h.key;
        if (h.contentType !== 'none' && payload !== '') hdrs['content-type'] = h.contentType;
        const res = await ctx.app.inject({ method: 'POST', url: route.url(p), headers: hdrs, ...(payload === '' ? {} : { payload }) });
        seen[res.statusCode] = (seen[res.statusCode] ?? 0) + 1;
        expect(res.statusCode, `${route.url(p)} ${payload.slice(0, 300)} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        const after = await snapshot();
        if (res.statusCode >= 400) expect(after, `${res.statusCode} ${res.body.slice(0, 200)} changed state`).toBe(before);
        before = after;
      }),
      { numRuns: RUNS, seed: Number(process.env.CHAOS_FUZZ_SEED ?? 20261128) + routes.indexOf(route) },
    );
    console.log(`fuzz ${route.name}: ${JSON.stringify(seen)}`);
    // The generators reach past validation too, not only 400s.
    expect(Object.keys(seen).length).toBeGreaterThan(0);
    await expectLedgerClean(ctx.db);
  });
});

function body(route: Route) {
  return route.body;
}
