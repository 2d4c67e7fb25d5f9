import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AdminPlayerSchema,
  AuthHeadersSchema,
  IdempotencyHeadersSchema,
  IdParamsSchema,
  NoBodySchema,
  NoQuerySchema,
  PlayerSearchQuerySchema,
  PlayerSearchResponseSchema,
  PlayerSummarySchema,
  RewardHistoryQuerySchema,
  RewardHistoryResponseSchema,
  SuspendPlayerBodySchema,
} from '@playloop/contracts';
import { caller } from '../../plugins/auth.ts';
import type { ProfileDeps } from '../profile/service.ts';
import { getPlayerForOperator, listPlayerGrants, reinstatePlayer, searchPlayers, suspendPlayer } from './service.ts';

const tags = ['players', 'admin'];
const security = [{ bearerAuth: [] }];

/**
 * Operators' view of players: find one by handle, nickname or id, read their profile and every
 * reward they were granted, suspend and reinstate them.
 */
export const playersAdminRoutes: FastifyPluginAsyncZod<ProfileDeps> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: PlayerSearchQuerySchema, response: { 200: PlayerSearchResponseSchema } },
      onRequest: app.requireAdmin,
    },
    async (request) => searchPlayers(deps.db, request.query),
  );

  app.get(
    '/:id',
    {
      schema: { tags, security, headers: AuthHeadersSchema, params: IdParamsSchema, querystring: NoQuerySchema, response: { 200: AdminPlayerSchema } },
      onRequest: app.requireAdmin,
    },
    async (request) => getPlayerForOperator(deps, request.params.id),
  );

  app.get(
    '/:id/grants',
    {
      schema: { tags, security, headers: AuthHeadersSchema, params: IdParamsSchema, querystring: RewardHistoryQuerySchema, response: { 200: RewardHistoryResponseSchema } },
      onRequest: app.requireAdmin,
    },
    async (request) => listPlayerGrants(deps.db, request.params.id, request.query),
  );

  app.post(
    '/:id/suspend',
    {
      schema: { tags, security, headers: IdempotencyHeadersSchema, params: IdParamsSchema, body: SuspendPlayerBodySchema, response: { 200: PlayerSummarySchema } },
      onRequest: app.requireAdmin,
    },
    async (request) => suspendPlayer(deps, caller(request).userId, request.params.id, request.body),
  );

  app.post(
    '/:id/reinstate',
    {
      schema: { tags, security, headers: IdempotencyHeadersSchema, params: IdParamsSchema, body: NoBodySchema, response: { 200: PlayerSummarySchema } },
      onRequest: app.requireAdmin,
    },
    async (request) => reinstatePlayer(deps.db, request.params.id),
  );
};
