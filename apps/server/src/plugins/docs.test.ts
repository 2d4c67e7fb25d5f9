import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, errorStatus, ProblemSchema, type ErrorCode } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../test/build-app.ts';
import { makeEvent } from '../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer, uniqueSiteId, type TestPlayer } from '../../test/factories/players.ts';
import { PROBLEM_MEDIA_TYPE, ROUTE_REFUSALS } from './docs.ts';

// The OpenAPI document's error answers: present on every route, well formed, and true — the
// problems the server really sends parse with the contract's ProblemSchema and carry a code the
// document lists for that route and status.

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  enum?: unknown[];
  [key: string]: unknown;
}
interface Response {
  description?: string;
  headers?: Record<string, { schema?: Schema }>;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let ctx: TestContext;
let doc: Document;
let player: TestPlayer;
let admin: TestPlayer;
beforeAll(async () => {
  ctx = await buildTestApp({ loginLimits: { windowMs: 60_000, perHandle: 1, perAddress: 1000 } });
  player = await makePlayer(ctx.app);
  admin = await makeAdmin(ctx);
  const res = await ctx.app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  doc = res.json() as Document;
});
afterAll(() => ctx?.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );

/** The codes the document lists for one route and status (the Problem schema's `code`, narrowed). */
function documentedCodes(path: string, method: string, status: number): string[] | undefined {
  const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[PROBLEM_MEDIA_TYPE]?.schema;
  if (!schema) return undefined;
  expect(schema.allOf?.[0]).toEqual({ $ref: '#/components/schemas/Problem' });
  return schema.allOf?.[1]?.properties?.code?.enum as string[];
}

/** Every `$ref` in the document, with where it is. */
function refsOf(node: unknown, at = '#'): { ref: string; at: string; siblings: string[] }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => refsOf(item, `${at}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  const own = '$ref' in node ? [{ ref: String((node as Schema).$ref), at, siblings: Object.keys(node).filter((k) => k !== '$ref') }] : [];
  return [...own, ...Object.entries(node).flatMap(([key, value]) => refsOf(value, `${at}/${key}`))];
}

/** JSON Schema keywords (or forms) of 2020-12 that an OpenAPI 3.0 schema object does not allow. */
function nonOas30Keywords(node: unknown, at = '#'): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => nonOas30Keywords(item, `${at}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type' && Array.isArray(value)) found.push(`${at}/type (array)`);
    if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value !== 'boolean') found.push(`${at}/${key} (number)`);
    if (['const', 'prefixItems', '$defs', '$schema', 'unevaluatedProperties', 'dependentSchemas'].includes(key)) found.push(`${at}/${key}`);
    found.push(...nonOas30Keywords(value, `${at}/${key}`));
  }
  return found;
}

