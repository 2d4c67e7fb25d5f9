import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { DomainError } from '../../lib/domain-error.ts';
import { caller } from '../../plugins/auth.ts';
import type { UserChange, UserChangeBus } from './bus.ts';

export interface StreamRoutesOptions {
  bus: UserChangeBus;
  /** The clock tokens are signed with; their expiry ends the stream. */
  clock?: Clock;
  /** The player's current dashboard ETag, sent with dashboard.changed. */
  etagOf?: (userId: string) => Promise<string>;
  /** Comment lines that keep proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** Streams one player may hold open on this node at once (default 10). */
  maxPerPlayer?: number;
}

/**
 * A player with a tab per screen has a handful of streams; each holds a socket, a subscription
 * and two timers on this node, so past this many the next is refused rather than letting one
 * account (or a leaked token in a loop) hold connections without bound.
 */
export const DEFAULT_STREAMS_PER_PLAYER = 10;

const StreamQuerySchema = z.strictObject({
  access_token: z.string().min(1).max(4096).regex(/^[A-Za-z0-9_\-.]+$/).optional(),
});

/**
 * GET /api/stream: Server-Sent Events of the player's own changes — `dashboard.changed` {etag},
 * `reward.granted`, `progress.changed`, `purchase.succeeded` — as their transactions commit.
 * `ready` comes once every later change will be heard: what committed before it may have been
 * announced to no stream, so a client revalidates on it. The stream ends when the node's LISTEN
 * connection drops (the client reconnects and gets a new `ready`), when its session is revoked,
 * and when its access token expires.
 * EventSource cannot set headers, so on this route only the access token may come as the
 * `access_token` query parameter; it is checked exactly as the bearer header is.
 */
export const streamRoutes: FastifyPluginAsyncZod<StreamRoutesOptions> = async (
  app,
  { bus, clock, etagOf, heartbeatMs = 25_000, maxPerPlayer = DEFAULT_STREAMS_PER_PLAYER },
) => {
  const open = new Set<ServerResponse>();
  const openByPlayer = new Map<string, number>();

  // Open streams would hold app.close() forever; end them first.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
  });

  app.get(
    '/',
    {
      // The request line carries the access token: keep it out of the per-request info logs.
      logLevel: 'warn',
      schema: {
        tags: ['live'],
        security: [{ bearerAuth: [] }],
        querystring: StreamQuerySchema,
        description: 'Server-Sent Events of the caller\'s own changes. Token: Authorization header, or ?access_token= (EventSource).',
      },
      // Who may listen is decided before the query is validated, as on every route (decisions
      // §18): a missing or malformed token is 401, never a 400 about the query. The query string
      // is parsed but not yet checked here; a repeated access_token is no token.
      onRequest: async (request, reply) => {
        const token = (request.query as Record<string, unknown>).access_token;
        if (typeof token === 'string' && !request.headers.authorization) request.headers.authorization = `Bearer ${token}`;
        await app.authenticate(request, reply);
      },
    },
    async (request, reply) => {
      const { userId, sessionId } = caller(request);
      const held = openByPlayer.get(userId) ?? 0;
      if (held >= maxPerPlayer) throw new DomainError('RATE_LIMITED', `at most ${maxPerPlayer} open streams per player; close one first`);
      openByPlayer.set(userId, held + 1);
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      open.add(res);
      const send = (event: string, data: unknown) => {
        if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      res.write('retry: 3000\n\n');

      // Changes of one user arrive in commit order; the ETag lookups are chained to keep it.
      let chain = Promise.resolve();
      const onChange = (change: UserChange) => {
        chain = chain.then(async () => {
          switch (change.k) {
            case 'state': {
              const etag = etagOf ? await etagOf(userId).catch(() => null) : null;
              send('dashboard.changed', { etag, state_version: change.v });
              break;
            }
            case 'reward':
              send('reward.granted', { grant_id: change.id, source: change.source });
              break;
            case 'purchase':
              send('purchase.succeeded', { purchase_id: change.id, sku_id: change.sku_id });
              break;
            case 'progress': {
              const { kind, id, progress, target, progress_version, status } = change;
              send('progress.changed', { kind, id, progress, target, progress_version, status });
              break;
            }
            case 'revoked':
              // The session this stream was opened with is over: so is the stream. The client's
              // reconnect is then refused (401) like any request of that session.
              if (change.s === sessionId) res.end();
              break;
          }
        });
      };
      const heartbeat = setInterval(() => {
        if (!res.writableEnded) res.write(': keep-alive\n\n');
      }, heartbeatMs);
      heartbeat.unref();
      // The stream ends when its session is revoked (above), and at the latest when the access
      // token expires; the client renews the token and reconnects.
      const expiresInMs = tokenExpiry(request.headers.authorization) - (clock?.now().getTime() ?? Date.now());
      const expiry = setTimeout(() => res.end(), Math.max(0, Math.min(expiresInMs, 2 ** 31 - 1)));
      expiry.unref();
      let unsubscribe: (() => void) | null = null;
      let closed = false;
      res.on('close', () => {
        closed = true;
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unsubscribe?.();
        open.delete(res);
        const left = (openByPlayer.get(userId) ?? 1) - 1;
        if (left > 0) openByPlayer.set(userId, left);
        else openByPlayer.delete(userId);
      });
      // The node's LISTEN connection dropped: what commits until it is back reaches no stream here,
      // and nothing replays it. Ending the stream makes the client reconnect (EventSource does by
      // itself, after the retry above); the new stream says ready only once the node listens again,
      // and the client revalidates what it shows on ready.
      const onLost = () => res.end();
      try {
        unsubscribe = await bus.subscribe(userId, onChange, onLost);
      } catch {
        // The node cannot LISTEN (or is closing): a stream that would hear nothing ends, and the
        // client tries again.
        res.end();
        return;
      }
      if (closed) {
        unsubscribe();
        return;
      }
      // The session was checked before the subscription was in place (on a node's first stream
      // that waits for LISTEN to connect, or one opened while it reconnects): a revocation
      // committed in between was announced to no one here. Every later one is heard now, so
      // checking once more closes the gap. A check that fails for another reason ends the stream
      // too: the client reconnects and is checked afresh.
      const live = await app.authenticate(request, reply).then(
        () => true,
        () => false,
      );
      if (!live) res.end();
      else if (!closed) send('ready', { user_id: userId });
    },
  );
};

/** The `exp` of a bearer token `authenticate` has already verified, in ms; far future if absent. */
function tokenExpiry(header: string | undefined): number {
  try {
    const payload = header?.split(' ')[1]?.split('.')[1];
    const exp = payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' ? exp * 1000 : Number.MAX_SAFE_INTEGER;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}
