import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { Database, Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Pipeline } from './pipeline.ts';
import { createOutboxRelay, type OutboxRelay, type OutboxStats } from './relay.ts';
import { readOutboxBacklog } from './repo.ts';
import { pipelineRoutes } from './routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The outbox relay of this node, when the app has a pipeline. */
    outboxRelay: OutboxRelay | undefined;
  }
}

export interface OutboxPluginOptions {
  db: Db;
  clock: Clock;
  pipeline?: Pipeline | undefined;
  /** The database's advisory-lock holder: the relay shows other nodes it is alive with it. */
  holdLock?: Database['holdAdvisoryLock'];
}

/**
 * The outbox side of the app: the relay (started when the app is ready, stopped before it
 * closes), backlog metrics and the operator routes.
 */
export default fp<OutboxPluginOptions>(
  async (app, { db, clock, pipeline, holdLock }) => {
    const relay = pipeline
      ? createOutboxRelay({
          db,
          clock,
          publisher: pipeline.publisher,
          holdLock,
          ...pipeline.relay,
          onError: (err, attempt, retryInMs) =>
            app.log.warn({ err, attempt, retryInMs, publisher: pipeline.publisher.name }, 'outbox publish failed; backing off'),
        })
      : undefined;
    app.decorate('outboxRelay', relay);

    const outboxStats = async (): Promise<OutboxStats> => {
      if (relay) return relay.stats();
      const backlog = await readOutboxBacklog(db);
      const age = backlog.oldest_pending_at ? (clock.now().getTime() - backlog.oldest_pending_at.getTime()) / 1000 : 0;
      return { pending: backlog.pending, oldest_pending_age_s: Math.max(0, age), published_total: backlog.published_total };
    };

    // Read on demand, so /metrics shows the backlog the database has now. The registry collects
    // all gauges at once, so one scrape shares one read.
    let reading: { at: number; stats: Promise<OutboxStats | undefined> } | undefined;
    const read = () => {
      if (!reading || Date.now() - reading.at > 1_000) {
        reading = { at: Date.now(), stats: outboxStats().catch(() => undefined) };
      }
      return reading.stats;
    };
    const gauge = (name: string, help: string, pick: (s: OutboxStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [app.metrics],
        async collect() {
          const stats = await read();
          if (stats) this.set(pick(stats));
        },
      });
    gauge('playloop_outbox_pending', 'Outbox rows not yet published', (s) => s.pending);
    gauge('playloop_outbox_oldest_pending_age_seconds', 'Age of the oldest unpublished outbox row', (s) => s.oldest_pending_age_s);
    gauge('playloop_outbox_published_total', 'Outbox rows published so far', (s) => s.published_total);
    new Gauge({
      name: 'playloop_outbox_relay_consecutive_failures',
      help: 'Failed publish attempts since the last success',
      registers: [app.metrics],
      collect() {
        this.set(relay?.status().consecutive_failures ?? 0);
      },
    });

    if (relay && pipeline?.relay?.autoStart !== false) {
      app.addHook('onReady', async () => relay.start());
    }
    // Before the database closes: the batch in flight is published or given back.
    app.addHook('preClose', async () => {
      await relay?.stop();
    });

    await app.register(pipelineRoutes, { prefix: '/api/admin', clock, outboxStats, relay, pipeline });
  },
  { name: 'outbox', dependencies: ['auth', 'metrics'] },
);