describe('the OpenAPI document', () => {
  it('is a well-formed OpenAPI 3.0 document', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Playloop API', version: expect.any(String) });
    expect(operations().length).toBeGreaterThan(40);
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(path, where).toMatch(/^\//);
      // Every templated segment is a required path parameter, and every path parameter is in the path.
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(pathParams.map((p) => p.name).sort(), where).toEqual(templated);
      for (const p of pathParams) expect(p.required, `${where} ${p.name}`).toBe(true);
      for (const p of op.parameters ?? []) {
        expect(['query', 'header', 'path', 'cookie'], where).toContain(p.in);
        expect(p.schema, `${where} ${p.name}`).toBeDefined();
      }
      for (const scheme of op.security ?? []) for (const name of Object.keys(scheme)) expect(doc.components.securitySchemes, where).toHaveProperty(name);
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        expect(typeof response.description, `${where} ${status}`).toBe('string');
        for (const [type, media] of Object.entries(response.content ?? {})) {
          expect(type, `${where} ${status}`).toMatch(/^[\w.+-]+\/[\w.+-]+$/);
          expect(media.schema, `${where} ${status} ${type}`).toBeDefined();
        }
        for (const [name, header] of Object.entries(response.headers ?? {})) expect(header.schema, `${where} ${status} ${name}`).toBeDefined();
      }
    }
  });

  it('resolves every $ref, with no siblings (ignored in 3.0), and uses only the 3.0 schema dialect', () => {
    const refs = refsOf(doc);
    expect(refs.length).toBeGreaterThan(50);
    for (const { ref, at, siblings } of refs) {
      expect(ref, at).toMatch(/^#\/components\/schemas\/[\w.-]+$/);
      expect(doc.components.schemas, `${at} → ${ref}`).toHaveProperty(ref.split('/').at(-1)!);
      expect(siblings, at).toEqual([]);
    }
    expect(nonOas30Keywords(doc)).toEqual([]);
  });

  it('has one Problem schema: the fields errors.ts sends, and every code of SPEC §3', () => {
    const problem = doc.components.schemas.Problem!;
    expect(problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(Object.keys(problem.properties ?? {}).sort()).toEqual(['code', 'detail', 'errors', 'instance', 'status', 'title', 'type']);
    expect(problem.properties?.code?.enum).toEqual(errorCodes);
    expect(problem.properties?.errors).toMatchObject({
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    });
  });

  it('gives every route its error answers, as application/problem+json', () => {
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const codes = (status: number) => documentedCodes(path, method, status);
      expect(codes(503), where).toContain('UNAVAILABLE');
      const hasInput = Boolean(op.requestBody) || (op.parameters?.length ?? 0) > 0;
      if (hasInput) expect(codes(400), where).toContain('VALIDATION_FAILED');
      if (op.requestBody) {
        expect(codes(413), where).toEqual(['VALIDATION_FAILED']);
        expect(codes(415), where).toEqual(['VALIDATION_FAILED']);
      }
      if (op.security?.length) expect(codes(401), where).toContain('UNAUTHENTICATED');
      else expect(codes(401) ?? [], where).not.toContain('FORBIDDEN');
      if (op.tags?.includes('admin')) expect(codes(403), where).toContain('FORBIDDEN');
      // An unknown item is NOT_CONSUMABLE, not 404 (inventory service).
      if (path.includes('{') && path !== '/api/inventory/{item_id}/use') expect(codes(404), where).toContain('NOT_FOUND');
      // Every problem status holds codes of that status (VALIDATION_FAILED travels as 400, 413, 415 or 422).
      for (const status of Object.keys(op.responses).map(Number).filter((s) => s >= 400)) {
        for (const code of codes(status) ?? []) expect(code === 'VALIDATION_FAILED' || errorStatus[code as ErrorCode] === status, `${where} ${status} ${code}`).toBe(true);
      }
    }
    // The table of the services' own refusals names routes that exist (a typo would document nothing).
    for (const key of Object.keys(ROUTE_REFUSALS)) {
      const [method, url] = key.split(' ') as [string, string];
      expect(doc.paths[url.replace(/:(\w+)/g, '{$1}')], key).toHaveProperty(method.toLowerCase());
    }
    // The answers the routes' services give, beyond their kind's.
    expect(documentedCodes('/api/auth/login', 'post', 429)).toEqual(['RATE_LIMITED']);
    expect(doc.paths['/api/auth/login']!.post!.responses['429']!.headers).toHaveProperty('retry-after');
    expect(documentedCodes('/api/auth/signup', 'post', 409)).toEqual(['SITE_ID_TAKEN']);
    expect(documentedCodes('/api/shop/purchase', 'post', 402)).toEqual(['INSUFFICIENT_FUNDS']);
    expect(documentedCodes('/api/shop/purchase', 'post', 409)).toEqual(
      expect.arrayContaining(['SOLD_OUT', 'PURCHASE_LIMIT_REACHED', 'IDEMPOTENCY_IN_PROGRESS', 'VERSION_CONFLICT']),
    );
    expect(documentedCodes('/api/shop/purchase', 'post', 422)).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED']));
    expect(documentedCodes('/api/events/{id}/claim', 'post', 409)).toEqual(
      expect.arrayContaining(['EVENT_NOT_ACTIVE', 'EVENT_EXPIRED', 'NOT_CLAIMABLE', 'ALREADY_CLAIMED']),
    );
    expect(documentedCodes('/api/events/{id}/progress', 'post', 403)).toEqual(['PROGRESS_SERVER_ONLY']);
    expect(documentedCodes('/api/game/sessions/{id}/end', 'post', 422)).toEqual(expect.arrayContaining(['IMPLAUSIBLE_RESULT']));
    expect(documentedCodes('/api/game/sessions/{id}/end', 'post', 409)).toEqual(expect.arrayContaining(['SESSION_NOT_ACTIVE']));
    expect(documentedCodes('/api/game/sessions/start', 'post', 409)).toEqual(expect.arrayContaining(['SESSION_ALREADY_ACTIVE']));
    expect(documentedCodes('/api/inventory/{item_id}/use', 'post', 409)).toEqual(expect.arrayContaining(['NOT_CONSUMABLE', 'NOT_ENOUGH_ITEMS']));
    expect(documentedCodes('/api/stream/', 'get', 429)).toEqual(['RATE_LIMITED']);
    // /readyz's own 503 (its checks) stays beside the problem of a server shutting down.
    expect(Object.keys(doc.paths['/readyz']!.get!.responses['503']!.content!)).toEqual(['application/json', PROBLEM_MEDIA_TYPE]);
  });

  it('lists X-Idempotency-Key on every authenticated POST, as the idempotency plugin honours it on each', () => {
    const posts = operations().filter(({ method, op }) => method === 'post' && op.security?.length);
    expect(posts.length).toBeGreaterThan(15);
    const without = posts.filter(({ op }) => !op.parameters?.some((p) => p.in === 'header' && p.name === 'x-idempotency-key')).map(({ path }) => path);
    expect(without).toEqual([]);
  });

  it('keeps success answers: routes without a response schema get theirs, not a "Default Response" 200', () => {
    expect(Object.keys(doc.paths['/api/auth/logout']!.post!.responses)).toContain('204');
    expect(doc.paths['/api/auth/logout']!.post!.responses).not.toHaveProperty('200');
    expect(doc.paths['/api/stream/']!.get!.responses['200']!.content).toHaveProperty(['text/event-stream']);
    expect(doc.paths['/api/shop/purchase']!.post!.responses['201']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/PurchaseResult' });
  });
});

