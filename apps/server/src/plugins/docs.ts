import fp from 'fastify-plugin';
import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { createJsonSchemaTransformObject, jsonSchemaTransform } from 'fastify-type-provider-zod';
import { errorStatus, type ErrorCode } from '@playloop/contracts';

/** The media type of every error body (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** A code a route answers with, at its usual status or (VALIDATION_FAILED) at another one. */
type Refusal = ErrorCode | readonly [ErrorCode, number];

/**
 * What each route's own service or flow refuses with, beyond what every route of its kind gives
 * (see `refusalsOf`). Keyed by method and Fastify URL; read from the services, kept beside the
 * generated document because it only describes it: nothing here changes an answer. The docs
 * test sends some of these and parses what comes back against the documented codes.
 */
export const ROUTE_REFUSALS: Readonly<Record<string, readonly Refusal[]>> = {
  'POST /api/auth/signup': ['SITE_ID_TAKEN'],
  // Wrong handle or password; a suspended account (said only to whoever knows the password).
  'POST /api/auth/login': ['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED'],
  'POST /api/auth/refresh': ['UNAUTHENTICATED'],
  // A `before` cursor that is not one of the player's grants.
  'GET /api/rewards/history': ['NOT_FOUND'],
  'POST /api/rewards/distribute': ['NOT_FOUND'],
  'POST /api/events/:id/participate': ['NOT_FOUND', 'EVENT_NOT_ACTIVE'],
  'POST /api/events/:id/progress': ['NOT_FOUND', 'PROGRESS_SERVER_ONLY', 'EVENT_NOT_ACTIVE', 'EVENT_EXPIRED', 'VERSION_CONFLICT'],
  'POST /api/events/:id/claim': ['NOT_FOUND', 'EVENT_NOT_ACTIVE', 'EVENT_EXPIRED', 'NOT_CLAIMABLE', 'ALREADY_CLAIMED', 'VERSION_CONFLICT'],
  'POST /api/events/missions/:id/claim': ['NOT_FOUND', 'NOT_CLAIMABLE', 'ALREADY_CLAIMED', 'VERSION_CONFLICT'],
  // A taken key, id or sku_id is a well-formed body breaking a content rule: 422.
  'POST /api/admin/events': [['VALIDATION_FAILED', 422]],
  'PATCH /api/admin/events/:id': ['NOT_FOUND', 'EVENT_EXPIRED'],
  'POST /api/admin/missions': [['VALIDATION_FAILED', 422]],
  'PATCH /api/admin/missions/:id': ['NOT_FOUND'],
  'POST /api/game/sessions/start': ['NOT_FOUND', 'SESSION_ALREADY_ACTIVE'],
  'POST /api/game/sessions/:id/end': ['NOT_FOUND', 'SESSION_NOT_ACTIVE', 'VERSION_CONFLICT', 'IMPLAUSIBLE_RESULT'],
  'POST /api/shop/purchase': ['NOT_FOUND', 'INSUFFICIENT_FUNDS', 'SOLD_OUT', 'PURCHASE_LIMIT_REACHED', 'VERSION_CONFLICT', ['VALIDATION_FAILED', 422]],
  'POST /api/admin/shop/skus': [['VALIDATION_FAILED', 422]],
  'PATCH /api/admin/shop/skus/:sku_id': ['NOT_FOUND', ['VALIDATION_FAILED', 422]],
  // An item that is not defined is NOT_CONSUMABLE (409), never 404.
  'POST /api/inventory/:item_id/use': ['NOT_CONSUMABLE', 'NOT_ENOUGH_ITEMS'],
  'POST /api/admin/items': [['VALIDATION_FAILED', 422]],
  'PATCH /api/admin/items/:item_id': ['NOT_FOUND', ['VALIDATION_FAILED', 422]],
  // A `before` cursor that names no player.
  'GET /api/admin/players': ['NOT_FOUND'],
  'GET /api/admin/players/:id': ['NOT_FOUND'],
  'GET /api/admin/players/:id/grants': ['NOT_FOUND'],
  'POST /api/admin/players/:id/suspend': ['NOT_FOUND'],
  'POST /api/admin/players/:id/reinstate': ['NOT_FOUND'],
  'GET /api/stream/': ['RATE_LIMITED'],
};

