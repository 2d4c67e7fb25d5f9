import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  AuthHeadersSchema,
  KpisQuerySchema,
  KpisResponseSchema,
  NoQuerySchema,
  PipelineResponseSchema,
} from '@playloop/contracts';
import { daysBetween } from '@playloop/analytics';
import type { Clock } from '../../lib/clock.ts';
import { DomainError } from '../../lib/domain-error.ts';
import type { Pipeline } from './pipeline.ts';
import type { OutboxRelay, OutboxStats, RelayStatus } from './relay.ts';

const tags = ['admin', 'analytics'];
const security = [{ bearerAuth: [] }];
const DAY_MS = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);

export interface PipelineRoutesOptions {
  clock: Clock;
  outboxStats: () => Promise<OutboxStats>;
  relay: OutboxRelay | undefined;
  pipeline: Pipeline | undefined;
}

/** The operator's view of the pipeline: backlog and sink, and the KPIs from the analytics store. */
export const pipelineRoutes: FastifyPluginAsyncZod<PipelineRoutesOptions> = async (app, { clock, outboxStats, relay, pipeline }) => {
  app.get(
    '/pipeline',
    {
      schema: { tags, security, headers: AuthHeadersSchema, querystring: NoQuerySchema, response: { 200: PipelineResponseSchema } },
      onRequest: app.requireAdmin,
    },
    async () => {
      const idle: RelayStatus = {
        running: false,
        publisher: 'none',
        consecutive_failures: 0,
        last_error: null,
        last_published_at: null,
      };
      return {
        outbox: await outboxStats(),
        relay: relay?.status() ?? idle,
        sink: pipeline ? await pipeline.sinkStatus() : { mode: 'none' },
      };
    },
  );

  app.get(
    '/analytics/kpis',
    {
      schema: {
        tags,
        security,
        headers: AuthHeadersSchema,
        querystring: KpisQuerySchema,
        response: { 200: KpisResponseSchema },
      },
      onRequest: app.requireAdmin,
    },
    async (request) => {
      // Default: the last seven UTC days up to today.
      const to = request.query.to ?? day(clock.now());
      const from = request.query.from ?? day(new Date(Date.parse(`${to}T00:00:00Z`) - 6 * DAY_MS));
      try {
        daysBetween(from, to);
      } catch (err) {
        // The range a caller gave, named by what they sent: `from` unless only `to` was given.
        const field = request.query.from === undefined && request.query.to !== undefined ? 'querystring.to' : 'querystring.from';
        throw new DomainError('VALIDATION_FAILED', (err as Error).message, [{ field, message: (err as Error).message }]);
      }
      if (!pipeline) throw new DomainError('UNAVAILABLE', 'no analytics store is configured');
      try {
        return await pipeline.store.kpis(from, to);
      } catch (err) {
        request.log.warn({ err }, 'analytics store query failed');
        throw new DomainError('UNAVAILABLE', 'the analytics store is not answering; retry later');
      }
    },
  );
};