describe('problems the server sends match the document', () => {
  /** The answer is a problem the document lists for this route: status, media type, schema, code. */
  function expectDocumented(
    res: { statusCode: number; headers: Record<string, unknown>; body: string },
    method: string,
    path: string,
    code: ErrorCode,
  ) {
    const where = `${method} ${path} → ${res.statusCode} ${res.body}`;
    expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
    // The same zod schema the clients parse with; strict about its fields' types.
    const body = ProblemSchema.parse(JSON.parse(res.body));
    expect(body.code, where).toBe(code);
    expect(body.status, where).toBe(res.statusCode);
    expect(Object.keys(body).every((k) => k in doc.components.schemas.Problem!.properties!), where).toBe(true);
    expect(documentedCodes(path, method.toLowerCase(), res.statusCode), where).toContain(code);
    return body;
  }

  const send = (method: 'GET' | 'POST' | 'PATCH', url: string, options: { payload?: unknown; headers?: Record<string, string> } = {}) =>
    ctx.app.inject({ method, url, ...(options.payload !== undefined ? { payload: options.payload as object } : {}), headers: options.headers ?? {} });

  it('auth: invalid input, not JSON, too large, a taken handle, a wrong password, the rate limit', async () => {
    expectDocumented(await send('POST', '/api/auth/signup', { payload: { site_id: 'x' } }), 'POST', '/api/auth/signup', 'VALIDATION_FAILED');
    expectDocumented(
      await send('POST', '/api/auth/signup', { payload: 'site_id=x', headers: { 'content-type': 'text/plain' } }),
      'POST',
      '/api/auth/signup',
      'VALIDATION_FAILED',
    );
    const big = await send('POST', '/api/auth/signup', { payload: { site_id: 'x'.repeat(70_000) } });
    expect(big.statusCode).toBe(413);
    expectDocumented(big, 'POST', '/api/auth/signup', 'VALIDATION_FAILED');
    const taken = await send('POST', '/api/auth/signup', { payload: { site_id: player.user.site_id, nickname: 'Again', password: 'another-password' } });
    expectDocumented(taken, 'POST', '/api/auth/signup', 'SITE_ID_TAKEN');
    expectDocumented(await send('POST', '/api/auth/refresh', { payload: { refresh_token: 'not-a-token' } }), 'POST', '/api/auth/refresh', 'UNAUTHENTICATED');

    const handle = uniqueSiteId();
    expectDocumented(await send('POST', '/api/auth/login', { payload: { site_id: handle, password: 'wrong-password' } }), 'POST', '/api/auth/login', 'UNAUTHENTICATED');
    const limited = await send('POST', '/api/auth/login', { payload: { site_id: handle, password: 'wrong-password' } });
    expectDocumented(limited, 'POST', '/api/auth/login', 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('player routes: no token, an unknown id, a server-only event, a cosmetic item, a second session', async () => {
    expectDocumented(await send('GET', '/api/auth/me'), 'GET', '/api/auth/me', 'UNAUTHENTICATED');
    expectDocumented(await send('GET', '/api/dashboard?junk=1', { headers: player.headers }), 'GET', '/api/dashboard', 'VALIDATION_FAILED');
    const unknownId = '00000000-0000-4000-8000-000000000000';
    expectDocumented(
      await send('POST', `/api/events/${unknownId}/participate`, { payload: {}, headers: player.headers }),
      'POST',
      '/api/events/{id}/participate',
      'NOT_FOUND',
    );
    const event = await makeEvent(ctx, { rules: { metric: 'games_played', target: 3 } });
    expectDocumented(
      await send('POST', `/api/events/${event.id}/progress`, { payload: { metric: 'games_played', delta: 1 }, headers: player.headers }),
      'POST',
      '/api/events/{id}/progress',
      'PROGRESS_SERVER_ONLY',
    );
    expectDocumented(
      await send('POST', `/api/events/${event.id}/claim`, { payload: {}, headers: player.headers }),
      'POST',
      '/api/events/{id}/claim',
      'NOT_CLAIMABLE',
    );
    expectDocumented(
      await send('POST', '/api/inventory/no_such_item/use', { payload: {}, headers: player.headers }),
      'POST',
      '/api/inventory/{item_id}/use',
      'NOT_CONSUMABLE',
    );
    expectDocumented(
      await send('POST', '/api/shop/purchase', { payload: { sku_id: 'no_such_sku' }, headers: player.headers }),
      'POST',
      '/api/shop/purchase',
      'NOT_FOUND',
    );
    const gameType = (await send('GET', '/api/game/types')).json()[0].game_type as string;
    expect((await send('POST', '/api/game/sessions/start', { payload: { game_type: gameType }, headers: player.headers })).statusCode).toBe(201);
    expectDocumented(
      await send('POST', '/api/game/sessions/start', { payload: { game_type: gameType }, headers: player.headers }),
      'POST',
      '/api/game/sessions/start',
      'SESSION_ALREADY_ACTIVE',
    );
    // One idempotency key, then the same key for another event.
    const keyed = { ...player.headers, 'x-idempotency-key': `docs-${uniqueSiteId()}` };
    expect((await send('POST', `/api/events/${event.id}/participate`, { payload: {}, headers: keyed })).statusCode).toBe(201);
    const other = await makeEvent(ctx);
    expectDocumented(
      await send('POST', `/api/events/${other.id}/participate`, { payload: {}, headers: keyed }),
      'POST',
      '/api/events/{id}/participate',
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('operator routes: a player, a taken key, an unknown player, a paging cursor that names none', async () => {
    expectDocumented(await send('GET', '/api/admin/events', { headers: player.headers }), 'GET', '/api/admin/events', 'FORBIDDEN');
    const sku = { sku_id: `docs_${Date.now()}`, name: 'Docs SKU', price: 10, currency_type: 'soft', bundle: { exp: 1 } };
    expect((await send('POST', '/api/admin/shop/skus', { payload: sku, headers: admin.headers })).statusCode).toBe(201);
    const again = await send('POST', '/api/admin/shop/skus', { payload: sku, headers: admin.headers });
    expect(again.statusCode).toBe(422);
    expectDocumented(again, 'POST', '/api/admin/shop/skus', 'VALIDATION_FAILED');
    expectDocumented(
      await send('GET', '/api/admin/players/00000000-0000-4000-8000-000000000000', { headers: admin.headers }),
      'GET',
      '/api/admin/players/{id}',
      'NOT_FOUND',
    );
    expectDocumented(
      await send('GET', '/api/admin/players?before=00000000-0000-4000-8000-000000000000', { headers: admin.headers }),
      'GET',
      '/api/admin/players',
      'NOT_FOUND',
    );
  });
});
