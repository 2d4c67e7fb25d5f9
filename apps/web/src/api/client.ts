import { AuthResponseSchema, ProblemSchema, type AuthResponse, type ErrorCode, type FieldError } from '@playloop/contracts';
import type { z } from 'zod';
import { tabsLock, type SharedLock } from './shared-lock';

/** A failed call: the problem+json `code` of SPEC §3, or NETWORK / BAD_RESPONSE for what never got one. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK' | 'BAD_RESPONSE',
    readonly status: number,
    detail: string,
    readonly fields: FieldError[] = [],
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export interface TokenPair {
  access: string;
  refresh: string;
}

/** Where the token pair lives between reloads; memory in tests, localStorage (shared by tabs) in the browser. */
export interface TokenStore {
  read(): TokenPair | null;
  write(pair: TokenPair | null): void;
  /** Calls `onChange` when another tab writes the pair (a store shared by tabs only); returns the unsubscribe. */
  watch?(onChange: () => void): () => void;
}

/**
 * Which login a pair belongs to: the access token's `sid` claim (a refresh keeps it; a login or
 * signup opens a new one). Read, not verified: it only tells one session from another. A token
 * without one counts as a session of its own.
 */
export function sessionOf(pair: TokenPair | null): string | null {
  if (!pair) return null;
  try {
    const payload = JSON.parse(atob(pair.access.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sid?: unknown };
    if (typeof payload.sid === 'string') return payload.sid;
  } catch {
    // not a JWT we can read: fall through
  }
  return pair.refresh;
}

export function memoryTokens(): TokenStore {
  let pair: { access: string; refresh: string } | null = null;
  return { read: () => pair, write: (p) => void (pair = p) };
}

export function localStorageTokens(key = 'playloop.tokens'): TokenStore {
  return {
    read() {
      try {
        const raw = localStorage.getItem(key);
        return raw ? (JSON.parse(raw) as { access: string; refresh: string }) : null;
      } catch {
        return null;
      }
    },
    write(pair) {
      if (pair) localStorage.setItem(key, JSON.stringify(pair));
      else localStorage.removeItem(key);
    },
    watch(onChange) {
      // `storage` fires in every other tab of the origin (never the writer's); a null key is a clear().
      const listener = (e: StorageEvent) => {
        if (e.key === key || e.key === null) onChange();
      };
      window.addEventListener('storage', listener);
      return () => window.removeEventListener('storage', listener);
    },
  };
}

export interface RequestOptions<S extends z.ZodType> {
  schema: S;
  body?: unknown;
  /** Sent as X-Idempotency-Key; the caller makes it once per user action and reuses it on retry. */
  idempotencyKey?: string;
  /** Sent as If-None-Match; a 304 answer resolves to `{status: 304, data: null}`. */
  etag?: string | null;
  /** false for signup, login and refresh. */
  auth?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  etag: string | null;
  /** The server's clock when it answered: its Date header (whole seconds, so never ahead), or null without one. */
  serverDateMs: number | null;
}

function serverDateOf(res: Response): number | null {
  const ms = Date.parse(res.headers.get('date') ?? '');
  return Number.isFinite(ms) ? ms : null;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  tokens?: TokenStore;
  /** Called once a session cannot be renewed (refresh spent, revoked or expired): back to login. */
  onSessionLost?: () => void;
  /** Called with +1 / -1 around every request, for a busy indicator. */
  onBusy?: (delta: 1 | -1) => void;
  /** Waits before a retry (tests pass one that records the delay and returns at once). */
  wait?: (ms: number) => Promise<void>;
  /** Held around every refresh; by default shared by every tab of the origin. */
  lock?: SharedLock;
}

/** How renewing the pair ended: a pair in the store to use, a session the server refused, or no answer to go by. */
type Renewal = { outcome: 'renewed' } | { outcome: 'rejected' } | { outcome: 'unavailable'; error: ApiError };

// Before the one retry of a request a node refused while shutting down (503 with Retry-After,
// capped) or lost on the way (a network error).
const RETRY_DEFAULT_MS = 500;
const RETRY_MAX_MS = 3000;

function retryDelayMs(retryAfter: string | null): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, RETRY_MAX_MS) : RETRY_DEFAULT_MS;
}

/** A fresh idempotency key; made once per user action (click), reused when that action is retried. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/**
 * The typed HTTP client: parses every answer with its contract schema, turns problem+json into
 * ApiError, attaches the bearer token and renews it silently on a 401 (one refresh at a time
 * across every tab).
 */
