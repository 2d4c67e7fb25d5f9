import { openAnalyticsStore } from '@playloop/analytics';
import { loadSinkConfig } from './config.ts';
import { createSink } from './consumer.ts';

const line = (level: string, message: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ level, time: new Date().toISOString(), service: 'sink', message, ...extra }));

/** `npm run sink`: consume the event topics into the analytics store until SIGTERM or SIGINT. */
async function main() {
  const config = loadSinkConfig();
  if (!config.clickhouseUrl) line('warn', 'SINK_STORE=chdb: writing to chDB under DATA_DIR, which only this process can read and no server reads');
  const store = await openAnalyticsStore({
    clickhouseUrl: config.clickhouseUrl,
    dataDir: config.dataDir,
    database: config.clickhouseDatabase,
  });
  const sink = createSink({ ...config, store, log: line });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    line('info', 'stopping: finishing the batch in flight', { signal, ...sink.stats() });
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    sink
      .stop()
      .then(() => store.close())
      .then(
        () => {
          line('info', 'stopped', sink.stats());
          process.exit(0);
        },
        (err: unknown) => {
          line('error', 'stop failed', { error: (err as Error).message });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const report = setInterval(() => line('info', 'progress', sink.stats()), 30_000);
  report.unref();
  await sink.start();
  line('info', 'consuming', { topic_prefix: config.topicPrefix, group: config.groupId, store: store.kind });
}

main().catch((err) => {
  line('error', 'sink failed to start', { error: (err as Error).message });
  process.exit(1);
});
