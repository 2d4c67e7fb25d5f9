import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AdminMissionListResponseSchema,
  AdminMissionSchema,
  AuthHeadersSchema,
  CreateMissionBodySchema,
  IdempotencyHeadersSchema,
  IdParamsSchema,
  NoQuerySchema,
  UpdateMissionBodySchema,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { changeMission, createMission, listMissionsForOperator } from './service.ts';

const tags = ['missions', 'admin'];
const security = [{ bearerAuth: [] }];

/** Operators' missions: every mission, active or not, new missions and changes to them. */
export const missionsAdminRoutes: FastifyPluginAsyncZod<{ db: Db; clock: Clock }> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: AdminMissionListResponseSchema } },
      onRequest: app.requireAdmin,
    },
    async () => ({ items: await listMissionsForOperator(deps.db) }),
  );

  app.post(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: IdempotencyHeadersSchema, body: CreateMissionBodySchema, response: { 201: AdminMissionSchema } },
      onRequest: app.requireAdmin,
    },
    async (request, reply) => reply.code(201).send(await createMission(deps, request.body)),
  );

  app.patch(
    '/:id',
    {
      schema: {
        tags,
        security,
        headers: AuthHeadersSchema,
        params: IdParamsSchema,
        body: UpdateMissionBodySchema,
        response: { 200: AdminMissionSchema },
      },
      onRequest: app.requireAdmin,
    },
    async (request) => changeMission(deps, request.params.id, request.body),
  );
};
