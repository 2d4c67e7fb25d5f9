import fp from 'fastify-plugin';
import { DomainError } from '../lib/domain-error.ts';

/** How long a client should wait before retrying elsewhere; another node (or this one restarted) answers. */
const RETRY_AFTER_S = '1';

/**
 * Graceful shutdown for keep-alive clients. Once `app.close()` begins:
 * - a request still running finishes, and its answer says `Connection: close`. Node closes idle
 *   connections once, when the server stops listening; a connection busy then would stay open
 *   after its answer until the keep-alive timeout (72 s), and the close with it;
 * - a request that still arrives on an open connection is refused before any of its work runs,
 *   as every other error is answered: 503 UNAVAILABLE problem+json, `Connection: close` and
 *   `Retry-After`. Fastify's own answer at that point is a plain JSON 503 outside the API's error
 *   contract, so the app turns it off (`return503OnClosing: false`) and this plugin answers instead.
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
      reply.header('retry-after', RETRY_AFTER_S);
      done(new DomainError('UNAVAILABLE', 'this server is shutting down; retry'));
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (draining) reply.header('connection', 'close');
      done(null, payload);
    });
  },
  { name: 'draining' },
);
