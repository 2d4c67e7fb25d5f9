import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplePayloads, parseEnvelope, type Envelope } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makeEvent, makeMission, uniqueKey } from '../../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer } from '../../../test/factories/players.ts';
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

    expect(await pruneOutbox(ctx.db, now, 0)).toBe(0);
    expect(await pruneOutbox(ctx.db, now, 168)).toBe(1);
    const left = (await listOutboxRows(ctx.db, { userId })).map((r) => r.event_id);
    expect(left).not.toContain(oldPublished);
    expect(left).toEqual(expect.arrayContaining([recentPublished, oldUnpublished, atTheEdge]));
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
      expect(await pruneOutbox(local.db, local.clock.now(), 168)).toBeGreaterThan(0);
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
