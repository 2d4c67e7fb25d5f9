import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { unauthenticated } from '../lib/domain-error.ts';
import { bearerCredentials } from './auth.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus registry; modules add their own series to it. */
    metrics: Registry;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `/metrics` in Prometheus text format: requests and latency per route and status, process figures.
 * With `token` (METRICS_TOKEN) a scrape must send it as a bearer token; without, it is open (for a
 * server whose /metrics is reachable only from inside).
 */
export default fp<{ token?: string | undefined }>(
  async (app, { token }) => {
    // Compared as digests: equal lengths for timingSafeEqual, whatever the caller sent.
    const wanted = token ? digest(token) : undefined;
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'playloop_' });
    const labelNames = ['method', 'route', 'status'] as const;
    const requests = new Counter({
      name: 'playloop_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames,
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'playloop_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    app.decorate('metrics', registry);

    // A callback hook, not an async one: every response passes here, and a promise per response
    // for synchronous work was as costly as the counting itself.
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, not the URL, so ids do not explode the label set.
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      requests.inc(labels);
      latency.observe(labels, reply.elapsedTime / 1000);
      done();
    });

    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (wanted && !timingSafeEqual(digest(bearerCredentials(request.headers.authorization) ?? ''), wanted)) {
        throw unauthenticated('METRICS_TOKEN required');
      }
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics' },
);
