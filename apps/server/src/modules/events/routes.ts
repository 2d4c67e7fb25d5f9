import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  EventClaimResponseSchema,
  EventListQuerySchema,
  EventListResponseSchema,
  EventProgressBodySchema,
  IdempotencyHeadersSchema,
  IdParamsSchema,
  NoBodySchema,
  ParticipationSchema,
} from '@playloop/contracts';
import { caller } from '../../plugins/auth.ts';
import { registerPendingSource } from '../rewards/pending.ts';
import { claimEvent, listEvents, participate, pendingEventRewards, reportProgress, type EventsDeps } from './service.ts';

const tags = ['events'];
const security = [{ bearerAuth: [] }];

// Claimable participations are pending rewards (GET /api/rewards/pending); registered once per process.
registerPendingSource(pendingEventRewards);

/** The player's live events: the list with their participation, joining, client progress, claims. */
export const eventsRoutes: FastifyPluginAsyncZod<EventsDeps> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: {
        tags,
        security,
        headers: AuthHeadersSchema,
        querystring: EventListQuerySchema,
        response: { 200: EventListResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request) => ({ items: await listEvents(deps, caller(request).userId, { active: request.query.active }) }),
  );

  app.post(
    '/:id/participate',
    {
      schema: {
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        params: IdParamsSchema,
        body: NoBodySchema,
        response: { 200: ParticipationSchema, 201: ParticipationSchema },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const { created, participation } = await participate(deps, caller(request).userId, request.params.id, request.traceId);
      return reply.code(created ? 201 : 200).send(participation);
    },
  );

  app.post(
    '/:id/progress',
    {
      schema: {
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        params: IdParamsSchema,
        body: EventProgressBodySchema,
        response: { 200: ParticipationSchema },
      },
      onRequest: app.authenticate,
    },
    async (request) => reportProgress(deps, caller(request).userId, request.params.id, request.body, request.traceId),
  );

  app.post(
    '/:id/claim',
    {
      schema: {
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        params: IdParamsSchema,
        body: NoBodySchema,
        response: { 200: EventClaimResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const outcome = await claimEvent(deps, caller(request).userId, request.params.id, { traceId: request.traceId, idempotencyKey: request.idempotencyKey });
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return outcome.response;
    },
  );
};
