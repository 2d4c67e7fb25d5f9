import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { buildApp, type App } from '../app.ts';
import type { Db } from '../db/database.ts';
import { ManualClock } from '../lib/clock.ts';
import { DomainError } from '../lib/domain-error.ts';
import { canonicalJson, requestFingerprint } from '../lib/idempotency-fingerprint.ts';
import { TEST_JWT_SECRET } from '../../test/build-app.ts';
import { createTestDatabase, type TestDatabase } from '../../test/database.ts';
import { makePlayer, type TestPlayer } from '../../test/factories/players.ts';
import { expectProblem } from '../../test/problem.ts';
import { caller } from './auth.ts';
import { IDEMPOTENCY_RETENTION_MS, purgeExpiredIdempotencyKeys } from './idempotency.ts';

let testDb: TestDatabase;
let app: App;
let db: Db;
const clock = new ManualClock();

// In-memory knobs of the test-only routes below.
const calls = { refuse: 0, conflict: 0, flaky: 0, anonymous: 0, optOut: 0, anonymousOptIn: 0 };
let failNextFlaky = false;
/** Requests to the gated route wait here until the test opens the gate. */
let gate: { promise: Promise<void>; open: () => void };
const closeGate = () => {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  gate = { promise, open };
};

const EffectBody = z.strictObject({ tag: z.string().min(1), n: z.number().int() });

/** The side effect the plugin must never repeat: one row per handler run. */
async function recordEffect(userScope: string, route: string, tag: string, n: number) {
  const { rows } = await sql<{ id: number }>`
    INSERT INTO idem_test_effects (user_scope, route, tag, n) VALUES (${userScope}, ${route}, ${tag}, ${n}) RETURNING id
  `.execute(db);
  return rows[0]!.id;
}

