import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { HealthResponseSchema, ReadyResponseSchema } from '@playloop/contracts';
import type { Database } from '../../db/database.ts';
import { migrationsApplied } from '../../db/migrate.ts';

export const healthRoutes: FastifyPluginAsyncZod<{ database: Database }> = async (app, { database }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: HealthResponseSchema } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], response: { 200: ReadyResponseSchema, 503: ReadyResponseSchema } } },
    async (_request, reply) => {
      const database_ok = await sql`SELECT 1`.execute(database.db).then(
        () => true,
        () => false,
      );
      const migrations = database_ok && (await migrationsApplied(database));
      const ready = database_ok && migrations;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not_ready', checks: { database: database_ok, migrations } });
    },
  );
};
