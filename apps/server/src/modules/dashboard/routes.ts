import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DashboardHeadersSchema, DashboardQuerySchema, DashboardResponseSchema } from '@playloop/contracts';
import { caller } from '../../plugins/auth.ts';
import { createDashboardBodies, getDashboard, type DashboardDeps } from './service.ts';

const tags = ['dashboard'];
const security = [{ bearerAuth: [] }];

// A 304 has no body at all: send() with no payload writes the headers only (send(null) would
// serialize "null"), which the typed reply of a route with a 304 schema does not allow.
const sendNotModified = (reply: FastifyReply) => reply.code(304).send();
const sendJson = (reply: FastifyReply, body: Buffer) => reply.type('application/json; charset=utf-8').send(body);

/** The main screen in one round trip, revalidated with ETag / If-None-Match. */
export const dashboardRoutes: FastifyPluginAsyncZod<DashboardDeps> = async (app, options) => {
  const deps: DashboardDeps = { ...options, bodies: options.bodies ?? createDashboardBodies() };
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: {
        tags,
        security,
        headers: DashboardHeadersSchema,
        querystring: DashboardQuerySchema,
        response: {
          200: DashboardResponseSchema,
          304: z.null().describe('Not modified: the copy the If-None-Match names is current; no body'),
        },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const { userId, versions } = caller(request);
      const answer = await getDashboard(deps, userId, request.headers['if-none-match'], versions);
      // no-cache: a cache may keep the copy but must revalidate it every time (it is cheap to).
      // Vary: a browser keeps one copy per Authorization, so one login never revalidates another's.
      reply.header('etag', answer.etag).header('cache-control', 'private, no-cache').header('vary', 'Authorization');
      if (answer.notModified) return sendNotModified(reply as unknown as FastifyReply);
      // Already checked against the contract and serialized (see DashboardBodies): a Buffer with a
      // JSON content type is sent as it is.
      return sendJson(reply as unknown as FastifyReply, answer.body);
    },
  );
};
