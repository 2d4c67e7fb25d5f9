import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorStatus, type ErrorCode } from '@playloop/contracts';
import { sql } from 'kysely';
import { z } from 'zod';
import { buildApp, type App } from '../app.ts';
import { DomainError } from '../lib/domain-error.ts';
import { mapConstraint } from './errors.ts';
import { TEST_JWT_SECRET } from '../../test/build-app.ts';
import { createTestDatabase, type TestDatabase } from '../../test/database.ts';
import { expectProblem } from '../../test/problem.ts';

// Internals a 500 must never show: the message, the file it came from, the stack.
const SECRET_MESSAGE = 'password=hunter2 at /srv/playloop/apps/server/src/secret.ts:42';

let testDb: TestDatabase;
let app: App;
beforeAll(async () => {
  testDb = await createTestDatabase();
  app = await buildApp({
    config: { jwtSecret: TEST_JWT_SECRET, signupBonusSoft: 1000, resetTimezone: 'UTC' },
    database: testDb.database,
  });
  // Routes that fail on purpose, added before ready so the app's error handler covers them.
  app.get('/test/crash', async () => {
    throw new Error(SECRET_MESSAGE);
  });
  app.get('/test/throw-string', async () => {
    throw 'a bare string, not an Error';
  });
  app.get<{ Params: { code: string } }>('/test/domain/:code', async (request) => {
    throw new DomainError(request.params.code as ErrorCode, `domain refusal ${request.params.code}`);
  });
  app.get('/test/domain-fields', async () => {
    throw new DomainError('VALIDATION_FAILED', 'the quantity is wrong', [{ field: 'body.quantity', message: 'too big' }]);
  });
  // Shaped like the errors `pg` raises: a message plus a SQLSTATE or errno `code`.
  app.get<{ Params: { code: string } }>('/test/pg/:code', async (request) => {
    throw Object.assign(new Error(`${SECRET_MESSAGE} (${request.params.code})`), { code: request.params.code });
  });
  app.post('/test/strict', { schema: { body: z.strictObject({ n: z.number(), items: z.array(z.number()).optional() }) } }, async () => ({ ok: true }));
  app.get('/test/pool-timeout', async () => {
    throw new Error('timeout exceeded when trying to connect');
  });

  // Real violations raised by the store under test (PGlite or PostgreSQL), not hand-made errors.
  const { db } = testDb.database;
  await sql`CREATE TABLE errors_probe (
    n int CONSTRAINT errors_probe_n_positive CHECK (n > 0),
    k text CONSTRAINT errors_probe_k_key UNIQUE,
    u text CONSTRAINT errors_probe_u_key UNIQUE
  )`.execute(db);
  mapConstraint('errors_probe_n_positive', 'INSUFFICIENT_FUNDS', 'not enough funds for this');
  mapConstraint('errors_probe_k_key', 'ALREADY_CLAIMED', 'already claimed');
  const statements: Record<string, () => Promise<unknown>> = {
    'mapped-check': () => sql`INSERT INTO errors_probe (n) VALUES (-1)`.execute(db),
    'mapped-unique': async () => {
      await sql`INSERT INTO errors_probe (k) VALUES ('dup') ON CONFLICT DO NOTHING`.execute(db);
      await sql`INSERT INTO errors_probe (k) VALUES ('dup')`.execute(db);
    },
    'unmapped-unique': async () => {
      await sql`INSERT INTO errors_probe (u) VALUES ('dup') ON CONFLICT DO NOTHING`.execute(db);
      await sql`INSERT INTO errors_probe (u) VALUES ('dup')`.execute(db);
    },
    overflow: () => sql`SELECT 2147483647::int4 + 1`.execute(db),
    'bad-cast': () => sql`SELECT 'twelve'::int4`.execute(db),
    'syntax-error': () => sql`SELEC 1`.execute(db),
  };
  app.get<{ Params: { name: string } }>('/test/sql/:name', async (request) => {
    await statements[request.params.name]!();
    return { ok: true };
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

const get = (url: string) => app.inject({ method: 'GET', url });

describe('unknown routes', () => {
  it('answers 404 NOT_FOUND as problem+json, without echoing the query string', async () => {
    const res = await get('/api/nothing-here?token=abc');
    const problem = expectProblem(res, 404, 'NOT_FOUND');
    expect(problem).toMatchObject({ type: 'https://playloop.dev/problems/not-found', title: 'Not found' });
    expect(problem.detail).toBe('no route GET /api/nothing-here');
  });

  it.each([
    ['DELETE', '/api/auth/me'],
    ['PUT', '/healthz'],
    ['GET', '/api/auth/login'],
  ] as const)('answers a wrong method (%s %s) with a 404 problem', async (method, url) => {
    const res = await app.inject({ method, url });
    expectProblem(res, 404, 'NOT_FOUND');
  });
});

describe("Fastify's refusals before routing", () => {
  it.each([
    ['/%', 'the URL is not valid'],
    ['/api/events/%E0%A4%A/claim', 'the URL is not valid'],
    ['/api/inventory/%zz/use', 'the URL is not valid'],
    [`/api/events/${'a'.repeat(300)}/claim`, 'a path segment is too long'],
  ])('answers POST %s with a 400 problem (%s)', async (url, detail) => {
    const res = await app.inject({ method: 'POST', url, payload: {} });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem).toMatchObject({ detail, errors: [{ field: 'url', message: detail }] });
  });
});

describe("Node's HTTP parser's refusals", () => {
  /** Sends raw bytes on a fresh connection and reads everything until the server closes it. */
  async function raw(bytes: string): Promise<{ status: number; contentType: string; body: string }> {
    if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      let got = '';
      socket.on('data', (d) => (got += d.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    const [head = '', body = ''] = text.split('\r\n\r\n');
    return { status: Number(head.split(' ')[1]), contentType: /content-type: ([^\r]+)/i.exec(head)?.[1] ?? '', body };
  }

  it.each([
    ['headers over the size limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['bytes that are not HTTP', 'HELLO THERE\r\n\r\n', 400],
  ])('answers %s with a problem and closes the connection', async (_what, bytes, status) => {
    const res = await raw(bytes);
    expect(res.status).toBe(status);
    expect(res.contentType).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status, code: 'VALIDATION_FAILED' });
  });
});

describe('unexpected errors', () => {
  it('answers 500 INTERNAL with a generic detail and no stack trace or message', async () => {
    const res = await get('/test/crash');
    const problem = expectProblem(res, 500, 'INTERNAL');
    expect(problem.detail).toBe('an unexpected error occurred');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('secret.ts');
    expect(res.body).not.toMatch(/\n\s+at /);
  });

  it('handles a thrown non-Error the same way', async () => {
    expectProblem(await get('/test/throw-string'), 500, 'INTERNAL');
  });
});

describe('domain errors', () => {
  it.each(Object.entries(errorStatus) as [ErrorCode, number][])('%s travels with status %i', async (code, status) => {
    const res = await get(`/test/domain/${code}`);
    const problem = expectProblem(res, status, code);
    expect(problem.detail).toBe(`domain refusal ${code}`);
  });

  it('carries the offending fields', async () => {
    const problem = expectProblem(await get('/test/domain-fields'), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual([{ field: 'body.quantity', message: 'too big' }]);
  });
});

describe('schema refusals', () => {
  const post = (body: unknown) => app.inject({ method: 'POST', url: '/test/strict', payload: body as object });

  it('names an unknown field in the field, once', async () => {
    const problem = expectProblem(await post({ n: 1, extra: true }), 400, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual([{ field: 'body.extra', message: 'unknown field' }]);
  });

  it('answers thousands of unknown fields with a short problem, not one larger than the request', async () => {
    const body = { n: 1, ...Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 1])) };
    const res = await post(body);
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors).toEqual([{ field: 'body.k0,k1,k2,k3,k4,k5,k6,k7,k8,k9,(4990 more)', message: 'unknown fields' }]);
    expect(res.body.length).toBeLessThan(1_000);
  });

  it('lists at most twenty wrong values however many there are', async () => {
    const res = await post({ n: 1, items: Array.from({ length: 12_000 }, () => 'x') });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveLength(20);
    expect(problem.errors![0]).toMatchObject({ field: 'body.items.0' });
    expect(res.body.length).toBeLessThan(5_000);
  });
});

describe('database errors', () => {
  it.each([
    ['40001', 'a serialization failure', 409, 'VERSION_CONFLICT'],
    ['40P01', 'a deadlock', 409, 'VERSION_CONFLICT'],
    ['22003', 'a numeric overflow', 400, 'VALIDATION_FAILED'],
    ['22021', 'a NUL byte in text', 400, 'VALIDATION_FAILED'],
    ['57P01', 'an admin shutdown', 503, 'UNAVAILABLE'],
    ['08006', 'a connection failure', 503, 'UNAVAILABLE'],
    ['53300', 'too many connections', 503, 'UNAVAILABLE'],
    ['57014', 'a statement past DATABASE_STATEMENT_TIMEOUT_MS', 503, 'UNAVAILABLE'],
    ['55P03', 'a lock not had within DATABASE_LOCK_TIMEOUT_MS', 503, 'UNAVAILABLE'],
    ['25P03', 'a transaction ended for idling', 503, 'UNAVAILABLE'],
    ['ECONNREFUSED', 'a refused connection', 503, 'UNAVAILABLE'],
    ['ECONNRESET', 'a reset connection', 503, 'UNAVAILABLE'],
    ['XX000', 'an internal database error', 500, 'INTERNAL'],
  ] as const)('maps %s (%s) to %i %s without leaking the message', async (sqlstate, _what, status, code) => {
    const res = await get(`/test/pg/${sqlstate}`);
    expectProblem(res, status, code);
    expect(res.body).not.toContain('hunter2');
  });

  it('maps a pool that cannot get a connection to 503 UNAVAILABLE', async () => {
    expectProblem(await get('/test/pool-timeout'), 503, 'UNAVAILABLE');
  });

  it.each([
    ['mapped-check', 'a CHECK a module mapped', 402, 'INSUFFICIENT_FUNDS', 'not enough funds for this'],
    ['mapped-unique', 'a UNIQUE a module mapped', 409, 'ALREADY_CLAIMED', 'already claimed'],
    ['unmapped-unique', 'a UNIQUE nobody mapped', 500, 'INTERNAL', 'an unexpected error occurred'],
    ['overflow', 'an integer overflow', 400, 'VALIDATION_FAILED', 'a value is out of range'],
    ['bad-cast', 'a bad integer literal', 400, 'VALIDATION_FAILED', 'a value is out of range'],
    ['syntax-error', 'a bug in our SQL', 500, 'INTERNAL', 'an unexpected error occurred'],
  ] as const)('maps a real %s violation (%s) to %i %s', async (name, _what, status, code, detail) => {
    const res = await get(`/test/sql/${name}`);
    expect(expectProblem(res, status, code).detail).toBe(detail);
    expect(res.body).not.toContain('errors_probe');
  });
});
