import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AdminSkuListResponseSchema,
  AdminSkuSchema,
  AuthHeadersSchema,
  CreateSkuBodySchema,
  IdempotencyHeadersSchema,
  NoQuerySchema,
  SkuParamsSchema,
  UpdateSkuBodySchema,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { changeSku, createSku, listSkusForOperator } from './service.ts';

const tags = ['shop', 'admin'];
const security = [{ bearerAuth: [] }];

/** Operators' shop: every SKU with stock and sales, new SKUs and changes to them. */
export const shopAdminRoutes: FastifyPluginAsyncZod<{ db: Db; clock: Clock }> = async (app, { db, clock }) => {
  app.get(
    '/skus',
    {
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: AdminSkuListResponseSchema } },
      onRequest: app.requireAdmin,
    },
    async () => ({ items: await listSkusForOperator(db) }),
  );

  app.post(
    '/skus',
    {
      schema: { tags, security, headers: IdempotencyHeadersSchema, body: CreateSkuBodySchema, response: { 201: AdminSkuSchema } },
      onRequest: app.requireAdmin,
    },
    async (request, reply) => reply.code(201).send(await createSku({ db, clock }, request.body)),
  );

  app.patch(
    '/skus/:sku_id',
    {
      schema: {
        tags,
        security,
        headers: AuthHeadersSchema,
        params: SkuParamsSchema,
        body: UpdateSkuBodySchema,
        response: { 200: AdminSkuSchema },
      },
      onRequest: app.requireAdmin,
    },
    async (request) => changeSku({ db, clock }, request.params.sku_id, request.body),
  );
};
