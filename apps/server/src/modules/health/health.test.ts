import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthResponseSchema, ReadyResponseSchema } from '@playloop/contracts';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { buildApp } from '../../app.ts';
import { createRateLimitStore } from '../../bootstrap.ts';
import { RedisRateLimitStore, type RateLimitStore } from '../../lib/rate-limit.ts';
import { listMigrations } from '../../db/migrate.ts';
import { buildTestApp, TEST_JWT_SECRET, type TestContext } from '../../../test/build-app.ts';
import { redisReachable } from '../../../test/redis.ts';
import { createTestDatabase } from '../../../test/database.ts';
import { expectProblem } from '../../../test/problem.ts';
import { freePort } from '../../../test/processes.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

const get = (url: string) => ctx.app.inject({ method: 'GET', url });

describe('/healthz', () => {
  it('answers 200 while the process is up', async () => {
    const res = await get('/healthz');
    expect(res.statusCode).toBe(200);
    expect(HealthResponseSchema.parse(res.json())).toEqual({ status: 'ok' });
  });
});

describe('/readyz', () => {
  it('answers 200 ready once every migration is applied', async () => {
    const res = await get('/readyz');
    expect(res.statusCode).toBe(200);
    expect(ReadyResponseSchema.parse(res.json())).toEqual({ status: 'ready', checks: { database: true, migrations: true } });
  });

  it('answers 503 not_ready while a migration is missing, and ready again once it is back', async () => {
    const last = listMigrations().at(-1);
    if (!last) throw new Error('no migrations found');
    // This file's own database, so no other test sees the missing row.
    const row = await ctx.db.selectFrom('schema_migrations').selectAll().where('name', '=', last).executeTakeFirstOrThrow();
    await ctx.db.deleteFrom('schema_migrations').where('name', '=', last).execute();
    try {
      const res = await get('/readyz');
      expect(res.statusCode).toBe(503);
      expect(ReadyResponseSchema.parse(res.json())).toEqual({ status: 'not_ready', checks: { database: true, migrations: false } });
    } finally {
      await ctx.db.insertInto('schema_migrations').values(row).execute();
    }
    expect((await get('/readyz')).statusCode).toBe(200);
  });

  it('answers 503 not_ready when the database is gone', async () => {
    const testDb = await createTestDatabase();
    const app = await buildApp({
      config: { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' },
      database: testDb.database,
    });
    try {
      await app.ready();
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await testDb.drop();
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not_ready', checks: { database: false, migrations: false } });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await testDb.drop().catch(() => {});
    }
  });
});

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisUp = await redisReachable(REDIS_URL);

// With REDIS_URL every login counts its attempts there: while Redis does not answer, every login
// is 503. /readyz says so, but stays ready: every node shares that Redis, so taking nodes out of a
// load balancer would stop everything else too.
describe('/readyz with REDIS_URL', () => {
  const appWith = async (rateLimits: RateLimitStore) => {
    const testDb = await createTestDatabase();
    const app = await buildApp({
      config: { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' },
      database: testDb.database,
      rateLimits,
    });
    await app.ready();
    return {
      app,
      async close() {
        await app.close();
        await testDb.drop();
      },
    };
  };

  it('reports Redis down while it does not answer, and stays ready (every node shares it; only logins need it)', async () => {
    const { app, close } = await appWith(createRateLimitStore({ redisUrl: `redis://127.0.0.1:${await freePort()}` }, () => {}));
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(200);
      expect(ReadyResponseSchema.parse(res.json())).toEqual({ status: 'ready', checks: { database: true, migrations: true, redis: false } });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  it.runIf(redisUp || process.env.REQUIRE_REDIS === '1')('answers 200 ready with Redis answering', async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    await once(redis, 'ready');
    const { app, close } = await appWith(new RedisRateLimitStore(redis));
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode, res.body).toBe(200);
      expect(ReadyResponseSchema.parse(res.json())).toEqual({ status: 'ready', checks: { database: true, migrations: true, redis: true } });
    } finally {
      await close();
    }
  });
});

describe('API docs', () => {
  it('serves an OpenAPI 3 document describing the auth routes', async () => {
    const res = await get('/docs/json');
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Playloop API');
    expect(doc.paths['/api/auth/signup']).toHaveProperty('post');
    expect(doc.paths['/api/auth/login']).toHaveProperty('post');
    expect(doc.paths['/api/auth/me']).toHaveProperty('get');
    expect(doc.paths['/healthz']).toHaveProperty('get');
    // Internal endpoints stay out of the public document.
    expect(doc.paths).not.toHaveProperty('/metrics');
  });

  it('serves the docs UI as HTML', async () => {
    let res = await get('/docs');
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 3; hops++) {
      const location = String(res.headers.location);
      res = await get(new URL(location, 'http://localhost/docs/').pathname);
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/swagger/i);
  });
});

describe('/metrics', () => {
  it('counts requests in Prometheus text, labelled by route pattern and status', async () => {
    await get('/healthz');
    await get('/api/players/12345/secret');
    const res = await get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE playloop_http_requests_total counter');
    expect(res.body).toMatch(/^playloop_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^playloop_http_request_duration_seconds_bucket\{.*route="\/healthz".*\} \d+$/m);
    expect(res.body).toMatch(/^playloop_http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]\d*$/m);
    // Unknown URLs never become labels, so they cannot blow up the series count.
    expect(res.body).not.toContain('12345');
    expect(res.body).toMatch(/^playloop_process_cpu_seconds_total /m);
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789';
  let guarded: TestContext;
  beforeAll(async () => {
    guarded = await buildTestApp({ config: { metricsToken: token } });
  });
  afterAll(() => guarded?.close());

  it('answers a scrape with the bearer token, and 401 problem+json to one without it or with another', async () => {
    const scrape = (authorization?: string) => guarded.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
    const ok = await scrape(`Bearer ${token}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('# TYPE playloop_http_requests_total counter');
    for (const wrong of [undefined, 'Bearer nope', `Bearer ${token}x`, `Basic ${token}`, token]) {
      const res = await scrape(wrong);
      expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(res.body).not.toContain('playloop_http');
    }
    // The rest of the API does not ask for it.
    expect((await guarded.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
