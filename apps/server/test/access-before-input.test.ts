import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from './build-app.ts';
import { makeAdmin, makePlayer, type TestPlayer } from './factories/players.ts';
import { expectProblem } from './problem.ts';

// Who may call a route is decided before what they sent is read: a caller without a token gets
// 401 and a player on an operator route 403, whatever the input, and never a 400 whose field
// details describe an operator route's contract. Every authenticated route the OpenAPI document
// lists, each sent input it would refuse.
interface Operation {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  admin: boolean;
}

let ctx: TestContext;
let player: TestPlayer;
let operations: Operation[];
beforeAll(async () => {
  ctx = await buildTestApp();
  await makeAdmin(ctx);
  player = await makePlayer(ctx.app);
  const doc = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => op.security?.length)
      .map(([method, op]) => ({ method: method.toUpperCase() as Operation['method'], path, admin: op.tags?.includes('admin') ?? false })),
  );
});
afterAll(() => ctx?.close());

/** The operation with input it refuses: an id that is none, a query parameter and a body field it does not read. */
const badInput = (op: Operation, headers: Record<string, string>) =>
  ctx.app.inject({
    method: op.method,
    url: `${op.path.replace(/\{[^}]+\}/g, 'NOT AN ID')}?junk=1`,
    headers: { ...headers, 'x-idempotency-key': 'has space' },
    ...(op.method === 'GET' ? {} : { payload: { junk: 1 } }),
  });

describe('authenticated routes refuse the caller before reading the input', () => {
  it('covers the API', () => {
    expect(operations.filter((o) => o.admin).length).toBeGreaterThan(15);
    expect(operations.filter((o) => !o.admin).length).toBeGreaterThan(15);
  });

  it('answers 401 to a caller with no token or a bad one, on every route', async () => {
    for (const op of operations) {
      expectProblem(await badInput(op, {}), 401, 'UNAUTHENTICATED');
      expectProblem(await badInput(op, { authorization: `Bearer ${'x'.repeat(5000)}` }), 401, 'UNAUTHENTICATED');
    }
  });

  it('answers 403 to a player on every operator route', async () => {
    for (const op of operations.filter((o) => o.admin)) {
      const res = await badInput(op, player.headers);
      expect(res.statusCode, `${op.method} ${op.path}: ${res.body}`).toBe(403);
      expectProblem(res, 403, 'FORBIDDEN');
    }
  });
});
