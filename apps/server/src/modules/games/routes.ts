import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  EndSessionBodySchema,
  EndSessionResponseSchema,
  GameSessionListSchema,
  GameTypesResponseSchema,
  IdempotencyHeadersSchema,
  IdParamsSchema,
  LimitQuerySchema,
  NoQuerySchema,
  StartSessionBodySchema,
  StartSessionResponseSchema,
} from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import { endGameSession } from '../../flows/end-game-session.ts';
import type { Clock } from '../../lib/clock.ts';
import { requestFingerprint } from '../../lib/idempotency-fingerprint.ts';
import { caller } from '../../plugins/auth.ts';
import { listActive, listGameTypes, listRecentSessions, startGameSession } from './service.ts';

const tags = ['games'];
const security = [{ bearerAuth: [] }];

/** Game types and the player's sessions: start, end, recent and active. */
export const gameRoutes: FastifyPluginAsyncZod<{ db: Db; clock: Clock; resetTimezone: string }> = async (
  app,
  { db, clock, resetTimezone },
) => {
  app.get('/types', { schema: { tags, querystring: NoQuerySchema, response: { 200: GameTypesResponseSchema } } }, async () => listGameTypes());

  app.post(
    '/sessions/start',
    {
      schema: {
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        body: StartSessionBodySchema,
        response: { 201: StartSessionResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const started = await startGameSession({ db, clock }, { userId: caller(request).userId, gameType: request.body.game_type, traceId: request.traceId });
      return reply.code(201).send(started);
    },
  );

  app.post(
    '/sessions/:id/end',
    {
      schema: {
        tags,
        security,
        headers: IdempotencyHeadersSchema,
        params: IdParamsSchema,
        body: EndSessionBodySchema,
        response: { 200: EndSessionResponseSchema },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const key = request.idempotencyKey;
      const outcome = await endGameSession(
        { db, clock, resetTimezone },
        {
          userId: caller(request).userId,
          sessionId: request.params.id,
          score: request.body.score,
          durationS: request.body.duration,
          meta: request.body.meta,
          traceId: request.traceId,
          endKey: key === null ? undefined : { key, fingerprint: requestFingerprint(request) },
        },
      );
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return outcome.response;
    },
  );

  app.get(
    '/sessions/recent',
    {
      schema: { tags, security, headers: AuthHeadersSchema, querystring: LimitQuerySchema(50, 10), response: { 200: GameSessionListSchema } },
      onRequest: app.authenticate,
    },
    async (request) => ({ items: await listRecentSessions(db, caller(request).userId, request.query.limit) }),
  );

  app.get(
    '/sessions/active',
    {
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: GameSessionListSchema } },
      onRequest: app.authenticate,
    },
    async (request) => ({ items: await listActive({ db, clock }, caller(request).userId) }),
  );
};
