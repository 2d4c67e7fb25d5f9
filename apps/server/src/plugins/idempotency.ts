import { setTimeout as delay } from 'node:timers/promises';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/domain-error.ts';
import { isValidIdempotencyKey, requestFingerprint } from '../lib/idempotency-fingerprint.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  findIdempotencyKey,
  purgeExpiredIdempotencyKeys,
  releaseIdempotencyKey,
  type IdempotencyClaim,
  type IdempotencyRow,
  type IdempotencyScope,
} from '../lib/idempotency-store.ts';

export { purgeExpiredIdempotencyKeys } from '../lib/idempotency-store.ts';

/**
 * How a route treats `X-Idempotency-Key`, set as `{ config: { idempotency } }`:
 * - unset: honoured on POST when the caller is authenticated; ignored on anonymous requests;
 * - `true`: honoured on every method of the route, anonymous callers included (they share the
 *   scope 'anonymous', so only opt an anonymous route in when that is acceptable);
 * - `'required'`: as `true`, and a request without the header is 400 VALIDATION_FAILED;
 * - `false`: the header is ignored.
 */
export type IdempotencyMode = boolean | 'required';

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: IdempotencyMode;
  }
  interface FastifyRequest {
    /** The X-Idempotency-Key this request runs under; null when absent or not honoured here. */
    idempotencyKey: string | null;
  }
}

export interface IdempotencyOptions {
  db: Db;
  clock: Clock;
  /** How long keys (and replayable responses) are kept; SPEC: at least 24 h. */
  retentionMs?: number;
  /** How long a request waits for another holding the same key before answering 409. */
  waitMs?: number;
  /** An in-progress claim older than this (by the clock) is taken to be a crashed node's. */
  staleAfterMs?: number;
  /** How often expired keys are purged; 0 turns the timer off. */
  purgeIntervalMs?: number;
}

export const IDEMPOTENCY_HEADER = 'x-idempotency-key';
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60_000;
const DEFAULT_WAIT_MS = 3_000;
const DEFAULT_STALE_AFTER_MS = 60_000;
const DEFAULT_PURGE_INTERVAL_MS = 15 * 60_000;
// Polling a held key backs off from 25 ms to 250 ms: quick for short handlers, light on the database.
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 250;

const KEY_FIELD = `headers.${IDEMPOTENCY_HEADER}`;
const invalidKey = (message: string) =>
  new DomainError('VALIDATION_FAILED', `${IDEMPOTENCY_HEADER} ${message}`, [{ field: KEY_FIELD, message }]);

// Responses that say "this attempt did not happen" rather than "this is the outcome": the key is
// released so a retry runs. Everything else, 4xx included, is the outcome and replays (as Stripe).
// A 409 VERSION_CONFLICT is a transaction that lost a race and rolled back (or a stale
// expected_version, which a retry answers the same): stored, it would replay "retry" for a day.
const NOT_AN_OUTCOME_409 = new Set(['IDEMPOTENCY_IN_PROGRESS', 'VERSION_CONFLICT']);

function isOutcome(status: number, payload: unknown): boolean {
  if (status >= 500 || status === 401 || status === 429) return false;
  if (status === 409 && typeof payload === 'string') {
    try {
      return !NOT_AN_OUTCOME_409.has(String((JSON.parse(payload) as { code?: unknown }).code));
    } catch {
      return true;
    }
  }
  return true;
}

function bodyText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  // Nothing, or a stream we cannot keep: the status still replays, with an empty body.
  return '';
}

function replay(reply: FastifyReply, row: IdempotencyRow): FastifyReply {
  reply.code(row.response_status ?? 200).header('idempotent-replayed', 'true');
  if (row.response_content_type) reply.header('content-type', row.response_content_type);
  return row.response_body ? reply.send(row.response_body) : reply.send();
}

/**
 * Stripe-style idempotency keys for every route that writes (SPEC "Idempotency").
 *
 * Hook order: `request.auth` is set by the route's `authenticate`/`requireAdmin` onRequest hook,
 * before validation. The plugin appends its claim step to each route's own preHandler list
 * (onRoute), where it runs after authentication and validation and just before the handler.
 * Register it before the routes.
 *
 * The claim is an insert that goes first (never read-then-insert); the winner runs the handler and
 * its onSend stores the response; a request with the same key and fingerprint replays it with
 * `Idempotent-Replayed: true`; a different fingerprint is 422 IDEMPOTENCY_KEY_REUSED; a key still
 * held is waited for briefly, then 409 IDEMPOTENCY_IN_PROGRESS.
 */
