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

type Logger = Parameters<ChildLoggerFactory>[0];
type LogFn = Logger['info'];
type Bindings = Parameters<Logger['child']>[0];
type ChildOptions = Parameters<Logger['child']>[1];

// Pino's levels below `warn`: when the logger is at warn or above these are no-ops, and the
// request logs ("incoming request", "request completed") are info lines.
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * A request's logger while its logger is at warn or above: the real child (bindings serialized,
 * a pino object made) is made only when a line is written, which most requests never do. Making
 * it eagerly was a few per cent of a 304's CPU. Lines are the ones the child would write.
 */
class LazyChildLogger {
  #child: Logger | undefined;
  readonly level: string;
  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {
    this.level = parent.level;
  }
  #real(): Logger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }
  fatal(...args: Parameters<LogFn>): void {
    this.#real().fatal(...args);
  }
  error(...args: Parameters<LogFn>): void {
    this.#real().error(...args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.#real().warn(...args);
  }
  info(): void {}
  debug(): void {}
  trace(): void {}
  silent(): void {}
  child(bindings: Bindings, options?: ChildOptions): Logger {
    return this.#real().child(bindings, options);
  }
}

/**
 * Fastify's per-request child logger, with the trace id bound in the same child: a second
 * `child()` per request would serialize the bindings twice, a cost every request pays even when
 * nothing is logged. At warn or above (no request logs) the child is made on first use.
 */
export const childLoggerWithTrace: ChildLoggerFactory = function (logger, bindings, opts, rawReq) {
  const traceId = traceIdFrom(rawReq.headers.traceparent);
  (rawReq as RawWithTrace)[TRACE_ID] = traceId;
  if (opts.level === undefined && QUIET_LEVELS.has(logger.level)) return new LazyChildLogger(logger, { ...bindings, traceId }, opts);
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