async function effectsOf(tag: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM idem_test_effects WHERE tag = ${tag}`.execute(db);
  return rows[0]!.n;
}

function registerTestRoutes(app: App) {
  const effect = async (request: { auth: { userId: string } | null; routeOptions: { url?: string }; idempotencyKey: string | null; body: z.infer<typeof EffectBody> }) => {
    const id = await recordEffect(request.auth?.userId ?? 'anonymous', request.routeOptions.url ?? '', request.body.tag, request.body.n);
    return { effect_id: id, tag: request.body.tag, n: request.body.n, idempotency_key: request.idempotencyKey };
  };
  const authed = { preHandler: app.authenticate, schema: { body: EffectBody } };

  // Default mode: every authenticated POST.
  app.post('/test/idem/effects', authed, async (request, reply) => reply.code(201).send(await effect(request)));
  app.post('/test/idem/other-effects', authed, async (request, reply) => reply.code(201).send(await effect(request)));
  app.post(
    '/test/idem/items/:id',
    { preHandler: app.authenticate, schema: { body: EffectBody, params: z.strictObject({ id: z.string() }) } },
    async (request, reply) => reply.code(201).send(await effect(request)),
  );
  app.post('/test/idem/required', { ...authed, config: { idempotency: 'required' } }, async (request, reply) =>
    reply.code(201).send(await effect(request)),
  );
  app.post('/test/idem/opt-out', { ...authed, config: { idempotency: false } }, async () => ({ call: ++calls.optOut }));
  // Refuses the first time, would succeed after: a stored 4xx must keep answering the same.
  app.post('/test/idem/refuse', authed, async () => {
    calls.refuse += 1;
    if (calls.refuse === 1) throw new DomainError('SOLD_OUT', 'nothing left');
    return { call: calls.refuse };
  });
  // Loses a race the first time (its transaction rolled back), succeeds after.
  app.post('/test/idem/conflict', authed, async (_request, reply) => {
    calls.conflict += 1;
    if (calls.conflict === 1) throw new DomainError('VERSION_CONFLICT', 'a concurrent change won; retry');
    return reply.code(201).send({ call: calls.conflict });
  });
  app.post('/test/idem/flaky', authed, async (request, reply) => {
    calls.flaky += 1;
    if (failNextFlaky) {
      failNextFlaky = false;
      throw new Error('the database fell over');
    }
    return reply.code(201).send(await effect(request));
  });
  app.post('/test/idem/gated', authed, async (request, reply) => {
    await gate.promise;
    return reply.code(201).send(await effect(request));
  });
  // Anonymous routes: ignored by default, honoured (scope 'anonymous') when the route opts in.
  app.post('/test/idem/anonymous', { schema: { body: EffectBody } }, async () => ({ call: ++calls.anonymous }));
  app.post('/test/idem/anonymous-opt-in', { schema: { body: EffectBody }, config: { idempotency: true } }, async () => ({
    call: ++calls.anonymousOptIn,
  }));
  // A GET route is untouched by default.
  app.get('/test/idem/whoami', { preHandler: app.authenticate }, async (request) => ({ user_id: caller(request).userId, key: request.idempotencyKey }));
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.database.db;
  await sql`CREATE TABLE idem_test_effects (
    id serial PRIMARY KEY, user_scope text NOT NULL, route text NOT NULL, tag text NOT NULL, n integer NOT NULL
  )`.execute(db);
  app = await buildApp({
    config: { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' },
    database: testDb.database,
    clock,
  });
  registerTestRoutes(app);
  await app.ready();
  closeGate();
});
afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

const newTag = () => `t_${randomUUID()}`;

const post = (
  url: string,
  options: { player?: TestPlayer; key?: string | null; payload?: unknown } = {},
) =>
  app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      ...(options.player ? options.player.headers : {}),
      ...(options.key === undefined || options.key === null ? {} : { 'x-idempotency-key': options.key }),
    },
    payload: JSON.stringify(options.payload ?? {}),
  });

/** A fresh access token for the same player, after the clock moved past the old one's expiry. */
async function relogin(player: TestPlayer): Promise<TestPlayer> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
  expect(res.statusCode, res.body).toBe(200);
  return { ...player, headers: { authorization: `Bearer ${res.json().access_token}` } };
}

const keyRow = (userScope: string, route: string, key: string) =>
  db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('user_scope', '=', userScope)
    .where('route', '=', route)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();

describe('replay', () => {
  it('answers a retry with the stored status and body, marked Idempotent-Replayed, without running again', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    const first = await post('/test/idem/effects', { player, key, payload: { tag, n: 1 } });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.json()).toMatchObject({ tag, n: 1, idempotency_key: key });

    // Same request with its keys in another order: the same request.
    const again = await app.inject({
      method: 'POST',
      url: '/test/idem/effects',
      headers: { ...player.headers, 'content-type': 'application/json', 'x-idempotency-key': key },
      payload: `{"n": 1, "tag": "${tag}"}`,
    });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.body).toBe(first.body);
    expect(await effectsOf(tag)).toBe(1);

    const row = await keyRow(player.user.id, 'POST /test/idem/effects', key);
    expect(row).toMatchObject({ status: 'completed', response_status: 201, response_body: first.body });
    expect(row!.expires_at.getTime() - row!.created_at.getTime()).toBe(IDEMPOTENCY_RETENTION_MS);
    expect(row!.created_at.toISOString()).toBe(clock.now().toISOString());
  });

  it('without a key, every request runs', async () => {
    const player = await makePlayer(app);
    const tag = newTag();
    for (let i = 0; i < 2; i += 1) expect((await post('/test/idem/effects', { player, payload: { tag, n: 1 } })).statusCode).toBe(201);
    expect(await effectsOf(tag)).toBe(2);
  });

  it('refuses the same key with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing done', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    expect((await post('/test/idem/effects', { player, key, payload: { tag, n: 1 } })).statusCode).toBe(201);
    expectProblem(await post('/test/idem/effects', { player, key, payload: { tag, n: 2 } }), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await effectsOf(tag)).toBe(1);
    // The original still replays afterwards.
    const replay = await post('/test/idem/effects', { player, key, payload: { tag, n: 1 } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('counts route params as part of the request', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    expect((await post('/test/idem/items/a', { player, key, payload: { tag, n: 1 } })).statusCode).toBe(201);
    expectProblem(await post('/test/idem/items/b', { player, key, payload: { tag, n: 1 } }), 422, 'IDEMPOTENCY_KEY_REUSED');
    const replay = await post('/test/idem/items/a', { player, key, payload: { tag, n: 1 } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await effectsOf(tag)).toBe(1);
  });

  it('replays a stored 4xx, even when the handler would now succeed', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const payload = { tag: newTag(), n: 1 };
    const first = await post('/test/idem/refuse', { player, key, payload });
    expectProblem(first, 409, 'SOLD_OUT');
    const again = await post('/test/idem/refuse', { player, key, payload });
    expectProblem(again, 409, 'SOLD_OUT');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(calls.refuse).toBe(1);
    // Another key runs the handler, which now succeeds.
    expect((await post('/test/idem/refuse', { player, key: randomUUID(), payload })).statusCode).toBe(200);
  });

  it('releases the key after a 409 VERSION_CONFLICT (nothing happened), so the retry runs; that result then replays', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const payload = { tag: newTag(), n: 1 };
    expectProblem(await post('/test/idem/conflict', { player, key, payload }), 409, 'VERSION_CONFLICT');
    const retry = await post('/test/idem/conflict', { player, key, payload });
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.statusCode, retry.body).toBe(201);
    const again = await post('/test/idem/conflict', { player, key, payload });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual({ call: 2 });
    expect(calls.conflict).toBe(2);
  });

  it('releases the key after a 5xx, so the retry runs; that result then replays', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    failNextFlaky = true;
    expectProblem(await post('/test/idem/flaky', { player, key, payload: { tag, n: 1 } }), 500, 'INTERNAL');
    expect(await keyRow(player.user.id, 'POST /test/idem/flaky', key)).toBeUndefined();
    expect(await effectsOf(tag)).toBe(0);

    const retry = await post('/test/idem/flaky', { player, key, payload: { tag, n: 1 } });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const replay = await post('/test/idem/flaky', { player, key, payload: { tag, n: 1 } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(retry.body);
    expect(calls.flaky).toBe(2);
    expect(await effectsOf(tag)).toBe(1);
  });
});

describe('scope', () => {
  it('keeps keys per user: two players with one key both run', async () => {
    const [alice, bob] = [await makePlayer(app), await makePlayer(app)];
    const key = randomUUID();
    const tag = newTag();
    const a = await post('/test/idem/effects', { player: alice, key, payload: { tag, n: 1 } });
    const b = await post('/test/idem/effects', { player: bob, key, payload: { tag, n: 1 } });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().effect_id).not.toBe(a.json().effect_id);
    expect(await effectsOf(tag)).toBe(2);
  });

  it('keeps keys per route: one player, one key, two routes both run', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    const a = await post('/test/idem/effects', { player, key, payload: { tag, n: 1 } });
    const b = await post('/test/idem/other-effects', { player, key, payload: { tag, n: 1 } });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await effectsOf(tag)).toBe(2);
  });

  it('ignores the key on anonymous requests unless the route opts in (then the scope is "anonymous")', async () => {
    const key = randomUUID();
    const payload = { tag: newTag(), n: 1 };
    const before = calls.anonymous;
    await post('/test/idem/anonymous', { key, payload });
    const second = await post('/test/idem/anonymous', { key, payload });
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(calls.anonymous).toBe(before + 2);
    // An invalid key on a route that does not honour it is ignored, not refused.
    expect((await post('/test/idem/anonymous', { key: 'has space', payload })).statusCode).toBe(200);

    const first = await post('/test/idem/anonymous-opt-in', { key, payload });
    const replay = await post('/test/idem/anonymous-opt-in', { key, payload });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(calls.anonymousOptIn).toBe(1);
    expect(await keyRow('anonymous', 'POST /test/idem/anonymous-opt-in', key)).toMatchObject({ status: 'completed' });
  });

  it('leaves routes that opt out, and GET routes, alone', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const before = calls.optOut;
    await post('/test/idem/opt-out', { player, key, payload: { tag: newTag(), n: 1 } });
    const second = await post('/test/idem/opt-out', { player, key, payload: { tag: newTag(), n: 1 } });
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(calls.optOut).toBe(before + 2);

    const get = await app.inject({ method: 'GET', url: '/test/idem/whoami', headers: { ...player.headers, 'x-idempotency-key': key } });
    expect(get.json()).toEqual({ user_id: player.user.id, key: null });
    const rows = await db.selectFrom('idempotency_keys').select('route').where('user_scope', '=', player.user.id).execute();
    expect(rows).toEqual([]);
  });
});

describe('validation', () => {
  it.each([
    ['empty', ''],
    ['300 characters', 'k'.repeat(300)],
    ['with a space', 'my key'],
    ['with a tab', 'my\tkey'],
    ['non-ASCII', 'clé-1'],
    ['Korean', '멱등키'],
  ])('refuses a key that is %s with 400 VALIDATION_FAILED on headers.x-idempotency-key, doing nothing', async (_name, key) => {
    const player = await makePlayer(app);
    const tag = newTag();
    const res = await post('/test/idem/effects', { player, key, payload: { tag, n: 1 } });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors?.map((e) => e.field)).toEqual(['headers.x-idempotency-key']);
    expect(await effectsOf(tag)).toBe(0);
  });

  it('accepts 255 printable ASCII characters', async () => {
    const player = await makePlayer(app);
    const key = '!~'.repeat(127) + 'k';
    expect(key).toHaveLength(255);
    const res = await post('/test/idem/effects', { player, key, payload: { tag: newTag(), n: 1 } });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('requires a key on a route marked required', async () => {
    const player = await makePlayer(app);
    const tag = newTag();
    const problem = expectProblem(await post('/test/idem/required', { player, payload: { tag, n: 1 } }), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual([{ field: 'headers.x-idempotency-key', message: 'is required on this route' }]);
    expect(await effectsOf(tag)).toBe(0);
    expect((await post('/test/idem/required', { player, key: randomUUID(), payload: { tag, n: 1 } })).statusCode).toBe(201);
    expect(await effectsOf(tag)).toBe(1);
  });

  it('authenticates before it claims: a bad token is 401 and leaves no key behind', async () => {
    const key = randomUUID();
    const res = await app.inject({
      method: 'POST',
      url: '/test/idem/effects',
      headers: { authorization: 'Bearer nope', 'x-idempotency-key': key },
      payload: { tag: newTag(), n: 1 },
    });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(await db.selectFrom('idempotency_keys').select('route').where('idempotency_key', '=', key).execute()).toEqual([]);
  });
});

describe('concurrency', () => {
  it('runs one of 20 concurrent requests with one key; the others replay it or get 409', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post('/test/idem/effects', { player, key, payload: { tag, n: 1 } })),
    );
    expect(await effectsOf(tag)).toBe(1);
    const ran = results.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined);
    expect(ran).toHaveLength(1);
    for (const res of results) {
      if (res === ran[0]) continue;
      if (res.statusCode === 409) expectProblem(res, 409, 'IDEMPOTENCY_IN_PROGRESS');
      else expect({ status: res.statusCode, replayed: res.headers['idempotent-replayed'], body: res.body }).toEqual({
        status: 201,
        replayed: 'true',
        body: ran[0]!.body,
      });
    }
  });

  it('makes a request wait for the holder of its key, then replays its result', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    closeGate();
    const requests = Array.from({ length: 20 }, () => post('/test/idem/gated', { player, key, payload: { tag, n: 1 } }));
    await vi.waitFor(async () => expect(await keyRow(player.user.id, 'POST /test/idem/gated', key)).toMatchObject({ status: 'in_progress' }));
    gate.open();
    const results = await Promise.all(requests);
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    expect(new Set(results.map((r) => r.body)).size).toBe(1);
    expect(await effectsOf(tag)).toBe(1);
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS when the holder does not finish in time, and 422 at once for another body', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    closeGate();
    const holder = post('/test/idem/gated', { player, key, payload: { tag, n: 1 } });
    await vi.waitFor(async () => expect(await keyRow(player.user.id, 'POST /test/idem/gated', key)).toMatchObject({ status: 'in_progress' }));

    const started = performance.now();
    expectProblem(await post('/test/idem/gated', { player, key, payload: { tag, n: 2 } }), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(performance.now() - started).toBeLessThan(1_000);
    expectProblem(await post('/test/idem/gated', { player, key, payload: { tag, n: 1 } }), 409, 'IDEMPOTENCY_IN_PROGRESS');
    // The 409 was not stored: once the holder is done, a retry replays the holder's result.
    gate.open();
    const done = await holder;
    expect(done.statusCode).toBe(201);
    const retry = await post('/test/idem/gated', { player, key, payload: { tag, n: 1 } });
    expect({ status: retry.statusCode, replayed: retry.headers['idempotent-replayed'], body: retry.body }).toEqual({
      status: 201,
      replayed: 'true',
      body: done.body,
    });
    expect(await effectsOf(tag)).toBe(1);
  });

  it('takes over a claim held past the stale limit (a crashed node); the newer attempt is the one kept', async () => {
    const player = await makePlayer(app);
    const key = randomUUID();
    const tag = newTag();
    closeGate();
    const crashed = post('/test/idem/gated', { player, key, payload: { tag, n: 1 } });
    await vi.waitFor(async () => expect(await keyRow(player.user.id, 'POST /test/idem/gated', key)).toMatchObject({ status: 'in_progress' }));
    const held = await keyRow(player.user.id, 'POST /test/idem/gated', key);

    clock.advance(61_000);
    const takeover = post('/test/idem/gated', { player, key, payload: { tag, n: 1 } });
    await vi.waitFor(async () => expect((await keyRow(player.user.id, 'POST /test/idem/gated', key))?.lock_token).not.toBe(held!.lock_token));
    gate.open();
    const [old, fresh] = await Promise.all([crashed, takeover]);
    expect([old.statusCode, fresh.statusCode]).toEqual([201, 201]);

    const replay = await post('/test/idem/gated', { player, key, payload: { tag, n: 1 } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(fresh.body);
  });
});

describe('retention', () => {
  it('keeps keys 24 h by the clock; then the key is free again and the purge removes only expired rows', async () => {
    let player = await makePlayer(app);
    const route = 'POST /test/idem/effects';
    const [oldKey, newKey] = [randomUUID(), randomUUID()];
    const tag = newTag();
    expect((await post('/test/idem/effects', { player, key: oldKey, payload: { tag, n: 1 } })).statusCode).toBe(201);
    clock.advance(12 * 3_600_000);
    player = await relogin(player);
    expect((await post('/test/idem/effects', { player, key: newKey, payload: { tag, n: 1 } })).statusCode).toBe(201);

    // 23 h 59 min after the first: still kept, still replayed, nothing to purge.
    clock.advance(11 * 3_600_000 + 59 * 60_000);
    player = await relogin(player);
    expect((await post('/test/idem/effects', { player, key: oldKey, payload: { tag, n: 1 } })).headers['idempotent-replayed']).toBe('true');
    await purgeExpiredIdempotencyKeys(db, clock.now());
    expect(await keyRow(player.user.id, route, oldKey)).toBeDefined();

    clock.advance(60_000);
    const purged = await purgeExpiredIdempotencyKeys(db, clock.now());
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await keyRow(player.user.id, route, oldKey)).toBeUndefined();
    expect(await keyRow(player.user.id, route, newKey)).toMatchObject({ status: 'completed' });

    // An expired key is a new key, even with another body, whether or not the purge ran yet.
    clock.advance(12 * 3_600_000);
    player = await relogin(player);
    expect(await keyRow(player.user.id, route, newKey)).toBeDefined();
    const reused = await post('/test/idem/effects', { player, key: newKey, payload: { tag, n: 2 } });
    expect(reused.statusCode).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(await effectsOf(tag)).toBe(3);
  });
});

describe('fingerprint', () => {
  it.each([
    [{ b: 1, a: [2, { d: 1, c: null }] }, '{"a":[2,{"c":null,"d":1}],"b":1}'],
    [{ a: undefined, b: 'x' }, '{"b":"x"}'],
    [null, 'null'],
    [undefined, 'null'],
    ['é', '"é"'],
  ])('canonical JSON of %j is %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('tells body, params and query apart', () => {
    const base = requestFingerprint({ body: { a: 1 }, params: { id: 'x' }, query: {} });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint({ body: { a: 1 }, params: { id: 'x' }, query: {} })).toBe(base);
    expect(requestFingerprint({ body: { a: 2 }, params: { id: 'x' }, query: {} })).not.toBe(base);
    expect(requestFingerprint({ body: { a: 1 }, params: { id: 'y' }, query: {} })).not.toBe(base);
    expect(requestFingerprint({ body: { a: 1 }, params: { id: 'x' }, query: { q: '1' } })).not.toBe(base);
  });

  it('takes an empty object for no body, as the routes without input do (`NoBodySchema`)', () => {
    const none = requestFingerprint({ body: undefined, params: { id: 'x' }, query: {} });
    expect(requestFingerprint({ body: null, params: { id: 'x' }, query: {} })).toBe(none);
    expect(requestFingerprint({ body: {}, params: { id: 'x' }, query: {} })).toBe(none);
    expect(requestFingerprint({ body: { a: undefined }, params: { id: 'x' }, query: {} })).toBe(none);
    expect(requestFingerprint({ body: [], params: { id: 'x' }, query: {} })).not.toBe(none);
  });
});
