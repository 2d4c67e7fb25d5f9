import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from './build-app.ts';
import { makeAdmin, type TestPlayer } from './factories/players.ts';
import { expectProblem } from './problem.ts';

// A query parameter a route does not read is refused, as an unknown body field is: a client's typo
// (`?limt=5`) is a 400 naming it, not an answer that silently ignored it. Every GET of the API the
// OpenAPI document lists, with the query values its contract needs, and one parameter more.
const NEEDS: Record<string, string> = {
  '/api/admin/analytics/kpis': 'from=2026-11-01&to=2026-11-30',
};

let ctx: TestContext;
let admin: TestPlayer;
let paths: string[];
beforeAll(async () => {
  ctx = await buildTestApp();
  admin = await makeAdmin(ctx);
  const doc = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  // The stream holds its connection open on success; its query is checked in its own tests.
  paths = Object.entries(doc.paths)
    .filter(([path, ops]) => 'get' in ops && path.startsWith('/api/') && !path.includes('{') && !path.startsWith('/api/stream'))
    .map(([path]) => path);
});
afterAll(() => ctx?.close());

describe('GET routes and query parameters they do not read', () => {
  it('covers the API', () => {
    expect(paths.length).toBeGreaterThan(15);
    expect(paths).toContain('/api/items');
  });

  it('answers each route as it is, and refuses it with one unknown parameter more (400, named)', async () => {
    for (const path of paths) {
      const query = NEEDS[path];
      const plain = await ctx.app.inject({ method: 'GET', url: query ? `${path}?${query}` : path, headers: admin.headers });
      // 200, or 503 for the KPIs, which this app has no analytics store for: the query itself is fine.
      expect(plain.statusCode === 200 || (path === '/api/admin/analytics/kpis' && plain.statusCode === 503), `${path}: ${plain.body.slice(0, 200)}`).toBe(true);
      const extra = await ctx.app.inject({ method: 'GET', url: `${path}?${query ? `${query}&` : ''}limt=5`, headers: admin.headers });
      const problem = expectProblem(extra, 400, 'VALIDATION_FAILED');
      expect(problem.errors?.map((e) => e.field), path).toEqual(['querystring.limt']);
    }
  });
});
