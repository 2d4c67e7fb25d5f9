import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from '../../test/build-app.ts';
import { makePlayer, type TestPlayer } from '../../test/factories/players.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// A rolling deploy: the server is told to stop while a request runs, and the client's next request
// arrives on the same keep-alive connection. The running one must finish; the late one must be
// refused as the API refuses anything (problem+json), before it does any work. PostgreSQL only:
// a second session holds a lock to keep the first request running while the server closes.
describe.runIf(process.env.DATABASE_URL)('draining: a request that arrives while the server shuts down', () => {
  let ctx: TestContext;
  let player: TestPlayer;
  let port: number;

  beforeAll(async () => {
    ctx = await buildTestApp();
    player = await makePlayer(ctx.app);
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    port = (ctx.app.server.address() as AddressInfo).port;
  });
  afterAll(() => ctx?.close());

  /** One connection for every request, as a keep-alive client (or a load balancer's pool) has. */
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, path: string, body?: object) =>
    new Promise<Answer>((resolve, reject) => {
      const payload = body ? JSON.stringify(body) : undefined;
      const headers = { ...player.headers, ...(payload ? { 'content-type': 'application/json' } : {}) };
      const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  /** True once the server no longer accepts connections: app.close() has passed its preClose hooks. */
  const refusesConnections = () =>
    new Promise<boolean>((resolve) => {
      const probe = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => resolve(res.resume() && false));
      probe.on('error', () => resolve(true));
    });

  it('finishes the running request and refuses the late one with 503 UNAVAILABLE problem+json, changing nothing', async () => {
    expect((await send('GET', '/api/auth/me')).status).toBe(200);
    const sessionsBefore = await ctx.db.selectFrom('game_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();

    // Every authenticated request reads content_version in its session check: locking it holds one.
    const locker = new pg.Client({ connectionString: ctx.url });
    await locker.connect();
    let closing: Promise<void> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE content_version IN ACCESS EXCLUSIVE MODE');
      const running = send('GET', '/api/auth/me');
      const late = send('POST', '/api/game/sessions/start', { game_type: 'lucky_dice' });
      const waiting = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
      while ((await locker.query<{ n: number }>(waiting)).rows[0]!.n === 0) await new Promise((r) => setImmediate(r));

      closing = ctx.app.close();
      while (!(await refusesConnections())) await new Promise((r) => setImmediate(r));
      await locker.query('ROLLBACK');

      const first = await running;
      expect(first.status).toBe(200);
      const refused = await late;
      expect(refused.status).toBe(503);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
      expect(refused.headers.connection).toBe('close');
      expect(refused.headers['retry-after']).toBe('1');
    } finally {
      await locker.end();
      await closing;
    }
    const sessionsAfter = await ctx.db.selectFrom('game_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(sessionsAfter.n)).toBe(Number(sessionsBefore.n));
  });
});
