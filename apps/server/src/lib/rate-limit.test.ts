import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../app.ts';
import type { LoginLimits } from '../modules/auth/service.ts';
import { buildTestApp, TEST_JWT_SECRET, type TestContext } from '../../test/build-app.ts';
import { makePlayer, type TestPlayer } from '../../test/factories/players.ts';
import { expectProblem } from '../../test/problem.ts';
import { redisReachable } from '../../test/redis.ts';
import { createRateLimitStore } from '../bootstrap.ts';
import { MemoryRateLimitStore, RedisRateLimitStore, type RateLimitStore } from './rate-limit.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// CI sets REQUIRE_REDIS=1 so a Redis that is down fails the run instead of skipping quietly.
const REQUIRE_REDIS = process.env.REQUIRE_REDIS === '1';
// One prefix per run: parallel runs on one Redis never see each other's counters.
const PREFIX = `playloop:test:rl:${randomUUID()}:`;

const connect = () => new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });


const redisUp = await redisReachable(REDIS_URL);
const runRedis = redisUp || REQUIRE_REDIS;

/** Fails a Redis suite at once, instead of after every command's retries, when Redis is required but down. */
function assertRedisUp(): void {
  if (!redisUp) throw new Error(`Redis is not reachable at ${REDIS_URL} and REQUIRE_REDIS=1`);
}

afterAll(async () => {
  if (!redisUp) return;
  const admin = connect();
  try {
    const keys = await admin.keys(`${PREFIX}*`);
    if (keys.length) await admin.del(...keys);
  } finally {
    await admin.quit();
  }
});

describe('Redis', () => {
  it.runIf(REQUIRE_REDIS)(`is reachable at ${REDIS_URL} (REQUIRE_REDIS=1)`, () => {
    expect(redisUp).toBe(true);
  });
});

// A window start, so "+ windowMs - 1" is still inside the same window.
const T0 = 1_800_000_000_000;
const MINUTE = 60_000;

const stores = [
  { name: 'MemoryRateLimitStore', redis: false, make: (): RateLimitStore => new MemoryRateLimitStore() },
  { name: 'RedisRateLimitStore', redis: true, make: (): RateLimitStore => new RedisRateLimitStore(connect(), PREFIX) },
];