export default fp<IdempotencyOptions>(
  async (app, options) => {
    const { db, clock } = options;
    const retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
    const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    const purgeIntervalMs = options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    // The claim a winning request holds until its response is stored or released.
    const claims = new WeakMap<FastifyRequest, IdempotencyClaim>();

    app.decorateRequest('idempotencyKey', null);

    /** Claims the key, or answers from the stored result; runs as the route's last preHandler. */
    async function claimOrReplay(request: FastifyRequest, reply: FastifyReply, mode: IdempotencyMode | undefined) {
      if (mode === undefined && request.method !== 'POST') return;
      const header = request.headers[IDEMPOTENCY_HEADER];
      if (header === undefined) {
        if (mode === 'required') throw invalidKey('is required on this route');
        return;
      }
      // The default only covers authenticated callers: an anonymous scope would be shared by everyone.
      if (mode === undefined && !request.auth) return;
      if (!isValidIdempotencyKey(header)) throw invalidKey('must be 1 to 255 printable ASCII characters without spaces');

      const scope: IdempotencyScope = {
        userScope: request.auth?.userId ?? 'anonymous',
        route: `${request.method} ${request.routeOptions.url ?? request.url}`,
        key: header,
      };
      const fingerprint = requestFingerprint(request);
      const deadline = performance.now() + waitMs;
      for (let attempt = 0; ; attempt += 1) {
        const now = clock.now();
        const claim = await claimIdempotencyKey(db, scope, {
          fingerprint,
          now,
          expiresAt: new Date(now.getTime() + retentionMs),
          staleBefore: new Date(now.getTime() - staleAfterMs),
        });
        if (claim) {
          claims.set(request, claim);
          request.idempotencyKey = header;
          return;
        }
        const row = await findIdempotencyKey(db, scope);
        if (row && row.fingerprint !== fingerprint) {
          throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used with a different request');
        }
        if (row?.status === 'completed') {
          request.log.info({ idempotencyKey: header }, 'idempotent replay');
          return replay(reply, row);
        }
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'a request with this idempotency key is in progress; retry later');
        }
        // No row means the holder released it (a 5xx) just now: claim again at once.
        if (row) await delay(Math.min(FIRST_POLL_MS * 2 ** attempt, MAX_POLL_MS, remaining));
      }
    }

    app.addHook('onRoute', (route: RouteOptions) => {
      const mode = route.config?.idempotency;
      if (mode === false) return;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (mode === undefined && !methods.includes('POST')) return;
      const step = async function idempotencyClaim(request: FastifyRequest, reply: FastifyReply) {
        return claimOrReplay(request, reply, mode);
      };
      const own = route.preHandler;
      route.preHandler = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), step];
    });

    // Every response passes here, errors included, so the claim is settled whatever happened. Most
    // carry no claim (every GET): they go on at once, without a promise of their own.
    app.addHook('onSend', (request, reply, payload, done) => {
      const claim = claims.get(request);
      if (!claim) return done(null, payload);
      claims.delete(request);
      void settle(request, reply, claim, payload).then(() => done(null, payload));
    });

    async function settle(request: FastifyRequest, reply: FastifyReply, claim: IdempotencyClaim, payload: unknown): Promise<void> {
      try {
        if (!isOutcome(reply.statusCode, payload)) {
          await releaseIdempotencyKey(db, claim);
          return;
        }
        const contentType = reply.getHeader('content-type');
        const stored = await completeIdempotencyKey(
          db,
          claim,
          { status: reply.statusCode, contentType: contentType === undefined ? null : String(contentType), body: bodyText(payload) },
          clock.now(),
        );
        if (!stored) request.log.warn({ idempotencyKey: claim.key }, 'idempotency claim was taken over as stale; response not stored');
      } catch (err) {
        // The response already happened; failing it now would invite a retry of a done effect.
        // The row stays in progress and becomes stale, the same as after a crash.
        request.log.error({ err, idempotencyKey: claim.key }, 'could not settle idempotency key');
      }
    }

    let purgeTimer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      if (purgeIntervalMs <= 0) return;
      purgeTimer = setInterval(() => {
        purgeExpiredIdempotencyKeys(db, clock.now()).then(
          (purged) => purged > 0 && app.log.info({ purged }, 'expired idempotency keys purged'),
          (err: unknown) => app.log.warn({ err }, 'idempotency key purge failed'),
        );
      }, purgeIntervalMs);
      purgeTimer.unref();
    });
    app.addHook('onClose', async () => clearInterval(purgeTimer));
  },
  { name: 'idempotency', dependencies: ['auth', 'errors'] },
);
