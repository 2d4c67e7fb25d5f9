import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AuthHeadersSchema,
  DistributeBodySchema,
  DistributeResponseSchema,
  NoQuerySchema,
  PendingRewardsResponseSchema,
  RewardHistoryQuerySchema,
  RewardHistoryResponseSchema,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { caller } from '../../plugins/auth.ts';
import { distributeReward } from './distribute.ts';
import { listPendingRewards } from './pending.ts';
import { rewardHistory } from './history.ts';

const tags = ['rewards'];
const security = [{ bearerAuth: [] }];

const DistributeHeadersSchema = AuthHeadersSchema.extend({
  'x-idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
});

export const rewardsRoutes: FastifyPluginAsyncZod<{ db: Db; clock: Clock }> = async (app, { db, clock }) => {
  app.get(
    '/pending',
    {
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: PendingRewardsResponseSchema } },
      onRequest: app.authenticate,
    },
    async (request) => {
      const items = await listPendingRewards(db, caller(request).userId, clock.now());
      return { count: items.length, items };
    },
  );

  app.get(
    '/history',
    {
      schema: {
        tags,
        security,
        headers: AuthHeadersSchema,
        querystring: RewardHistoryQuerySchema,
        response: { 200: RewardHistoryResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request) => rewardHistory(db, caller(request).userId, request.query),
  );

  app.post(
    '/distribute',
    {
      schema: {
        tags: [...tags, 'admin'],
        security,
        headers: DistributeHeadersSchema,
        body: DistributeBodySchema,
        response: { 201: DistributeResponseSchema },
      },
      onRequest: app.requireAdmin,
    },
    async (request, reply) => {
      const result = await distributeReward(
        { db, clock },
        { operatorId: caller(request).userId, idempotencyKey: request.headers['x-idempotency-key'], body: request.body, traceId: request.traceId },
      );
      return reply.code(201).send(result);
    },
  );
};
