import http from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from '../../test/build-app.ts';
import { makePlayer, type TestPlayer } from '../../test/factories/players.ts';

// A rolling deploy: the server is told to stop while clients hold keep-alive connections to it.
// What runs must finish, what arrives late must be refused as the API refuses anything
// (problem+json), and no connection may keep the close waiting.

/** True once the server no longer accepts connections: app.close() has passed its preClose hooks. */
const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => resolve(res.resume() && false));
    probe.on('error', () => resolve(true));
  });
async function untilRefusing(port: number) {
  while (!(await refusesConnections(port))) await new Promise((r) => setImmediate(r));
}

/** One raw connection: what it reads, and whether the server closed it. */
function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    write: (bytes: string) => new Promise<void>((resolve) => socket.write(bytes, () => resolve())),
    /** Everything the server sent, once it closed the connection. */
    async answer() {
      await closed;
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim();
      return { status: Number(head.split(' ')[1]), header, body };
    },
  };
}

describe('draining: requests while the server shuts down', () => {
  let ctx: TestContext | undefined;
  let player: TestPlayer;
  let port: number;
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });
  async function listening() {
    ctx = await buildTestApp();
    player = await makePlayer(ctx.app);
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    port = (ctx.app.server.address() as AddressInfo).port;
    return ctx;
  }
  const startSession = (auth: string) => {
    const body = JSON.stringify({ game_type: 'lucky_dice' });
    return `POST /api/game/sessions/start HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  };
  const sessionCount = async (c: TestContext) =>
    Number((await c.db.selectFrom('game_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('refuses a request that arrives on an open connection with 503 UNAVAILABLE problem+json, changing nothing', async () => {
    const c = await listening();
    const before = await sessionCount(c);
    // Half a request before the close (the connection is busy, so it stays open), the rest after.
    const request = startSession(player.headers.authorization);
    const conn = rawConnection(port);
    await conn.write(request.slice(0, 40));
    const closing = c.app.close();
    await untilRefusing(port);
    await conn.write(request.slice(40));

    const refused = await conn.answer();
    expect(refused.status).toBe(503);
    expect(refused.header('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(refused.header('connection')).toBe('close');
    expect(refused.header('retry-after')).toBe('1');
    await closing;
    expect(await sessionCount(c)).toBe(before);
  });

  // PostgreSQL only: a second session holds a lock to keep a request running while the server closes.
  it.runIf(process.env.DATABASE_URL)('finishes a running request and closes its connection after the answer, so the close does not wait', async () => {
    const c = await listening();
    const locker = new pg.Client({ connectionString: c.url });
    await locker.connect();
    try {
      // Every authenticated request reads content_version in its session check: locking it holds one.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE content_version IN ACCESS EXCLUSIVE MODE');
      const conn = rawConnection(port);
      await conn.write(startSession(player.headers.authorization).replace('HTTP/1.1\r\n', 'HTTP/1.1\r\nConnection: keep-alive\r\n'));
      const waiting = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
      while ((await locker.query<{ n: number }>(waiting)).rows[0]!.n === 0) await new Promise((r) => setImmediate(r));

      const closing = c.app.close();
      await untilRefusing(port);
      await locker.query('ROLLBACK');

      // A keep-alive connection left open would hold the close until its 72 s timeout; the answer
      // closes it instead, which is what conn.answer() waits for.
      const finished = await conn.answer();
      expect(finished.status).toBe(201);
      expect(finished.header('connection')).toBe('close');
      await closing;
    } finally {
      await locker.end();
    }
  });
});
