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

/**
 * The credentials of an `Authorization: Bearer <credentials>` header; undefined for no header or
 * another scheme. The scheme is matched in any case, as auth schemes are case-insensitive, and may
 * be followed by more than one space (RFC 9110 §11.1, §11.4). Every route that takes a bearer
 * token reads it here, so none is stricter about the scheme than the others.
 */
export function bearerCredentials(header: string | undefined): string | undefined {
  return header ? /^Bearer +(\S+)$/i.exec(header.trim())?.[1] : undefined;
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
      const token = bearerCredentials(request.headers.authorization);
      // A JWT: base64url parts joined by dots.
      if (!token || !/^[A-Za-z0-9_\-.]{1,4096}$/.test(token)) throw unauthenticated('missing or malformed bearer token');
      request.auth = await authService.authenticate(token);
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
