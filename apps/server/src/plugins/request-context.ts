import { randomUUID } from 'node:crypto';
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

export default fp(
  async (app) => {
    app.decorateRequest('traceId', '');
    app.addHook('onRequest', async (request, reply) => {
      request.traceId = traceIdFrom(request.headers.traceparent);
      request.log = request.log.child({ traceId: request.traceId });
      reply.header('x-request-id', request.id);
    });
  },
  { name: 'request-context' },
);
