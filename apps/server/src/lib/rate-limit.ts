import type { Redis } from 'ioredis';
import { DomainError } from './domain-error.ts';

/**
 * Fixed-window counters keyed by a string. The window comes from the injected clock, so tests
 * move past it without sleeping; Redis keeps counters shared by every server node.
 */
export interface RateLimitStore {
  /** Adds one to `key` in the window containing `nowMs` and returns the new count. */
  hit(key: string, windowMs: number, nowMs: number): Promise<number>;
  /**
   * Takes back one hit of `key` in the window containing `nowMs`: an attempt counted before its
   * outcome was known, which turned out not to count. Never goes below zero (the counter may have
   * been reset meanwhile).
   */
  release(key: string, windowMs: number, nowMs: number): Promise<void>;
  reset(key: string, windowMs: number, nowMs: number): Promise<void>;
  close(): Promise<void>;
  /** A store outside the process (Redis): whether it answers now, for /readyz. */
  ping?(): Promise<boolean>;
}

const windowKey = (key: string, windowMs: number, nowMs: number) =>
  `${key}:${Math.floor(nowMs / windowMs)}`;

/**
 * When the fixed window containing `nowMs` ends, in ms: every counter of that window (in memory
 * or in Redis, whose keys name the window) starts again from zero then.
 */
export const windowEndsAt = (windowMs: number, nowMs: number): number => (Math.floor(nowMs / windowMs) + 1) * windowMs;

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #counts = new Map<string, { count: number; expiresAt: number }>();

  async hit(key: string, windowMs: number, nowMs: number): Promise<number> {
    this.#sweep(nowMs);
    const k = windowKey(key, windowMs, nowMs);
    const entry = this.#counts.get(k);
    const count = (entry?.count ?? 0) + 1;
    this.#counts.set(k, { count, expiresAt: (Math.floor(nowMs / windowMs) + 1) * windowMs });
    return count;
  }

  async release(key: string, windowMs: number, nowMs: number): Promise<void> {
    const k = windowKey(key, windowMs, nowMs);
    const entry = this.#counts.get(k);
    if (!entry) return;
    if (entry.count > 1) entry.count -= 1;
    else this.#counts.delete(k);
  }

  async reset(key: string, windowMs: number, nowMs: number): Promise<void> {
    this.#counts.delete(windowKey(key, windowMs, nowMs));
  }

  async close(): Promise<void> {
    this.#counts.clear();
  }

  // Bounded memory: expired windows are dropped as new hits arrive.
  #sweep(nowMs: number): void {
    if (this.#counts.size < 10_000) return;
    for (const [k, v] of this.#counts) if (v.expiresAt <= nowMs) this.#counts.delete(k);
  }
}

// Read and decrement in one step, so a release racing a reset cannot leave a counter at -1 (which
// DECR on a missing key would, and without a TTL): a reset counter stays reset.
const RELEASE_SCRIPT = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 1 then return redis.call('DECR', KEYS[1]) end
if n == 1 then redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A Redis that does not answer is a dependency down, as a database that does not is: 503
 * UNAVAILABLE (retry later), not a 500. A login cannot be counted without it, so it is refused.
 */
async function unavailableIfDown<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const unavailable = new DomainError('UNAVAILABLE', 'the rate-limit store (Redis) does not answer; retry later');
    unavailable.cause = err;
    throw unavailable;
  }
}

export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix = 'playloop:rl:') {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  // Not connected: false at once, rather than after the command's reconnect attempts.
  async ping(): Promise<boolean> {
    if (this.#redis.status !== 'ready') return false;
    return this.#redis.ping().then(
      (answer) => answer === 'PONG',
      () => false,
    );
  }

  hit(key: string, windowMs: number, nowMs: number): Promise<number> {
    return unavailableIfDown(async () => {
      const k = this.#prefix + windowKey(key, windowMs, nowMs);
      const result = await this.#redis.multi().incr(k).pexpire(k, windowMs).exec();
      const [err, count] = result?.[0] ?? [new Error('redis returned no result'), 0];
      if (err) throw err;
      return Number(count);
    });
  }

  release(key: string, windowMs: number, nowMs: number): Promise<void> {
    return unavailableIfDown(async () => void (await this.#redis.eval(RELEASE_SCRIPT, 1, this.#prefix + windowKey(key, windowMs, nowMs))));
  }

  reset(key: string, windowMs: number, nowMs: number): Promise<void> {
    return unavailableIfDown(async () => void (await this.#redis.del(this.#prefix + windowKey(key, windowMs, nowMs))));
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