describe.each(stores)('$name', ({ redis, make }) => {
  const enabled = !redis || runRedis;
  let store: RateLimitStore;
  let n = 0;
  // A fresh key per test, so no test sees another's counts.
  const key = () => `k${++n}:${randomUUID()}`;

  beforeAll(() => {
    if (!enabled) return;
    if (redis) assertRedisUp();
    store = make();
  });
  afterAll(() => store?.close());

  describe.runIf(enabled)('contract', () => {
    it('counts hits within one window', async () => {
      const k = key();
      expect(await store.hit(k, MINUTE, T0)).toBe(1);
      expect(await store.hit(k, MINUTE, T0 + 1_000)).toBe(2);
      expect(await store.hit(k, MINUTE, T0 + MINUTE - 1)).toBe(3);
    });

    it('keeps keys apart', async () => {
      const a = key();
      const b = key();
      await store.hit(a, MINUTE, T0);
      await store.hit(a, MINUTE, T0);
      expect(await store.hit(b, MINUTE, T0)).toBe(1);
      expect(await store.hit(a, MINUTE, T0)).toBe(3);
    });

    it('starts over when the window rolls over', async () => {
      const k = key();
      for (let i = 0; i < 4; i++) await store.hit(k, MINUTE, T0 + i);
      expect(await store.hit(k, MINUTE, T0 + MINUTE - 1)).toBe(5);
      expect(await store.hit(k, MINUTE, T0 + MINUTE)).toBe(1);
      expect(await store.hit(k, MINUTE, T0 + 2 * MINUTE + 5)).toBe(1);
    });

    it('treats the same key with another window length as another counter', async () => {
      const k = key();
      await store.hit(k, MINUTE, T0);
      expect(await store.hit(k, 15 * MINUTE, T0)).toBe(1);
    });

    it('resets only the window it is given', async () => {
      const k = key();
      await store.hit(k, MINUTE, T0);
      await store.hit(k, MINUTE, T0);
      await store.hit(k, MINUTE, T0 + MINUTE);
      await store.reset(k, MINUTE, T0 + 10);
      expect(await store.hit(k, MINUTE, T0)).toBe(1);
      expect(await store.hit(k, MINUTE, T0 + MINUTE)).toBe(2);
    });

    it('resetting an unknown key is harmless', async () => {
      const k = key();
      await store.reset(k, MINUTE, T0);
      expect(await store.hit(k, MINUTE, T0)).toBe(1);
    });

    it('gives back one hit of the window it is given', async () => {
      const k = key();
      await store.hit(k, MINUTE, T0);
      await store.hit(k, MINUTE, T0);
      await store.hit(k, MINUTE, T0 + MINUTE);
      await store.release(k, MINUTE, T0 + 10);
      // Each hit below is given back at once, so it observes the count without keeping one.
      expect(await store.hit(k, MINUTE, T0)).toBe(2);
      await store.release(k, MINUTE, T0);
      expect(await store.hit(k, MINUTE, T0 + MINUTE)).toBe(2);
      await store.release(k, MINUTE, T0 + MINUTE);
      await store.release(k, MINUTE, T0);
      expect(await store.hit(k, MINUTE, T0)).toBe(1);
    });

    it('never releases below zero, so a release after a reset takes no later hit away', async () => {
      const k = key();
      await store.release(k, MINUTE, T0);
      expect(await store.hit(k, MINUTE, T0)).toBe(1);
      await store.reset(k, MINUTE, T0);
      await store.release(k, MINUTE, T0);
      await store.release(k, MINUTE, T0);
      expect(await store.hit(k, MINUTE, T0)).toBe(1);
    });

    it('keeps every concurrent hit and release apart', async () => {
      const k = key();
      for (let i = 0; i < 10; i++) await store.hit(k, MINUTE, T0);
      await Promise.all([
        ...Array.from({ length: 6 }, () => store.release(k, MINUTE, T0)),
        ...Array.from({ length: 4 }, () => store.hit(k, MINUTE, T0)),
      ]);
      expect(await store.hit(k, MINUTE, T0)).toBe(9);
    });

    it('counts concurrent hits exactly once each', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 25 }, () => store.hit(k, MINUTE, T0)));
      expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(await store.hit(k, MINUTE, T0)).toBe(26);
    });
  });
});

describe.runIf(runRedis)('RedisRateLimitStore in Redis', () => {
  let admin: Redis;
  let store: RedisRateLimitStore;
  beforeAll(() => {
    assertRedisUp();
    admin = connect();
    store = new RedisRateLimitStore(connect(), PREFIX);
  });
  afterAll(async () => {
    await store?.close();
    await admin?.quit();
  });

  it('keeps counters under its prefix with a TTL no longer than the window', async () => {
    const k = `ttl:${randomUUID()}`;
    await store.hit(k, MINUTE, T0);
    const keys = await admin.keys(`${PREFIX}ttl:*`);
    expect(keys).toHaveLength(1);
    const ttl = await admin.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(MINUTE);
  });

  it('keeps the TTL of a counter it releases', async () => {
    const k = `release-ttl:${randomUUID()}`;
    await store.hit(k, MINUTE, T0);
    await store.hit(k, MINUTE, T0);
    await store.release(k, MINUTE, T0);
    const keys = await admin.keys(`${PREFIX}release-ttl:*`);
    expect(keys).toHaveLength(1);
    expect(await admin.get(keys[0]!)).toBe('1');
    const ttl = await admin.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(MINUTE);
  });

  it('shares counters between two store instances on one prefix', async () => {
    const other = new RedisRateLimitStore(connect(), PREFIX);
    try {
      const k = `shared:${randomUUID()}`;
      await store.hit(k, MINUTE, T0);
      expect(await other.hit(k, MINUTE, T0)).toBe(2);
      await other.reset(k, MINUTE, T0);
      expect(await store.hit(k, MINUTE, T0)).toBe(1);
    } finally {
      await other.close();
    }
  });
});

// Two API nodes of one deployment: one database, one clock, each its own rate limit store.
const LIMITS: LoginLimits = { windowMs: 15 * MINUTE, perHandle: 3, perAddress: 1_000 };

async function buildTwoNodes(makeStore: () => RateLimitStore): Promise<{ a: TestContext; b: App; close(): Promise<void> }> {
  const a = await buildTestApp({ rateLimits: makeStore(), loginLimits: LIMITS });
  const b = await buildApp({
    config: { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' },
    database: a.database,
    clock: a.clock,
    rateLimits: makeStore(),
    loginLimits: LIMITS,
  });
  await b.ready();
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
    },
  };
}

