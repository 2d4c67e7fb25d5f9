import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthenticated } from '../lib/domain-error.ts';
import type { AuthService, AuthenticatedCaller } from '../modules/auth/service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthenticatedCaller | null;
  }
  interface FastifyInstance {
    /**
     * A route's onRequest hook: a valid bearer token of a live session, else 401. It runs before
     * the request is parsed and validated, so a caller without the right to a route learns
     * nothing about its input (401/403, never a 400 with field details).
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** A route's onRequest hook: an authenticated admin, else 401 or 403. */
    requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

/** The caller's verified claims; only call behind the `authenticate` hook. */
export function caller(request: FastifyRequest): AuthenticatedCaller {
  if (!request.auth) throw unauthenticated();
  return request.auth;
}

export default fp<{ authService: AuthService }>(
  async (app, { authService }) => {
    app.decorateRequest('auth', null);

    const authenticate = async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const match = header ? /^Bearer ([A-Za-z0-9_\-.]{1,4096})$/i.exec(header.trim()) : null;
      if (!match?.[1]) throw unauthenticated('missing or malformed bearer token');
      request.auth = await authService.authenticate(match[1]);
    };

    app.decorate('authenticate', authenticate);
    app.decorate('requireAdmin', async (request: FastifyRequest, reply: FastifyReply) => {
      await authenticate(request);
      if (request.auth?.role !== 'admin') throw forbidden('operator role required');
      void reply;
    });
  },
  { name: 'auth' },
);
