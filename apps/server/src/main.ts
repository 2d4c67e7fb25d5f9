import { buildApp } from './app.ts';
import { createDemoOperator, createRateLimitStore, ensureAdmin, openMigratedDatabase } from './bootstrap.ts';
import { keepJwtSecret, loadConfig } from './config.ts';
import { claimDataDir, serverUsesDataDir } from './db/data-dir-owner.ts';
import { seedDemoContent } from './demo/seed.ts';
import { systemClock } from './lib/clock.ts';
import { expireEndedParticipations } from './modules/events/service.ts';
import { openPipeline } from './modules/outbox/pipeline.ts';
import { pruneOutbox } from './modules/outbox/service.ts';
import { startStep, startupFailureText } from './startup.ts';

/** Starts the server: config, migrations, operator account, listen, graceful shutdown. */
async function main() {
  const config = loadConfig();
  // DATA_DIR first, before any database work: a second server on it is refused before it migrates
  // or seeds anything, and a DATA_DIR serves one database (its chDB, secret and operator password).
  const dataDir = serverUsesDataDir(config) ? claimDataDir(config) : undefined;
  const database = await startStep(
    config.databaseUrl ? 'open the database at DATABASE_URL' : `open the embedded database in DATA_DIR (${config.dataDir})`,
    () => openMigratedDatabase(config, dataDir),
  );
  keepJwtSecret(config);
  await ensureAdmin(database, config, systemClock);
  if (config.seedDemo && (await seedDemoContent(database, systemClock))) {
    console.log('seeded demo content');
    const operator = config.adminSiteId ? undefined : await createDemoOperator(database, config, systemClock);
    if (operator) console.log(`demo operator account: ${operator.site_id} / ${operator.password} (kept in ${operator.file})`);
  }
  // Analytics: chDB under DATA_DIR, or CLICKHOUSE_URL; relayed in-process, or through KAFKA_BROKERS.
  const pipeline = await startStep('open the analytics store (CLICKHOUSE_URL, or chDB in DATA_DIR)', () =>
    openPipeline(config),
  );
  const app = await buildApp({
    pipeline,
    config,
    database,
    rateLimits: createRateLimitStore(config),
    logger: { level: config.logLevel },
    // The built web app (npm run build:web; `npm start` builds it when missing).
    web: {},
  });

  // Ended events turn their open participations `expired`; read paths also do it lazily, the
  // sweep keeps pending-reward lists and operator counts right for players who never come back.
  // The same sweep deletes published outbox rows past OUTBOX_RETENTION_HOURS (kept for replays);
  // one prune at a time (a long one is not joined by the next), stopped between two of its
  // statements at shutdown, before the database closes.
  const stopPruning = new AbortController();
  let pruning: Promise<void> | undefined;
  const sweep = setInterval(() => {
    expireEndedParticipations(database.db, systemClock.now()).catch((err) => app.log.warn({ err }, 'expiry sweep failed'));
    pruning ??= pruneOutbox(database.db, systemClock.now(), config.outboxRetentionHours, { signal: stopPruning.signal })
      .then(
        (pruned) => {
          if (!pruned.done && !stopPruning.signal.aborted) app.log.warn({ deleted: pruned.deleted }, 'outbox prune reached its limit; the next sweep goes on');
        },
        (err) => app.log.warn({ err }, 'outbox prune failed'),
      )
      .finally(() => {
        pruning = undefined;
      });
  }, 60_000);
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    stopPruning.abort();
    await pruning;
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Stop accepting, finish in-flight requests (the app's own hooks end streams and their
    // listener), then the pipeline and last the database. Not as onClose hooks of the app: those
    // run in an order of Fastify's, which closed PGlite under the stream listener's unlisten.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app
      .close()
      .then(() => pipeline.close())
      .then(() => database.close())
      .then(
        () => process.exit(0),
        (err) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await startStep(`listen on ${config.host}:${config.port} (HOST, PORT)`, () => app.listen({ port: config.port, host: config.host }));
  app.log.info(`Playloop ready on http://localhost:${config.port} (database: ${database.kind})`);
}

main().catch((err) => {
  console.error(startupFailureText(err));
  process.exit(1);
});
