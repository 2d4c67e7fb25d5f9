import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  CatalogResponseSchema,
  IdempotencyHeadersSchema,
  NoQuerySchema,
  PurchaseBodySchema,
  PurchaseResponseSchema,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { purchaseSku, type PurchaseDeps } from '../../flows/purchase-sku.ts';
import type { Clock } from '../../lib/clock.ts';
import { caller } from '../../plugins/auth.ts';
import { listCatalog } from './service.ts';

const tags = ['shop'];
const security = [{ bearerAuth: [] }];

/** The player's shop: the catalog on sale now and purchases. */
export const shopRoutes: FastifyPluginAsyncZod<PurchaseDeps> = async (app, { db, clock, resetTimezone }) => {
  app.get(
    '/catalog',
    {
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: CatalogResponseSchema } },
      onRequest: app.authenticate,
    },
    async (request) => listCatalog({ db, clock }, caller(request).userId),
  );

  app.post(
    '/purchase',
    {
      schema: {
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        body: PurchaseBodySchema,
        response: { 201: PurchaseResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const outcome = await purchaseSku(
        { db, clock, resetTimezone },
        {
          userId: caller(request).userId,
          skuId: request.body.sku_id,
          quantity: request.body.quantity,
          traceId: request.traceId,
          idempotencyKey: request.idempotencyKey ?? undefined,
        },
      );
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(outcome.response);
    },
  );
};
