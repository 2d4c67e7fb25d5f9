import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { HealthResponseSchema, ReadyResponseSchema } from '@playloop/contracts';
import type { Database } from '../../db/database.ts';
import { migrationsApplied } from '../../db/migrate.ts';
import type { RateLimitStore } from '../../lib/rate-limit.ts';

export const healthRoutes: FastifyPluginAsyncZod<{ database: Database; rateLimits?: RateLimitStore }> = async (app, { database, rateLimits }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: HealthResponseSchema } } }, async () => ({
    status: 'ok' as const,
  }));

  // Ready: the database answers and is migrated. Redis (with REDIS_URL) is reported, not required:
  // every node shares it, so while it is down no node does better, and taking them all out of the
  // load balancer would stop play, claims and purchases too; only logins need it (503 meanwhile).
  app.get(
    '/readyz',
    { schema: { tags: ['health'], response: { 200: ReadyResponseSchema, 503: ReadyResponseSchema } } },
    async (_request, reply) => {
      const [database_ok, redis] = await Promise.all([
        sql`SELECT 1`.execute(database.db).then(
          () => true,
          () => false,
        ),
        rateLimits?.ping?.(),
      ]);
      const migrations = database_ok && (await migrationsApplied(database));
      const checks = { database: database_ok, migrations, ...(redis === undefined ? {} : { redis }) };
      const ready = database_ok && migrations;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
};
