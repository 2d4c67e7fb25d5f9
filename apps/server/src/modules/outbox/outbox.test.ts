import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplePayloads, parseEnvelope, type Envelope } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeEvent, makeMission, uniqueKey } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import type { Db } from '../../db/database.ts';
import { createOutboxRelay } from './relay.ts';
import { listOutboxRows, markOutboxPublished, readOutboxBacklog } from './repo.ts';
import { appendOutbox, appendOutboxEvents, pruneOutbox } from './service.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

const someUser = async () => (await makePlayer(ctx.app)).user.id;

describe('appendOutbox', () => {
  it('writes a valid envelope v1 in the caller’s transaction', async () => {
    const userId = await someUser();
    const now = ctx.clock.now();
    const written = await ctx.db.transaction().execute((trx) =>
      appendOutbox(trx, {
        eventType: 'game.session.start',
        userId,
        payload: examplePayloads['game.session.start'],
        idempotencyKey: 'key-1',
        now,
      }),
    );
    const rows = await listOutboxRows(ctx.db, { userId });
    const row = rows.find((r) => r.event_id === written.event_id);
    expect(row).toMatchObject({ event_type: 'game.session.start', user_id: userId, published_at: null });
    expect(parseEnvelope(row?.envelope)).toEqual({ ok: true, envelope: written });
    expect(written).toMatchObject({ ts: now.toISOString(), version: 1, idempotency_key: 'key-1' });
  });

  it('leaves no row when the transaction rolls back', async () => {
    const userId = await someUser();
    const before = (await listOutboxRows(ctx.db, { userId })).length;
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await appendOutbox(trx, { eventType: 'event.participate', userId, payload: examplePayloads['event.participate'], now: ctx.clock.now() });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await listOutboxRows(ctx.db, { userId })).toHaveLength(before);
  });

  it('refuses a payload that breaks its contract, and writes nothing', async () => {
    const userId = await someUser();
    const before = (await listOutboxRows(ctx.db, { userId })).length;
    await expect(
      ctx.db.transaction().execute((trx) =>
        appendOutbox(trx, {
          eventType: 'shop.purchase.succeeded',
          userId,
          payload: { ...examplePayloads['shop.purchase.succeeded'], total_price: -1 },
          now: ctx.clock.now(),
        }),
      ),
    ).rejects.toThrow();
    expect(await listOutboxRows(ctx.db, { userId })).toHaveLength(before);
  });
});

describe('appendOutboxEvents', () => {
  it('writes several envelopes in one statement, in list order, or none when one breaks its contract', async () => {
    const userId = await someUser();
    const now = ctx.clock.now();
    const types = ['event.progress', 'mission.progress', 'event.progress'] as const;
    const written = await ctx.db.transaction().execute((trx) =>
      appendOutboxEvents(
        trx,
        types.map((eventType) => ({ eventType, userId, payload: examplePayloads[eventType], now })),
      ),
    );
    const rows = (await listOutboxRows(ctx.db, { userId })).filter((r) => r.event_type !== 'user.signup' && r.event_type !== 'reward.granted');
    expect(rows.map((r) => r.event_id)).toEqual(written.map((e) => e.event_id));
    expect(rows.map((r) => r.event_type)).toEqual([...types]);

    const before = (await listOutboxRows(ctx.db, { userId })).length;
    await expect(
      ctx.db.transaction().execute((trx) =>
        appendOutboxEvents(trx, [
          { eventType: 'event.progress', userId, payload: examplePayloads['event.progress'], now },
          { eventType: 'event.progress', userId, payload: { nope: true } as never, now },
        ]),
      ),
    ).rejects.toThrow();
    expect(await listOutboxRows(ctx.db, { userId })).toHaveLength(before);
  });
});

