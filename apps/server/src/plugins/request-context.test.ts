import type { IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from '../../test/build-app.ts';
import { childLoggerWithTrace, traceIdFrom } from './request-context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('traceIdFrom', () => {
  it.each([
    ['a valid traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '4bf92f35-77b3-4da6-a3ce-929d0e0e4736'],
    ['upper case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01', '4bf92f35-77b3-4da6-a3ce-929d0e0e4736'],
    ['surrounding spaces', '  00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00  ', '0af76519-16cd-43dd-8448-eb211c80319c'],
    ['the first of repeated headers', ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'junk'], '0af76519-16cd-43dd-8448-eb211c80319c'],
  ])('takes the trace id from %s', (_name, header, expected) => {
    expect(traceIdFrom(header)).toBe(expected);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01'],
    ['a non-hex trace id', '00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01'],
    ['a missing parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-01'],
    ['trailing fields', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'],
    ['plain garbage', 'not a traceparent'],
    ['an empty list', []],
  ])('starts a new random trace for %s', (_name, header) => {
    const first = traceIdFrom(header);
    expect(first).toMatch(UUID);
    expect(traceIdFrom(header)).not.toBe(first);
  });
});

describe('request ids through the app', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await buildTestApp();
  });
  afterAll(() => ctx?.close());

  it('gives every response an x-request-id, a different one per request', async () => {
    const a = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    const b = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('echoes a safe x-request-id from the caller', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'edge-42.retry_1' } });
    expect(res.headers['x-request-id']).toBe('edge-42.retry_1');
  });

  it('replaces an empty x-request-id', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': '' } });
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it.each([
    ['too long', 'x'.repeat(65)],
    ['with spaces', 'two words'],
    ['with markup', '<script>'],
  ])('replaces an x-request-id that is %s', async (_name, given) => {
    const res = await ctx.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': given } });
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('carries the request id on error responses too', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/no/such/route', headers: { 'x-request-id': 'lost-1' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toBe('lost-1');
    const unauth = await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { 'x-request-id': 'anon-1' } });
    expect(unauth.statusCode).toBe(401);
    expect(unauth.headers['x-request-id']).toBe('anon-1');
  });
});

describe('the per-request logger', () => {
  const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const rawReq = () => ({ headers: { traceparent: TRACEPARENT } }) as unknown as IncomingMessage;

  /** A pino logger at `level` whose lines land in the returned array, parsed. */
  function capture(level: string) {
    const lines: Record<string, unknown>[] = [];
    const { log: logger } = Fastify({ logger: { level, base: null, timestamp: false, stream: { write: (line: string) => lines.push(JSON.parse(line)) } } });
    return { logger, lines };
  }

  it.each(['warn', 'info'])('at %s writes the lines the eager child would, with the request id and trace bound', (level) => {
    const { logger, lines } = capture(level);
    const child = childLoggerWithTrace.call(null as never, logger, { reqId: 'r-1' }, {}, rawReq());
    child.info({ step: 'a' }, 'info line');
    child.warn({ step: 'b' }, 'warn line');
    child.child({ sub: 1 }).error('error line');
    const expected = [
      { level: 40, reqId: 'r-1', traceId: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', step: 'b', msg: 'warn line' },
      { level: 50, reqId: 'r-1', traceId: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', sub: 1, msg: 'error line' },
    ];
    if (level === 'info') expected.unshift({ level: 30, reqId: 'r-1', traceId: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736', step: 'a', msg: 'info line' });
    expect(lines).toEqual(expected);
  });

  it('at warn makes no pino child for a request that logs nothing', () => {
    const { logger } = capture('warn');
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => {
      children += 1;
      return child(...args);
    }) as typeof logger.child;
    const requestLogger = childLoggerWithTrace.call(null as never, logger, { reqId: 'r-2' }, {}, rawReq());
    requestLogger.info('dropped');
    requestLogger.debug('dropped');
    expect(children).toBe(0);
    requestLogger.warn('kept');
    requestLogger.error('kept');
    expect(children).toBe(1);
  });
});
