import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  IdempotencyHeadersSchema,
  IdParamsSchema,
  NoBodySchema,
  MissionClaimResponseSchema,
  MissionsResponseSchema,
  NoQuerySchema,
} from '@playloop/contracts';
import { caller } from '../../plugins/auth.ts';
import { registerPendingSource } from '../rewards/pending.ts';
import { claimMission, listMissions, pendingMissionRewards, type MissionsDeps } from './service.ts';

const tags = ['missions'];
const security = [{ bearerAuth: [] }];

// Claimable current periods are pending rewards (GET /api/rewards/pending); registered once per process.
registerPendingSource(pendingMissionRewards);

/**
 * The player's daily and weekly missions, under /api/events/missions. Static segments win over
 * /api/events/:id in the router, so `missions` is never taken for an event id.
 */
export const missionsRoutes: FastifyPluginAsyncZod<MissionsDeps> = async (app, deps) => {
  // Progress reported by flows that do not pass a zone (game sessions) uses the app's.

  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: MissionsResponseSchema } },
      onRequest: app.authenticate,
    },
    async (request) => listMissions(deps, caller(request).userId),
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
        response: { 200: MissionClaimResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const outcome = await claimMission(deps, caller(request).userId, request.params.id, { traceId: request.traceId, idempotencyKey: request.idempotencyKey });
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return outcome.response;
    },
  );
};