const login = (app: App, player: TestPlayer, password = player.password) =>
  app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password } });

describe.runIf(runRedis)('login limits shared across nodes through Redis', () => {
  let nodes: Awaited<ReturnType<typeof buildTwoNodes>>;
  beforeAll(async () => {
    assertRedisUp();
    nodes = await buildTwoNodes(() => new RedisRateLimitStore(connect(), PREFIX));
  });
  afterAll(() => nodes?.close());

  it('counts failures on node A against logins on node B', async () => {
    const { a, b } = nodes;
    const player = await makePlayer(a.app);
    for (let i = 0; i < LIMITS.perHandle; i++) {
      expectProblem(await login(a.app, player, 'wrong-password'), 401, 'UNAUTHENTICATED');
    }
    expectProblem(await login(b, player), 429, 'RATE_LIMITED');
    expectProblem(await login(a.app, player), 429, 'RATE_LIMITED');
    a.clock.advance(LIMITS.windowMs);
    expect((await login(b, player)).statusCode).toBe(200);
  });

  it('adds up failures spread over both nodes', async () => {
    const { a, b } = nodes;
    const player = await makePlayer(b);
    expectProblem(await login(a.app, player, 'wrong-password'), 401, 'UNAUTHENTICATED');
    expectProblem(await login(b, player, 'wrong-password'), 401, 'UNAUTHENTICATED');
    expectProblem(await login(a.app, player, 'wrong-password'), 401, 'UNAUTHENTICATED');
    expectProblem(await login(b, player), 429, 'RATE_LIMITED');
  });

  it('lets no more than the limit of a burst of guesses spread over both nodes be tried', async () => {
    const { a, b } = nodes;
    const player = await makePlayer(a.app);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => login(i % 2 === 0 ? a.app : b, player, `wrong-password-${i}`)),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401)).toHaveLength(LIMITS.perHandle);
    expect(codes.filter((c) => c === 429)).toHaveLength(8 - LIMITS.perHandle);
    expectProblem(await login(b, player), 429, 'RATE_LIMITED');
  });

  it('clears the count on both nodes after a successful login', async () => {
    const { a, b } = nodes;
    const player = await makePlayer(a.app);
    for (let i = 0; i < LIMITS.perHandle - 1; i++) await login(a.app, player, 'wrong-password');
    expect((await login(b, player)).statusCode).toBe(200);
    for (let i = 0; i < LIMITS.perHandle - 1; i++) {
      expectProblem(await login(b, player, 'wrong-password'), 401, 'UNAUTHENTICATED');
    }
    expect((await login(a.app, player)).statusCode).toBe(200);
  });
});

describe('login limits kept in memory', () => {
  let nodes: Awaited<ReturnType<typeof buildTwoNodes>>;
  beforeAll(async () => {
    nodes = await buildTwoNodes(() => new MemoryRateLimitStore());
  });
  afterAll(() => nodes?.close());

  it('are per node, which is why several nodes need REDIS_URL', async () => {
    const { a, b } = nodes;
    const player = await makePlayer(a.app);
    for (let i = 0; i < LIMITS.perHandle; i++) await login(a.app, player, 'wrong-password');
    expectProblem(await login(a.app, player), 429, 'RATE_LIMITED');
    expect((await login(b, player)).statusCode).toBe(200);
  });
});

describe('login limits in a Redis that does not answer', () => {
  let ctx: TestContext;
  const warnings: string[] = [];
  beforeAll(async () => {
    // Port 1: nothing listens, every connection is refused.
    ctx = await buildTestApp({ rateLimits: createRateLimitStore({ redisUrl: 'redis://127.0.0.1:1' }, (m) => warnings.push(m)) });
  });
  afterAll(() => ctx?.close());

  it('refuses logins with 503 UNAVAILABLE (a dependency down), not 500, and says so once in the log', async () => {
    const player = await makePlayer(ctx.app);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: player.password } });
    expectProblem(res, 503, 'UNAVAILABLE');
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: player.user.site_id, password: 'wrong-password' } }), 503, 'UNAVAILABLE');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('REDIS_URL does not answer');
  });
});