/**
 * Success answers of routes that declare no response schema (nothing to serialize), so the
 * document does not fall back to a "200 Default Response" they never give.
 */
const UNDECLARED_SUCCESS: Record<string, Record<number, object>> = {
  'POST /api/auth/logout': { 204: { description: 'Logged out: the refresh family is revoked. No body.', type: 'null' } },
  'GET /api/stream/': {
    200: {
      description: 'Server-Sent Events: `ready`, `dashboard.changed`, `reward.granted`, `progress.changed`, `purchase.succeeded`.',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
  },
};

/** What each code tells the client, for the response descriptions. */
const MEANING: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'the input is malformed or breaks a rule; `errors` names the fields',
  IMPLAUSIBLE_RESULT: 'the reported result is outside what the game allows',
  IDEMPOTENCY_KEY_REUSED: 'this X-Idempotency-Key was used with a different request',
  UNAUTHENTICATED: 'missing, bad, expired or revoked credentials',
  INSUFFICIENT_FUNDS: 'the balance does not cover the price',
  FORBIDDEN: 'wrong role or owner',
  PROGRESS_SERVER_ONLY: 'only the server counts progress of this event',
  NOT_FOUND: 'no such resource (or not yours)',
  SITE_ID_TAKEN: 'the handle is taken',
  EVENT_NOT_ACTIVE: 'outside the event window',
  EVENT_EXPIRED: 'the event has ended',
  NOT_CLAIMABLE: 'the target is not reached',
  ALREADY_CLAIMED: 'claimed before',
  VERSION_CONFLICT: 'a concurrent change won, or expected_version is stale; reload and retry',
  SESSION_NOT_ACTIVE: 'the session is not active',
  SESSION_ALREADY_ACTIVE: 'a session of this game type is already active',
  SOLD_OUT: 'not enough stock left',
  PURCHASE_LIMIT_REACHED: 'the per-player limit is reached',
  IDEMPOTENCY_IN_PROGRESS: 'a request with this X-Idempotency-Key is still running; retry',
  NOT_ENOUGH_ITEMS: 'none of this item left',
  NOT_CONSUMABLE: 'the item is cosmetic or not defined',
  RATE_LIMITED: 'too many requests; see Retry-After',
  INTERNAL: 'an unexpected error',
  UNAVAILABLE: 'a dependency is down or the server is shutting down; retry later',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

const RETRY_AFTER_HEADER = {
  'retry-after': { type: 'integer', minimum: 0, description: 'Seconds to wait before trying again' },
};

const routeKey = (method: string, url: string) => `${method} ${url}`;

interface RouteSchema {
  body?: unknown;
  querystring?: unknown;
  params?: unknown;
  headers?: unknown;
  security?: unknown[];
  response?: Record<string, unknown>;
}

const hooksOf = (hook: RouteOptions['onRequest']): unknown[] => (hook === undefined ? [] : Array.isArray(hook) ? hook : [hook]);

/**
 * Every refusal a route can answer with, by status: its own (ROUTE_REFUSALS) and those of its
 * kind — VALIDATION_FAILED for input (413/415 for a body too large or not JSON), UNAUTHENTICATED
 * behind a bearer token, FORBIDDEN behind `requireAdmin`, the idempotency-key codes on
 * authenticated POSTs (plugins/idempotency.ts), and UNAVAILABLE everywhere (a database that
 * does not answer, a server shutting down).
 */
function refusalsOf(method: string, url: string, schema: RouteSchema, isOperatorRoute: boolean): Map<number, Set<ErrorCode>> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  const add = (code: ErrorCode, status: number = errorStatus[code]) => {
    if (!byStatus.has(status)) byStatus.set(status, new Set());
    byStatus.get(status)!.add(code);
  };
  const authenticated = (schema.security?.length ?? 0) > 0;
  if (schema.body || schema.querystring || schema.params || schema.headers) add('VALIDATION_FAILED');
  if (schema.body) {
    add('VALIDATION_FAILED', 413);
    add('VALIDATION_FAILED', 415);
  }
  if (authenticated) add('UNAUTHENTICATED');
  if (isOperatorRoute) add('FORBIDDEN');
  if (authenticated && method === 'POST') {
    add('IDEMPOTENCY_KEY_REUSED');
    add('IDEMPOTENCY_IN_PROGRESS');
  }
  for (const refusal of ROUTE_REFUSALS[routeKey(method, url)] ?? []) {
    if (typeof refusal === 'string') add(refusal);
    else add(refusal[0], refusal[1]);
  }
  add('UNAVAILABLE');
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

/** One status's problem answer: the shared Problem schema with `code` narrowed to what this route sends. */
function problemResponse(status: number, codes: Set<ErrorCode>) {
  const list = [...codes];
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}: ${list.map((code) => `\`${code}\` (${MEANING[code]})`).join('; ')}`,
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER_HEADER } : {}),
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, { type: 'object', properties: { code: { type: 'string', enum: list } } }] },
      },
    },
  };
}

/**
 * A route's own success schema beside the problem one under one status (/readyz answers 503
 * with its checks; a server shutting down answers 503 with a problem).
 */
function withProblem(existing: unknown, problem: ReturnType<typeof problemResponse>) {
  if (!existing || typeof existing !== 'object') return problem;
  const { description, ...schema } = existing as { description?: string };
  return {
    description: `application/json: ${description ?? "the route's own answer"}. application/problem+json: ${problem.description}`,
    ...(problem.headers ? { headers: problem.headers } : {}),
    content: { 'application/json': { schema }, ...problem.content },
  };
}

/** The zod transform, then every route's problem answers added (doc only: routes keep their schemas). */
function transformWithProblems(app: FastifyInstance): SwaggerTransform {
  return (input) => {
    const transformed = jsonSchemaTransform(input);
    const schema = transformed.schema as RouteSchema & { hide?: boolean };
    if (schema.hide) return transformed;
    const { route } = input;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // A route of one method each in this app; HEAD routes are not in the document.
    const method = methods[0]!;
    const isOperatorRoute = app.hasDecorator('requireAdmin') && hooksOf(route.onRequest).includes(app.requireAdmin);
    const response: Record<string, unknown> = { ...(schema.response ?? UNDECLARED_SUCCESS[routeKey(method, route.url)] ?? {}) };
    for (const [status, codes] of refusalsOf(method, route.url, schema, isOperatorRoute)) {
      response[status] = withProblem(response[status], problemResponse(status, codes));
    }
    return { ...transformed, schema: { ...transformed.schema, response } };
  };
}

// The registered zod schemas as components, in the dialect the document declares (3.0: nullable,
// boolean exclusiveMinimum, enum for const), as the routes' own schemas already are; the
// default (JSON Schema 2020-12) is not valid in an OpenAPI 3.0 document.
const componentsFromZod = createJsonSchemaTransformObject({ zodToJsonConfig: { target: 'openapi-3.0' } });

/** The components from zod, with the Problem schema explained. */
const transformObject: SwaggerTransformObject = (input) => {
  const doc = componentsFromZod(input) as { components?: { schemas?: Record<string, Record<string, unknown>> } };
  const problem = doc.components?.schemas?.Problem as { properties?: Record<string, Record<string, unknown>> } & Record<string, unknown> | undefined;
  if (problem?.properties) {
    problem.description = 'RFC 9457 problem details: every error body, as `application/problem+json`.';
    const describe = (field: string, description: string) => {
      if (problem.properties![field]) problem.properties![field] = { ...problem.properties![field], description };
    };
    describe('type', 'A URI naming the code, e.g. https://playloop.dev/problems/sold-out');
    describe('title', 'A short human summary of the code');
    describe('status', 'The HTTP status, repeated');
    describe('detail', 'What went wrong with this request, for a human');
    describe('code', 'Stable and machine-readable (SPEC §3)');
    describe('errors', 'VALIDATION_FAILED only: the offending fields (`body.x`, `querystring.x`, `params.x`, `headers.x` or `url`), at most 20');
  }
  return doc as ReturnType<SwaggerTransformObject>;
};

/** OpenAPI 3 generated from the zod contracts: UI at /docs, document at /docs/json. */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'Playloop API', version: '0.1.0', description: 'Engagement and rewards engine' },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
      transform: transformWithProblems(app),
      transformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
