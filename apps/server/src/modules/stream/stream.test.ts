import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../app.ts';
import { openDatabase, type Database, type ListenEvents } from '../../db/database.ts';
import { ManualClock } from '../../lib/clock.ts';
import { TEST_JWT_SECRET } from '../../../test/build-app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/database.ts';
import { makePlayer, uniqueSiteId, type TestPlayer } from '../../../test/factories/players.ts';
import { createUserChangeBus, type UserChange } from './bus.ts';
import { DEFAULT_STREAMS_PER_PLAYER } from './routes.ts';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Opens GET /api/stream over real HTTP and collects its events. */
async function openStream(baseUrl: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/api/stream?access_token=${encodeURIComponent(token)}`, { signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let markEnded: (v: string) => void = () => {};
  const ended = new Promise<string>((r) => (markEnded = r));
  if (res.ok && res.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.+)$/m.exec(block)?.[1];
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
            waiters.splice(0).forEach((w) => w());
          }
        }
        markEnded('ended');
      } catch {
        // aborted
      }
    })();
  }
  return {
    res,
    events,
    ended,
    async waitFor(event: string, timeoutMs = 5000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find((e) => e.event === event);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${event} within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    close: () => controller.abort(),
  };
}

async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

async function adminOf(app: App, database: Database): Promise<TestPlayer> {
  const player = await makePlayer(app, { site_id: uniqueSiteId('op') });
  await database.db.updateTable('users').set({ role: 'admin' }).where('id', '=', player.user.id).execute();
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
  const body = res.json() as TestPlayer;
  return { ...body, password: player.password, headers: { authorization: `Bearer ${body.access_token}` } };
}

const grant = (app: App, admin: TestPlayer, userId: string, soft: number) =>
  app.inject({
    method: 'POST',
    url: '/api/rewards/distribute',
    headers: { ...admin.headers, 'x-idempotency-key': `grant-${userId}-${soft}` },
    payload: { user_id: userId, bundle: { currencies: { soft } }, reason: 'stream test' },
  });

describe('GET /api/stream across two server nodes on one database', () => {
  let testDb: TestDatabase;
  let second: Database | undefined;
  let nodeA: App;
  let nodeB: App;
  let urlA: string;
  let urlB: string;
  let clock: ManualClock;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // PostgreSQL (DATABASE_URL): node B has its own pool and LISTEN connection, as another process
    // would; PGlite can only be shared in-process, so node B shares the one instance.
    second = testDb.url ? await openDatabase({ url: testDb.url, poolSize: 5 }) : undefined;
    const config = { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' };
    clock = new ManualClock(new Date());
    nodeA = await buildApp({ config, clock, database: testDb.database, web: false });
    nodeB = await buildApp({ config, clock, database: second ?? testDb.database, web: false });
    urlA = await listen(nodeA);
    urlB = await listen(nodeB);
  });
  afterAll(async () => {
    await nodeA.close();
    await nodeB.close();
    await second?.close();
    await testDb.drop();
  });

  it('refuses a stream without a valid token', async () => {
    const none = await fetch(`${urlB}/api/stream`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/problem\+json/);
    const bad = await fetch(`${urlB}/api/stream?access_token=not.a.token`);
    expect(bad.status).toBe(401);
    // Malformed, too long, repeated, or beside a parameter the route does not read: still a
    // question of credentials, 401, not a 400 about the query.
    for (const query of ['access_token=not%20a%20token', `access_token=${'x'.repeat(5000)}`, 'access_token=a.b.c&access_token=d.e.f', 'junk=1']) {
      const refused = await fetch(`${urlB}/api/stream?${query}`);
      expect(refused.status, query).toBe(401);
      expect(await refused.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('an operator grant on node A reaches the player stream on node B', async () => {
    const player = await makePlayer(nodeA);
    const admin = await adminOf(nodeA, testDb.database);
    const stream = await openStream(urlB, player.access_token);
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await stream.waitFor('ready');
      const res = await grant(nodeA, admin, player.user.id, 777);
      expect(res.statusCode).toBe(201);
      const granted = await stream.waitFor('reward.granted');
      expect(granted.data).toMatchObject({ source: 'operator' });
      const changed = await stream.waitFor('dashboard.changed');
      const dashboard = await nodeB.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers });
      expect(changed.data.etag).toBe(dashboard.headers.etag);
    } finally {
      stream.close();
    }
  });

  it('streams only the player\'s own changes, and purchases and progress too', async () => {
    const player = await makePlayer(nodeA);
    const other = await makePlayer(nodeA);
    const stream = await openStream(urlB, player.access_token);
    try {
      await stream.waitFor('ready');
      await nodeA.inject({ method: 'POST', url: '/api/shop/purchase', headers: other.headers, payload: { sku_id: 'nothing_here' } });
      const start = await nodeA.inject({ method: 'POST', url: '/api/game/sessions/start', headers: player.headers, payload: { game_type: 'lucky_dice' } });
      expect(start.statusCode).toBe(201);
      const end = await nodeA.inject({
        method: 'POST',
        url: `/api/game/sessions/${(start.json() as { session_id: string }).session_id}/end`,
        headers: player.headers,
        payload: { duration: 0 },
      });
      expect(end.statusCode).toBe(200);
      await stream.waitFor('dashboard.changed');
      expect(stream.events.every((e) => e.event !== 'purchase.succeeded')).toBe(true);
    } finally {
      stream.close();
    }
  });

  it('refuses a player a stream past the limit per node with 429, and takes one again when one closes', async () => {
    const player = await makePlayer(nodeA);
    const streams = [];
    try {
      for (let i = 0; i < DEFAULT_STREAMS_PER_PLAYER; i++) {
        const stream = await openStream(urlA, player.access_token);
        streams.push(stream);
        await stream.waitFor('ready');
      }
      const refused = await fetch(`${urlA}/api/stream?access_token=${encodeURIComponent(player.access_token)}`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' });

      // The limit is per player and per node: another player, and the same player on node B, still get theirs.
      const other = await openStream(urlA, (await makePlayer(nodeA)).access_token);
      streams.push(other);
      await other.waitFor('ready');
      const onB = await openStream(urlB, player.access_token);
      streams.push(onB);
      await onB.waitFor('ready');

      // A closed stream frees its place once the server has seen it close.
      streams.shift()!.close();
      for (;;) {
        const again = await openStream(urlA, player.access_token);
        streams.push(again);
        if (again.res.status === 200) break;
        expect(again.res.status).toBe(429);
        await new Promise((r) => setImmediate(r));
      }
      await streams.at(-1)!.waitFor('ready');
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('ends the streams of a session as it is revoked, on every node, and only those', async () => {
    const player = await makePlayer(nodeA);
    const otherLogin = await nodeA.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
    const other = otherLogin.json() as TestPlayer;
    const onA = await openStream(urlA, player.access_token);
    const onB = await openStream(urlB, player.access_token);
    const otherTab = await openStream(urlB, other.access_token);
    try {
      await Promise.all([onA.waitFor('ready'), onB.waitFor('ready'), otherTab.waitFor('ready')]);
      // The clock does not move: only the revocation can end them.
      const out = await nodeA.inject({ method: 'POST', url: '/api/auth/logout', headers: player.headers });
      expect(out.statusCode).toBe(204);
      expect(await onA.ended).toBe('ended');
      expect(await onB.ended).toBe('ended');
      // The other login's stream still hears the player's changes.
      const admin = await adminOf(nodeA, testDb.database);
      expect((await grant(nodeA, admin, player.user.id, 5)).statusCode).toBe(201);
      await otherTab.waitFor('reward.granted');
      // A suspension revokes every session of the player: that stream ends too.
      const suspend = await nodeA.inject({
        method: 'POST',
        url: `/api/admin/players/${player.user.id}/suspend`,
        headers: admin.headers,
        payload: { reason: 'stream test' },
      });
      expect(suspend.statusCode, suspend.body).toBe(200);
      expect(await otherTab.ended).toBe('ended');
    } finally {
      onA.close();
      onB.close();
      otherTab.close();
    }
  });

  it('ends the stream when its access token expires, so a revoked session stops hearing', async () => {
    const player = await makePlayer(nodeA);
    clock.advance(15 * 60_000 - 1500); // 0.5–1.5 s of the token's 15 minutes left (iat is whole seconds)
    const stream = await openStream(urlB, player.access_token);
    try {
      await stream.waitFor('ready');
      const ended = await Promise.race([stream.ended, new Promise((r) => setTimeout(() => r('open'), 5000))]);
      expect(ended).toBe('ended');
    } finally {
      stream.close();
    }
  });
});

describe('GET /api/stream opened as its session is revoked', () => {
  let testDb: TestDatabase;
  let app: App;
  let url: string;
  // The node's LISTEN waits for the test: a logout committing meanwhile is announced before the
  // node listens, as when LISTEN takes a while to connect.
  let listenAsked: () => void = () => {};
  const asked = new Promise<void>((resolve) => (listenAsked = resolve));
  let letListen: () => void = () => {};
  const listenMay = new Promise<void>((resolve) => (letListen = resolve));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const database: Database = {
      ...testDb.database,
      async listen(channel, onPayload, events) {
        listenAsked();
        await listenMay;
        return testDb.database.listen(channel, onPayload, events);
      },
    };
    const config = { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' };
    app = await buildApp({ config, clock: new ManualClock(new Date()), database, web: false });
    url = await listen(app);
  });
  afterAll(async () => {
    letListen();
    await app?.close();
    await testDb?.drop();
  });

  it('ends without a ready when the logout commits between its session check and its subscription', async () => {
    const player = await makePlayer(app);
    const stream = await openStream(url, player.access_token);
    try {
      expect(stream.res.status).toBe(200);
      // The stream has passed its session check and waits for the node to listen.
      await asked;
      const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: player.headers });
      expect(out.statusCode).toBe(204);
      letListen();
      // Either it ends, or (the bug) it says ready and stays open until the token expires.
      const first = await Promise.race([stream.ended, stream.waitFor('ready', 10_000).then(() => 'ready')]);
      expect(first).toBe('ended');
      expect(stream.events.map((e) => e.event)).toEqual([]);
    } finally {
      stream.close();
    }
  });
});

/** Settles the promise's handlers that are due: what has not settled by then is waiting on something. */
const settled = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('the live update bus when its LISTEN connection drops', () => {
  // A LISTEN the test drives: it stands when `stand` is called, and drops and returns on demand.
  function fakeListen() {
    let events: ListenEvents = {};
    let onPayload: (payload: string) => void = () => {};
    let stand: (ok: boolean) => void = () => {};
    let calls = 0;
    const database: Pick<Database, 'listen'> = {
      listen(_channel, payloadHandler, listenEvents) {
        calls += 1;
        onPayload = payloadHandler;
        events = listenEvents ?? {};
        return new Promise((resolve, reject) => {
          stand = (ok) => (ok ? resolve(async () => {}) : reject(new Error('no connection')));
        });
      },
    };
    return {
      database,
      calls: () => calls,
      stand: (ok = true) => stand(ok),
      notify: (change: UserChange) => onPayload(JSON.stringify(change)),
      drop: () => events.lost?.(),
      restore: () => events.restored?.(),
    };
  }
  const change = (u: string, v: number): UserChange => ({ k: 'state', u, v });

  it('tells every subscriber of the drop, and a subscription taken while it is down resolves only once LISTEN is back', async () => {
    const listen = fakeListen();
    const bus = createUserChangeBus(listen.database);
    const log: string[] = [];
    const first = bus.subscribe('u1', (c) => log.push(`u1 heard ${(c as { v: number }).v}`), () => log.push('u1 lost'));
    listen.stand();
    await first;
    await bus.subscribe('u2', () => {}, () => log.push('u2 lost'));
    listen.notify(change('u1', 1));

    listen.drop();
    expect(log).toEqual(['u1 heard 1', 'u1 lost', 'u2 lost']);
    const during = bus.subscribe('u3', (c) => log.push(`u3 heard ${(c as { v: number }).v}`), () => log.push('u3 lost')).then(() => log.push('u3 subscribed'));
    await settled();
    expect(log).not.toContain('u3 subscribed');

    listen.restore();
    await during;
    listen.notify(change('u3', 2));
    expect(log.slice(3)).toEqual(['u3 subscribed', 'u3 heard 2']);
    // One LISTEN for the node, however many subscribers and drops.
    expect(listen.calls()).toBe(1);
    await bus.close();
  });

  it('waits through a second drop before LISTEN was back, and a closing bus ends the wait', async () => {
    const listen = fakeListen();
    const bus = createUserChangeBus(listen.database);
    const first = bus.subscribe('u1', () => {}, () => {});
    listen.stand();
    await first;
    listen.drop();
    let subscribed = false;
    const during = bus.subscribe('u2', () => {}, () => {}).then(() => (subscribed = true));
    listen.restore();
    listen.drop();
    await settled();
    expect(subscribed).toBe(false);
    listen.restore();
    await during;

    listen.drop();
    const closing = bus.subscribe('u3', () => {}, () => {});
    await bus.close();
    await expect(closing).rejects.toThrow(/closed/);
    await expect(bus.subscribe('u4', () => {}, () => {})).rejects.toThrow(/closed/);
  });

  it('refuses a subscription when the node cannot LISTEN, and the next one tries again', async () => {
    const listen = fakeListen();
    const errors: unknown[] = [];
    const bus = createUserChangeBus(listen.database, (err) => errors.push(err));
    const refused = bus.subscribe('u1', () => {}, () => {});
    listen.stand(false);
    await expect(refused).rejects.toThrow('no connection');
    expect(errors).toHaveLength(1);
    const again = bus.subscribe('u1', () => {}, () => {});
    listen.stand();
    await expect(again).resolves.toBeTypeOf('function');
    expect(listen.calls()).toBe(2);
    await bus.close();
  });
});

/**
 * A TCP relay in front of PostgreSQL that the test can cut, as a proxy's idle timeout or a server
 * restart does, and keep shut (connections are taken and closed at once) until it reopens.
 */
async function relayTo(serverUrl: string) {
  const target = new URL(serverUrl);
  const sockets = new Set<net.Socket>();
  let shut = false;
  let refused = 0;
  const server = net.createServer((client) => {
    if (shut) {
      refused += 1;
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    const both = [client, upstream];
    for (const socket of both) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        for (const s of both) {
          s.destroy();
          sockets.delete(s);
        }
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    /** Connections refused while shut. */
    refused: () => refused,
    cut() {
      shut = true;
      for (const socket of sockets) socket.destroy();
    },
    reopen() {
      shut = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!process.env.DATABASE_URL)('GET /api/stream when the node\'s LISTEN connection drops (PostgreSQL)', () => {
  let testDb: TestDatabase;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let viaRelay: Database;
  let app: App;
  let url: string;
  let admin: TestPlayer;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // The node's queries go straight to the database; its LISTEN goes through the relay.
    relay = await relayTo(testDb.url!);
    viaRelay = await openDatabase({ url: relay.url, poolSize: 1 });
    const config = { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' };
    app = await buildApp({ config, clock: new ManualClock(new Date()), database: { ...testDb.database, listen: viaRelay.listen }, web: false });
    url = await listen(app);
    admin = await adminOf(app, testDb.database);
  });
  afterAll(async () => {
    relay?.reopen();
    await app?.close();
    await viaRelay?.close();
    await relay?.close();
    await testDb?.drop();
  });

  const softOf = async (player: TestPlayer) => {
    const res = await app.inject({ method: 'GET', url: '/api/dashboard', headers: player.headers });
    return (res.json() as { currencies: { soft: number } }).currencies.soft;
  };
  const endedWithin = (stream: Awaited<ReturnType<typeof openStream>>, ms: number) =>
    Promise.race([stream.ended, new Promise((r) => setTimeout(() => r('still open'), ms))]);

  it('ends the open streams when PostgreSQL ends the LISTEN session; the reconnected stream hears changes again', async () => {
    const player = await makePlayer(app);
    const before = await softOf(player);
    const stream = await openStream(url, player.access_token);
    let again: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      await stream.waitFor('ready');
      // As a restart or an administrator would: the server ends the node's LISTEN session.
      const c = new pg.Client({ connectionString: testDb.url });
      await c.connect();
      const { rows } = await c
        .query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`,
        )
        .finally(() => c.end());
      expect(rows[0]!.n).toBe(1);
      // An operator's grant commits while the node re-LISTENs (or just after): announced to no one
      // if in the gap. Either way the stream ends, and its client reconnects and revalidates.
      expect((await grant(app, admin, player.user.id, 555)).statusCode).toBe(201);
      expect(await endedWithin(stream, 10_000)).toBe('ended');

      // The client's reconnect: ready once the node listens again; what it reads then has the grant.
      again = await openStream(url, player.access_token);
      await again.waitFor('ready', 10_000);
      expect(await softOf(player)).toBe(before + 555);
      expect((await grant(app, admin, player.user.id, 556)).statusCode).toBe(201);
      await again.waitFor('reward.granted');
    } finally {
      stream.close();
      again?.close();
    }
  });

  it('a stream opened while the node cannot LISTEN says ready only once it listens again', async () => {
    const player = await makePlayer(app);
    const open = await openStream(url, player.access_token);
    let during: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      await open.waitFor('ready');
      // A proxy closes the LISTEN connection and lets no new one through for now.
      relay.cut();
      expect(await endedWithin(open, 10_000)).toBe('ended');

      // Opened during the outage: the stream is up (200), but the node hears nothing yet.
      during = await openStream(url, player.access_token);
      expect(during.res.status).toBe(200);
      const refusedSoFar = relay.refused();
      // Committed while nothing listens: announced to no one, so only a revalidation shows it.
      expect((await grant(app, admin, player.user.id, 321)).statusCode).toBe(201);
      // The node has tried to LISTEN again and been refused since: no ready was sent all that time.
      await expect.poll(() => relay.refused(), { timeout: 10_000 }).toBeGreaterThan(refusedSoFar);
      expect(during.events.map((e) => e.event)).toEqual([]);

      relay.reopen();
      await during.waitFor('ready', 10_000);
      // From ready on it hears everything: the client revalidates then, after the grant above.
      expect((await grant(app, admin, player.user.id, 322)).statusCode).toBe(201);
      const granted = await during.waitFor('reward.granted');
      expect(granted.data).toMatchObject({ source: 'operator' });
      expect(during.events.filter((e) => e.event === 'reward.granted')).toHaveLength(1);
    } finally {
      open.close();
      during?.close();
      relay.reopen();
    }
  });
});
