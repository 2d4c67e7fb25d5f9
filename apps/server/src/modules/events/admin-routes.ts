import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AdminEventListResponseSchema,
  AdminEventSchema,
  AuthHeadersSchema,
  CreateEventBodySchema,
  IdempotencyHeadersSchema,
  IdParamsSchema,
  NoQuerySchema,
  UpdateEventBodySchema,
} from '@playloop/contracts';
import { changeEvent, createEvent, listEventsForOperator, type EventsDeps } from './service.ts';

const tags = ['events', 'admin'];
const security = [{ bearerAuth: [] }];

/** Operators' events: every event with its counts, new events and changes to them. */
export const eventsAdminRoutes: FastifyPluginAsyncZod<EventsDeps> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: AdminEventListResponseSchema } },
      onRequest: app.requireAdmin,
    },
    async () => ({ items: await listEventsForOperator(deps) }),
  );

  app.post(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: IdempotencyHeadersSchema, body: CreateEventBodySchema, response: { 201: AdminEventSchema } },
      onRequest: app.requireAdmin,
    },
    async (request, reply) => reply.code(201).send(await createEvent(deps, request.body)),
  );

  app.patch(
    '/:id',
    {
      schema: {
        tags,
        security,
        headers: AuthHeadersSchema,
        params: IdParamsSchema,
        body: UpdateEventBodySchema,
        response: { 200: AdminEventSchema },
      },
      onRequest: app.requireAdmin,
    },
    async (request) => changeEvent(deps, request.params.id, request.body),
  );
};