describe('pruneOutbox', () => {
  it('deletes published rows past the retention and keeps recent and unpublished ones', async () => {
    const userId = await someUser();
    const now = ctx.clock.now();
    const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
    const written = await ctx.db.transaction().execute((trx) =>
      appendOutboxEvents(
        trx,
        [0, 1, 2, 3].map(() => ({ eventType: 'event.progress' as const, userId, payload: examplePayloads['event.progress'], now: hoursAgo(200) })),
      ),
    );
    const [oldPublished, recentPublished, oldUnpublished, atTheEdge] = written.map((e) => e.event_id);
    const publish = (eventId: string, at: Date) =>
      sql`UPDATE outbox SET published_at = ${at} WHERE event_id = ${eventId}`.execute(ctx.db);
    await publish(oldPublished!, hoursAgo(169));
    await publish(recentPublished!, hoursAgo(2));
    await publish(atTheEdge!, hoursAgo(168));

    expect((await pruneOutbox(ctx.db, now, 0)).deleted).toBe(0);
    expect(await pruneOutbox(ctx.db, now, 168)).toMatchObject({ deleted: 1, done: true });
    const left = (await listOutboxRows(ctx.db, { userId })).map((r) => r.event_id);
    expect(left).not.toContain(oldPublished);
    expect(left).toEqual(expect.arrayContaining([recentPublished, oldUnpublished, atTheEdge]));
  });

  // On an app of their own, each from an empty outbox: the walk starts at the oldest row of all.
  const HOUR = 3_600_000;
  let own: TestContext;
  beforeAll(async () => {
    own = await buildTestApp();
  });
  afterAll(() => own?.close());
  const withOwnApp = async (run: (local: TestContext) => Promise<void>) => {
    await sql`DELETE FROM outbox`.execute(own.db);
    await run(own);
  };
  /** `n` rows created at `createdAt`, published at `publishedAt` (null: pending), in one statement. */
  const fill = (db: Db, n: number, createdAt: Date, publishedAt: Date | null) =>
    sql`INSERT INTO outbox (event_id, event_type, user_id, envelope, created_at, published_at)
      SELECT gen_random_uuid(), 'game.session.start', gen_random_uuid(), '{}'::json, ${createdAt}::timestamptz, ${publishedAt}::timestamptz
      FROM generate_series(1, ${n}::int)`.execute(db);
  const count = async (db: Db, where = sql`true`) =>
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE ${where}`.execute(db)).rows[0]!.n;

  it('keeps up with the pipeline: a minute of 2 000 events/s goes in one sweep (the old one stopped at 100 000 rows)', async () => {
    await withOwnApp(async (local) => {
      const now = local.clock.now();
      const cutoff = new Date(now.getTime() - 168 * HOUR);
      await fill(local.db, 120_000, new Date(now.getTime() - 200 * HOUR), new Date(now.getTime() - 199 * HOUR));
      const pruned = await pruneOutbox(local.db, now, 168);
      expect(pruned).toMatchObject({ deleted: 120_000, done: true });
      expect(await count(local.db, sql`published_at < ${cutoff}`)).toBe(0);
    });
  });

  it('steps over rows not old enough (a late commit, a clock ahead) instead of stopping at them', async () => {
    await withOwnApp(async (local) => {
      const now = local.clock.now();
      const old = new Date(now.getTime() - 200 * HOUR);
      const longAgo = new Date(now.getTime() - 199 * HOUR);
      const kept = await count(local.db);
      // At the head: a row still pending, and one a relay with its clock ahead stamped in the future.
      await fill(local.db, 1, old, null);
      await fill(local.db, 1, old, new Date(now.getTime() + HOUR));
      // 12 000 rows past the retention, with a pending one after every 1 000.
      for (let i = 0; i < 12; i++) {
        await fill(local.db, 1_000, old, longAgo);
        await fill(local.db, 1, old, null);
      }
      const pruned = await pruneOutbox(local.db, now, 168);
      expect(pruned).toMatchObject({ deleted: 12_000, done: true });
      expect(await count(local.db)).toBe(kept + 2 + 12);
    });
  });

  it('stops where the rows still kept start, having walked one chunk of them, not the whole replay window', async () => {
    await withOwnApp(async (local) => {
      const now = local.clock.now();
      await fill(local.db, 1_200, new Date(now.getTime() - 200 * HOUR), new Date(now.getTime() - 199 * HOUR));
      await fill(local.db, 3_000, new Date(now.getTime() - 2 * HOUR), new Date(now.getTime() - HOUR));
      const kept = await count(local.db, sql`published_at >= ${new Date(now.getTime() - 168 * HOUR)} OR published_at IS NULL`);
      // Chunks of 500: 500 and 500 deleted, then 200 deleted and 300 kept, then 500 kept: stop.
      const pruned = await pruneOutbox(local.db, now, 168, { chunk: 500 });
      expect(pruned).toEqual({ deleted: 1_200, steps: 4, done: true });
      expect(await count(local.db)).toBe(kept);
    });
  });

  it('stops at its row budget, its time budget or the shutdown signal, and the next sweep goes on', async () => {
    await withOwnApp(async (local) => {
      const now = local.clock.now();
      await fill(local.db, 1_000, new Date(now.getTime() - 200 * HOUR), new Date(now.getTime() - 199 * HOUR));
      expect(await pruneOutbox(local.db, now, 168, { chunk: 100, maxRows: 250 })).toEqual({ deleted: 300, steps: 3, done: false });
      // A clock that moves 10 ms per reading: the budget of 25 ms is spent after three statements.
      let ms = 0;
      const elapsedMs = () => (ms += 10);
      expect(await pruneOutbox(local.db, now, 168, { chunk: 100, maxMs: 25, elapsedMs })).toEqual({ deleted: 300, steps: 3, done: false });
      // Shutdown while the first statement runs: the sweep ends after it.
      const stop = new AbortController();
      let readings = 0;
      const abortDuringFirst = () => {
        if (++readings === 2) stop.abort();
        return 0;
      };
      expect(await pruneOutbox(local.db, now, 168, { chunk: 100, elapsedMs: abortDuringFirst, signal: stop.signal })).toEqual({ deleted: 100, steps: 1, done: false });
      expect(await pruneOutbox(local.db, now, 168, { chunk: 100, signal: stop.signal })).toEqual({ deleted: 0, steps: 0, done: false });
      expect(await pruneOutbox(local.db, now, 168, { chunk: 100 })).toEqual({ deleted: 300, steps: 4, done: true });
    });
  });
});

describe('readOutboxBacklog (GET /api/admin/pipeline, /metrics)', () => {
  /** `db`, recording every compiled query run through it. */
  function recording(db: Db): { db: Db; queries: CompiledQuery[] } {
    const queries: CompiledQuery[] = [];
    const proxy = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'getExecutor') return Reflect.get(target, prop, receiver);
        return () => {
          const executor = target.getExecutor();
          return new Proxy(executor, {
            get(e, p) {
              if (p === 'executeQuery') {
                return (cq: CompiledQuery, id: unknown) => {
                  queries.push(cq);
                  return (e.executeQuery as (a: unknown, b: unknown) => unknown).call(e, cq, id);
                };
              }
              const v = (e as unknown as Record<PropertyKey, unknown>)[p];
              return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(e) : v;
            },
          });
        };
      },
    });
    return { db: proxy, queries };
  }

  type PlanNode = { 'Relation Name'?: string; 'Actual Rows'?: number; 'Actual Loops'?: number; 'Rows Removed by Filter'?: number; 'Rows Removed by Index Recheck'?: number; Plans?: PlanNode[] };
  /** Outbox rows a plan read: those it returned plus those it filtered away, over every node on `outbox`. */
  const outboxRowsRead = (node: PlanNode): number =>
    (node['Relation Name'] === 'outbox'
      ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * (node['Actual Loops'] ?? 1)
      : 0) + (node.Plans ?? []).reduce((sum, child) => sum + outboxRowsRead(child), 0);

  it('reads only the unpublished rows, not the week of published ones kept for replays, and counts as before', async () => {
    const local = await buildTestApp();
    try {
      const now = local.clock.now();
      await sql`INSERT INTO outbox (event_id, event_type, user_id, envelope, created_at, published_at)
        SELECT gen_random_uuid(), 'game.session.start', gen_random_uuid(), '{}'::json, ${new Date(now.getTime() - 86_400_000)}::timestamptz, ${now}::timestamptz
        FROM generate_series(1, 50000)`.execute(local.db);
      await makePlayer(local.app); // a few pending rows
      local.clock.advance(1_000);
      await makePlayer(local.app);
      await sql`ANALYZE outbox`.execute(local.db);

      const { db, queries } = recording(local.db);
      const backlog = await readOutboxBacklog(db);
      // The figures of the whole table, counted the way the endpoint used to.
      const whole = (
        await sql<{ pending: number; oldest: Date }>`
          SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending, min(created_at) FILTER (WHERE published_at IS NULL) AS oldest FROM outbox`.execute(local.db)
      ).rows[0]!;
      expect(backlog.pending).toBe(whole.pending);
      expect(backlog.pending).toBeGreaterThan(0);
      expect(backlog.oldest_pending_at).toEqual(new Date(whole.oldest));

      let read = 0;
      for (const q of queries) {
        const explained = await local.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`, [...q.parameters]));
        const cell = Object.values(explained.rows[0]!)[0];
        const plan = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: PlanNode }[];
        read += outboxRowsRead(plan[0]!.Plan);
      }
      expect(queries.length).toBeGreaterThan(0);
      expect(read).toBeLessThan(1_000);
    } finally {
      await local.close();
    }
  });
});

