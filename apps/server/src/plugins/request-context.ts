import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The W3C trace id of this request as a UUID; carried into logs and outbox envelopes. */
    traceId: string;
  }
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Takes the trace id from a valid `traceparent`, else starts a new trace. */
export function traceIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  const hex = match?.[1];
  if (!hex || /^0+$/.test(hex)) return randomUUID();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const TRACE_ID = Symbol('playloop.traceId');
type RawWithTrace = IncomingMessage & { [TRACE_ID]?: string };
type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

/**
 * Fastify's per-request child logger, with the trace id bound in the same child: a second
 * `child()` per request would serialize the bindings twice, a cost every request pays even when
 * nothing is logged.
 */
export const childLoggerWithTrace: ChildLoggerFactory = function (logger, bindings, opts, rawReq) {
  const traceId = traceIdFrom(rawReq.headers.traceparent);
  (rawReq as RawWithTrace)[TRACE_ID] = traceId;
  return logger.child({ ...bindings, traceId }, opts);
};

export default fp(
  async (app) => {
    app.decorateRequest('traceId', '');
    app.addHook('onRequest', (request, reply, done) => {
      request.traceId = (request.raw as RawWithTrace)[TRACE_ID] ?? traceIdFrom(request.headers.traceparent);
      reply.header('x-request-id', request.id);
      done();
    });
  },
  { name: 'request-context' },
);
