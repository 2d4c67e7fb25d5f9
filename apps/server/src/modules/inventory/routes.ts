import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  IdempotencyHeadersSchema,
  InventoryResponseSchema,
  ItemCatalogResponseSchema,
  ItemParamsSchema,
  NoQuerySchema,
  UseItemBodySchema,
  UseItemResponseSchema,
} from '@playloop/contracts';
import { caller } from '../../plugins/auth.ts';
import { getInventory, listItemCatalog, useItem, type InventoryDeps } from './service.ts';

const tags = ['inventory'];
const security = [{ bearerAuth: [] }];

export const inventoryRoutes: FastifyPluginAsyncZod<InventoryDeps> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: InventoryResponseSchema } },
      onRequest: app.authenticate,
    },
    async (request) => getInventory(deps.db, caller(request).userId),
  );

  app.post(
    '/:item_id/use',
    {
      schema: {
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        params: ItemParamsSchema,
        body: UseItemBodySchema,
        response: { 200: UseItemResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const outcome = await useItem(deps, {
        userId: caller(request).userId,
        itemId: request.params.item_id,
        idempotencyKey: request.headers['x-idempotency-key'],
        traceId: request.traceId,
      });
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return outcome.response;
    },
  );
};

/** The item catalog players name bundles with (GET /api/items). */
export const itemCatalogRoutes: FastifyPluginAsyncZod<Pick<InventoryDeps, 'db'>> = async (app, deps) => {
  app.get(
    '/',
    {
      prefixTrailingSlash: 'no-slash',
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: ItemCatalogResponseSchema } },
      onRequest: app.authenticate,
    },
    async () => listItemCatalog(deps.db),
  );
};