export function createApiClient(options: ApiClientOptions = {}) {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const tokens = options.tokens ?? memoryTokens();
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const lock = options.lock ?? tabsLock;

  async function send(method: string, path: string, opts: RequestOptions<z.ZodType>, access: string | undefined) {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (access) headers.authorization = `Bearer ${access}`;
    if (opts.idempotencyKey) headers['x-idempotency-key'] = opts.idempotencyKey;
    if (opts.etag) headers['if-none-match'] = opts.etag;
    options.onBusy?.(1);
    try {
      return await doFetch(baseUrl + path, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
    } catch (err) {
      throw new ApiError('NETWORK', 0, (err as Error).message || 'network error');
    } finally {
      options.onBusy?.(-1);
    }
  }

  /**
   * `send`, once more after a node shutting down for a deploy answered 503 UNAVAILABLE, or the
   * connection failed: the second try most likely reaches another node. Only a request that is
   * safe to send twice is retried — a read, or an action under an idempotency key, which the
   * server runs at most once; any other failure is the caller's.
   */
  async function sendRetrying(method: string, path: string, opts: RequestOptions<z.ZodType>, access: string | undefined) {
    const retryable = method === 'GET' || opts.idempotencyKey !== undefined;
    return retryable ? sendTwice(method, path, opts, access) : send(method, path, opts, access);
  }

  /** `send`, and once more after a 503 (waiting its Retry-After) or a network error. */
  async function sendTwice(method: string, path: string, opts: RequestOptions<z.ZodType>, access: string | undefined) {
    try {
      const res = await send(method, path, opts, access);
      if (res.status !== 503) return res;
      await res.body?.cancel();
      await wait(retryDelayMs(res.headers.get('retry-after')));
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'NETWORK')) throw err;
      await wait(RETRY_DEFAULT_MS);
    }
    return send(method, path, opts, access);
  }

  async function toError(res: Response): Promise<ApiError> {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      // not JSON: fall through to a generic error
    }
    const problem = ProblemSchema.safeParse(body);
    if (problem.success) {
      return new ApiError(problem.data.code, res.status, problem.data.detail, problem.data.errors ?? []);
    }
    return new ApiError(res.status >= 500 ? 'UNAVAILABLE' : 'BAD_RESPONSE', res.status, res.statusText || 'unexpected answer');
  }

  /**
   * Renews `sent`, the pair a refused request went with. The server takes a refresh token
   * presented twice for a stolen one and revokes the session, so every tab renews under one lock
   * and first reads the store again: a pair that is no longer `sent` was renewed by another tab
   * (or request) meanwhile, and is used as it is. Only a refusal by the server ends the session,
   * and only if the store still holds what was refused; no answer (a 503, a network error)
   * leaves the unspent pair for the next try.
   */
  function renew(sent: TokenPair | null): Promise<Renewal> {
    return lock('playloop-refresh', async (): Promise<Renewal> => {
      const stored = tokens.read();
      if (!stored) return { outcome: 'rejected' };
      if (stored.refresh !== sent?.refresh) return { outcome: 'renewed' };
      // Sent twice if need be, with no key: a 503 came from a node that refused before spending
      // the token, and a token spent by a request whose answer was lost is refused either way.
      let res: Response;
      try {
        res = await sendTwice('POST', '/api/auth/refresh', { schema: AuthResponseSchema, body: { refresh_token: stored.refresh }, auth: false }, undefined);
      } catch (err) {
        return { outcome: 'unavailable', error: err instanceof ApiError ? err : new ApiError('NETWORK', 0, String(err)) };
      }
      if (res.ok) {
        const auth = AuthResponseSchema.safeParse(await res.json().catch(() => null));
        // Not a refusal: if the token was spent after all, the next try is refused and ends the session then.
        if (!auth.success) return { outcome: 'unavailable', error: new ApiError('BAD_RESPONSE', res.status, 'unexpected answer from /api/auth/refresh') };
        tokens.write({ access: auth.data.access_token, refresh: auth.data.refresh_token });
        return { outcome: 'renewed' };
      }
      // 429 and 5xx say "later", not "no".
      if (res.status >= 500 || res.status === 429) return { outcome: 'unavailable', error: await toError(res) };
      await res.body?.cancel();
      const current = tokens.read();
      // A login in another tab while this refresh was out left a pair that was never refused.
      if (current && current.refresh !== stored.refresh) return { outcome: 'renewed' };
      tokens.write(null);
      return { outcome: 'rejected' };
    });
  }

  async function request<S extends z.ZodType>(method: string, path: string, opts: RequestOptions<S>): Promise<ApiResponse<z.infer<S>>> {
    const needsAuth = opts.auth !== false;
    const sent = needsAuth ? tokens.read() : null;
    let res = await sendRetrying(method, path, opts, sent?.access);
    if (res.status === 401 && needsAuth) {
      const renewal = await renew(sent);
      if (renewal.outcome === 'unavailable') {
        await res.body?.cancel();
        throw renewal.error;
      }
      if (renewal.outcome === 'rejected') {
        options.onSessionLost?.();
        throw await toError(res);
      }
      // The retry keeps the same idempotency key: the server runs the action at most once.
      const renewed = tokens.read();
      res = await sendRetrying(method, path, opts, renewed?.access);
      // A pair replaced meanwhile (another tab's login) is not the one refused.
      if (res.status === 401 && tokens.read()?.refresh === renewed?.refresh) {
        tokens.write(null);
        options.onSessionLost?.();
      }
    }
    if (res.status === 304) return { status: 304, data: null as z.infer<S>, etag: res.headers.get('etag'), serverDateMs: serverDateOf(res) };
    if (!res.ok) throw await toError(res);
    const body: unknown = res.status === 204 ? null : await res.json();
    const parsed = opts.schema.safeParse(body);
    if (!parsed.success) throw new ApiError('BAD_RESPONSE', res.status, `unexpected answer from ${path}: ${parsed.error.message.slice(0, 200)}`);
    return { status: res.status, data: parsed.data, etag: res.headers.get('etag'), serverDateMs: serverDateOf(res) };
  }

  return {
    tokens,
    request,
    /** Stores the pair of a signup or login answer. */
    adopt(auth: AuthResponse) {
      tokens.write({ access: auth.access_token, refresh: auth.refresh_token });
    },
    hasSession: () => tokens.read() !== null,
    accessToken: () => tokens.read()?.access ?? null,
    /** Renews the stored pair now; false when there is none to use after (refused or unavailable). */
    async refresh() {
      const renewal = await renew(tokens.read());
      if (renewal.outcome === 'rejected') options.onSessionLost?.();
      return renewal.outcome === 'renewed';
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