describe('published_total', () => {
  it('counts every row the relay published once and never goes down, the retention sweep and a second mark included', async () => {
    // Its own app: the shared one's other tests write rows this count would see.
    const local = await buildTestApp();
    try {
      const relay = createOutboxRelay({ db: local.db, clock: local.clock, publisher: { name: 'null', publish: async () => {} } });
      await makePlayer(local.app);
      await makePlayer(local.app);
      await relay.drain();
      const published = (await readOutboxBacklog(local.db)).published_total;
      // Each signup writes its events; all of them were published, each counted once.
      const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL`.execute(local.db);
      expect(published).toBe(rows.rows[0]!.n);
      expect(published).toBeGreaterThan(0);
      // A batch marked again (a node that lost its lease finishing late) counts nothing more.
      const ids = (await sql<{ id: number }>`SELECT id FROM outbox ORDER BY id`.execute(local.db)).rows.map((r) => Number(r.id));
      await markOutboxPublished(local.db, { owner: '00000000-0000-4000-8000-000000000000', ids }, local.clock.now());
      expect((await readOutboxBacklog(local.db)).published_total).toBe(published);
      // A week later the sweep deletes the rows; the count stays.
      local.clock.advance(8 * 24 * 3_600_000);
      expect((await pruneOutbox(local.db, local.clock.now(), 168)).deleted).toBeGreaterThan(0);
      expect((await readOutboxBacklog(local.db)).published_total).toBe(published);
      expect((await relay.stats()).published_total).toBe(published);
    } finally {
      await local.close();
    }
  });
});

describe('auth writes user.signup and user.login', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('with the request’s trace id, one event per signup and per successful login', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { traceparent },
      payload: { site_id: 'outbox_trace', nickname: 'Trace', password: 'longenough1' },
    });
    expect(res.statusCode).toBe(201);
    const userId = res.json().user.id as string;
    const login = (password: string) =>
      ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: 'outbox_trace', password } });
    expect((await login('longenough1')).statusCode).toBe(200);
    expect((await login('wrong-password')).statusCode).toBe(401);

    const envelopes = (await listOutboxRows(ctx.db, { userId })).map((r) => r.envelope as Envelope);
    expect(envelopes.map((e) => e.event_type).filter((t) => t.startsWith('user.'))).toEqual(['user.signup', 'user.login']);
    const signup = envelopes.find((e) => e.event_type === 'user.signup');
    expect(signup).toMatchObject({ user_id: userId, payload: { site_id: 'outbox_trace' }, trace_id: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736' });
    for (const e of envelopes) expect(parseEnvelope(e).ok).toBe(true);
  });

  it('writes nothing when the signup fails', async () => {
    const player = await makePlayer(ctx.app);
    const count = async () => (await listOutboxRows(ctx.db)).filter((r) => r.event_type === 'user.signup').length;
    const before = await count();
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { site_id: player.user.site_id, nickname: 'Again', password: 'longenough1' },
    });
    expect(res.statusCode).toBe(409);
    expect(await count()).toBe(before);
  });
});

describe('every analytics event carries the trace of the request that caused it', () => {
  it('for joins, progress, claims, plays and purchases, refused purchases included', async () => {
    const admin = await makeAdmin(ctx);
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 1, client_reportable: true } });
    await makeMission(ctx, { rules: { metric: 'purchases', target: 5 } });
    const sku = (await ctx.app.inject({
      method: 'POST',
      url: '/api/admin/shop/skus',
      headers: admin.headers,
      payload: { sku_id: uniqueKey('trace_sku'), name: 'Trace pack', price: 10, currency_type: 'soft', bundle: { items: [{ item_id: 'trace_token', quantity: 1 }] } },
    })).json().sku_id as string;
    const dear = (await ctx.app.inject({
      method: 'POST',
      url: '/api/admin/shop/skus',
      headers: admin.headers,
      payload: { sku_id: uniqueKey('trace_dear'), name: 'Too dear', price: 900_000, currency_type: 'soft', bundle: { exp: 1 } },
    })).json().sku_id as string;

    let seen = new Set((await listOutboxRows(ctx.db, { userId: player.user.id })).map((r) => r.event_id));
    let n = 0;
    /** Sends one request under a trace of its own; answers the new events' types and traces. */
    const traced = async (method: 'POST', url: string, payload?: object) => {
      n += 1;
      const hex = n.toString(16).padStart(32, 'a');
      const res = await ctx.app.inject({ method, url, headers: { ...player.headers, traceparent: `00-${hex}-00f067aa0ba902b7-01` }, ...(payload ? { payload } : {}) });
      const fresh = (await listOutboxRows(ctx.db, { userId: player.user.id })).filter((r) => !seen.has(r.event_id));
      seen = new Set([...seen, ...fresh.map((r) => r.event_id)]);
      const trace = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      return { status: res.statusCode, body: res.json(), types: fresh.map((r) => r.event_type).sort(), traces: [...new Set(fresh.map((r) => (r.envelope as Envelope).trace_id))], trace };
    };

    const join = await traced('POST', `/api/events/${event.id}/participate`);
    expect(join).toMatchObject({ status: 201, types: ['event.participate'], traces: [join.trace] });
    const progress = await traced('POST', `/api/events/${event.id}/progress`, { metric: 'games_played', delta: 1 });
    expect(progress).toMatchObject({ status: 200, types: ['event.progress'], traces: [progress.trace] });
    const claim = await traced('POST', `/api/events/${event.id}/claim`);
    expect(claim).toMatchObject({ status: 200, types: ['event.claim', 'reward.granted'], traces: [claim.trace] });
    const start = await traced('POST', '/api/game/sessions/start', { game_type: 'reaction' });
    expect(start).toMatchObject({ status: 201, types: ['game.session.start'], traces: [start.trace] });
    ctx.clock.advance(5_000);
    const end = await traced('POST', `/api/game/sessions/${start.body.session_id}/end`, { score: 100, duration: 5 });
    expect(end).toMatchObject({ status: 200, types: ['game.session.end'], traces: [end.trace] });
    const bought = await traced('POST', '/api/shop/purchase', { sku_id: sku });
    expect(bought).toMatchObject({ status: 201, types: ['mission.progress', 'reward.granted', 'shop.purchase.succeeded'], traces: [bought.trace] });
    const refused = await traced('POST', '/api/shop/purchase', { sku_id: dear });
    expect(refused).toMatchObject({ status: 402, types: ['shop.purchase.failed'], traces: [refused.trace] });
  });
});

describe('every analytics event of a request run under an X-Idempotency-Key carries the key', () => {
  it('for purchases (refused ones included), event and mission claims, session ends, operator grants and item uses', async () => {
    const admin = await makeAdmin(ctx);
    const player = await makePlayer(ctx.app);
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 1, client_reportable: true } });
    const mission = await makeMission(ctx, { rules: { metric: 'purchases', target: 1 } });
    await makeMission(ctx, { rules: { metric: 'games_played', target: 5 } });
    const skuOf = async (price: number) =>
      (
        await ctx.app.inject({
          method: 'POST',
          url: '/api/admin/shop/skus',
          headers: admin.headers,
          payload: { sku_id: uniqueKey('keyed_sku'), name: 'Keyed pack', price, currency_type: 'soft', bundle: { exp: 1, items: [{ item_id: 'keyed_token', quantity: 1 }] } },
        })
      ).json().sku_id as string;
    const [sku, dear] = [await skuOf(10), await skuOf(900_000)];
    const chest = uniqueKey('keyed_chest');
    expect((await ctx.app.inject({ method: 'POST', url: '/api/admin/items', headers: admin.headers, payload: { item_id: chest, name: 'Chest', kind: 'consumable', opens: { bundle: { currencies: { soft: 5 } } } } })).statusCode).toBe(201);

    let seen = new Set((await listOutboxRows(ctx.db, { userId: player.user.id })).map((r) => r.event_id));
    /** Sends one request, under a key of its own or none; answers the new events' types and keys. */
    const send = async (as: TestPlayer, url: string, payload: object | undefined, keyed = true) => {
      const key = keyed ? uniqueKey('idem') : undefined;
      const res = await ctx.app.inject({ method: 'POST', url, headers: { ...as.headers, ...(key ? { 'x-idempotency-key': key } : {}) }, ...(payload ? { payload } : {}) });
      const fresh = (await listOutboxRows(ctx.db, { userId: player.user.id })).filter((r) => !seen.has(r.event_id));
      seen = new Set([...seen, ...fresh.map((r) => r.event_id)]);
      const envelopes = fresh.map((r) => r.envelope as Envelope);
      for (const e of envelopes) expect(parseEnvelope(e).ok).toBe(true);
      return { status: res.statusCode, body: res.json(), types: envelopes.map((e) => e.event_type).sort(), keys: [...new Set(envelopes.map((e) => e.idempotency_key))], key };
    };

    await send(player, `/api/events/${event.id}/participate`, undefined, false);
    await send(player, `/api/events/${event.id}/progress`, { metric: 'games_played', delta: 1 }, false);
    const eventClaim = await send(player, `/api/events/${event.id}/claim`, undefined);
    expect(eventClaim).toMatchObject({ status: 200, types: ['event.claim', 'reward.granted'], keys: [eventClaim.key] });

    const bought = await send(player, '/api/shop/purchase', { sku_id: sku });
    expect(bought.status).toBe(201);
    expect(bought.types).toEqual(expect.arrayContaining(['mission.progress', 'reward.granted', 'shop.purchase.succeeded']));
    expect(bought.keys).toEqual([bought.key]);
    const refused = await send(player, '/api/shop/purchase', { sku_id: dear });
    expect(refused).toMatchObject({ status: 402, types: ['shop.purchase.failed'], keys: [refused.key] });

    const missionClaim = await send(player, `/api/events/missions/${mission.id}/claim`, undefined);
    expect(missionClaim).toMatchObject({ status: 200, types: ['mission.claim', 'reward.granted'], keys: [missionClaim.key] });

    const start = await send(player, '/api/game/sessions/start', { game_type: 'reaction' }, false);
    ctx.clock.advance(5_000);
    const end = await send(player, `/api/game/sessions/${start.body.session_id}/end`, { score: 100, duration: 5 });
    expect(end.status).toBe(200);
    expect(end.types).toEqual(expect.arrayContaining(['game.session.end', 'mission.progress']));
    expect(end.keys).toEqual([end.key]);

    const granted = await send(admin, '/api/rewards/distribute', { user_id: player.user.id, bundle: { items: [{ item_id: chest, quantity: 2 }] }, reason: 'keyed' });
    expect(granted).toMatchObject({ status: 201, types: ['reward.granted'], keys: [granted.key] });
    const opened = await send(player, `/api/inventory/${chest}/use`, {});
    expect(opened).toMatchObject({ status: 200, types: ['reward.granted'], keys: [opened.key] });

    // Without a key, none.
    const unkeyed = await send(player, '/api/shop/purchase', { sku_id: sku }, false);
    expect(unkeyed.status).toBe(201);
    expect(unkeyed.keys).toEqual([undefined]);
    const unkeyedUse = await send(player, `/api/inventory/${chest}/use`, {}, false);
    expect(unkeyedUse).toMatchObject({ status: 200, types: ['reward.granted'], keys: [undefined] });
  });
});
