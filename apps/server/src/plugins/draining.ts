import fp from 'fastify-plugin';
import { DomainError } from '../lib/domain-error.ts';

/** How long a client should wait before retrying elsewhere; another node (or this one restarted) answers. */
const RETRY_AFTER_S = '1';

/**
 * Graceful shutdown, answered as every other error: once `app.close()` begins, requests already
 * running finish, and a request that still arrives on an open keep-alive connection is refused
 * with 503 UNAVAILABLE problem+json, `Connection: close` and `Retry-After`, before any of its work
 * runs. Fastify's own answer at that point is a plain JSON 503 outside the API's error contract,
 * so the app turns it off (`return503OnClosing: false`) and this plugin answers instead.
 */
export default fp(
  async (app) => {
    let draining = false;
    app.addHook('preClose', (done) => {
      draining = true;
      done();
    });
    app.addHook('onRequest', (_request, reply, done) => {
      if (!draining) return done();
      reply.header('connection', 'close').header('retry-after', RETRY_AFTER_S);
      done(new DomainError('UNAVAILABLE', 'this server is shutting down; retry'));
    });
  },
  { name: 'draining' },
);
