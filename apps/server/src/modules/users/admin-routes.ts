import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  IdParamsSchema,
  NoQuerySchema,
  PlayerSearchQuerySchema,
  PlayerSearchResponseSchema,
  ProfileResponseSchema,
} from '@playloop/contracts';
import type { ProfileDeps } from '../profile/service.ts';
import { getPlayerForOperator, searchPlayers } from './service.ts';

const tags = ['players', 'admin'];
const security = [{ bearerAuth: [] }];

/** Operators' view of players: find one by handle, nickname or id, and read their profile. */
export const playersAdminRoutes: FastifyPluginAsyncZod<ProfileDeps> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: PlayerSearchQuerySchema, response: { 200: PlayerSearchResponseSchema } },
      preHandler: app.requireAdmin,
    },
    async (request) => ({ items: await searchPlayers(deps.db, request.query) }),
  );

  app.get(
    '/:id',
    {
      schema: { tags, security, headers: AuthHeadersSchema, params: IdParamsSchema, querystring: NoQuerySchema, response: { 200: ProfileResponseSchema } },
      preHandler: app.requireAdmin,
    },
    async (request) => getPlayerForOperator(deps, request.params.id),
  );
};
