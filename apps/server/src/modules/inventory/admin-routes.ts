import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  CreateItemBodySchema,
  IdempotencyHeadersSchema,
  ItemListResponseSchema,
  ItemParamsSchema,
  ItemSchema,
  NoQuerySchema,
  UpdateItemBodySchema,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { changeItem, defineItem, listItemDefinitions } from './service.ts';

const tags = ['inventory', 'admin'];
const security = [{ bearerAuth: [] }];

/** Operator item definitions: GET/POST /api/admin/items, PATCH /api/admin/items/{item_id}. */
export const adminItemRoutes: FastifyPluginAsyncZod<{ db: Db; clock: Clock }> = async (app, { db, clock }) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: ItemListResponseSchema } },
      onRequest: app.requireAdmin,
    },
    async () => listItemDefinitions(db),
  );

  app.post(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: IdempotencyHeadersSchema, body: CreateItemBodySchema, response: { 201: ItemSchema } },
      onRequest: app.requireAdmin,
    },
    async (request, reply) => reply.code(201).send(await defineItem({ db, clock }, request.body)),
  );

  app.patch(
    '/:item_id',
    {
      schema: {
        tags,
        security,
        headers: AuthHeadersSchema,
        params: ItemParamsSchema,
        body: UpdateItemBodySchema,
        response: { 200: ItemSchema },
      },
      onRequest: app.requireAdmin,
    },
    async (request) => changeItem({ db }, request.params.item_id, request.body),
  );
};
