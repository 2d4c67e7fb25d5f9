import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSinkConfig } from './config.ts';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', CLICKHOUSE_URL: 'http://127.0.0.1:8123' };

describe('loadSinkConfig', () => {
  it('needs KAFKA_BROKERS', () => {
    expect(() => loadSinkConfig({})).toThrow('KAFKA_BROKERS is required');
  });

  it.each(['abc', '0', '-1', '1.5', '257'])('refuses SINK_CONCURRENCY=%s in one line', (value) => {
    expect(() => loadSinkConfig({ ...base, SINK_CONCURRENCY: value })).toThrow(`SINK_CONCURRENCY must be a whole number from 1 to 256, got "${value}"`);
  });

  it('takes defaults, DATA_DIR at the repository root as the server does', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    expect(loadSinkConfig(base)).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      clickhouseUrl: 'http://127.0.0.1:8123',
      clickhouseDatabase: 'playloop',
      groupId: 'playloop-sink',
      partitionsConsumedConcurrently: 16,
      dataDir: path.join(root, 'data'),
    });
    expect(loadSinkConfig({ ...base, SINK_CONCURRENCY: '4', DATA_DIR: '/srv/pl', CLICKHOUSE_DATABASE: 'playloop_eval_2' })).toMatchObject({
      partitionsConsumedConcurrently: 4,
      dataDir: '/srv/pl',
      clickhouseDatabase: 'playloop_eval_2',
    });
  });

  // Two installs sharing a Kafka, each with its own KAFKA_TOPIC_PREFIX as the runbook says, had
  // their sinks in one group `playloop-sink`, and one install's events were read by nobody.
  it.each([
    ['the default prefix', {}, 'playloop-sink'],
    ['another prefix', { KAFKA_TOPIC_PREFIX: 'install2' }, 'install2-sink'],
    ['KAFKA_GROUP_ID', { KAFKA_TOPIC_PREFIX: 'install2', KAFKA_GROUP_ID: 'install2-workers' }, 'install2-workers'],
    ['an empty KAFKA_GROUP_ID', { KAFKA_TOPIC_PREFIX: 'install2', KAFKA_GROUP_ID: '' }, 'install2-sink'],
  ])('takes the consumer group from %s', (_name, env, groupId) => {
    expect(loadSinkConfig({ ...base, ...env }).groupId).toBe(groupId);
  });

  // A worker writing to its own chDB joined the shared group and took a share of the events away
  // from the sinks the servers read, with only a warning.
  it.each([
    ['unset', { KAFKA_BROKERS: '127.0.0.1:9092' }],
    ['empty', { KAFKA_BROKERS: '127.0.0.1:9092', CLICKHOUSE_URL: '' }],
  ])('refuses KAFKA_BROKERS with CLICKHOUSE_URL %s, as the server does', (_name, env) => {
    expect(() => loadSinkConfig(env)).toThrow(/^KAFKA_BROKERS needs CLICKHOUSE_URL: .*set CLICKHOUSE_URL \(and CLICKHOUSE_DATABASE\) as for the server, or SINK_STORE=chdb/);
  });

  it('writes to chDB under DATA_DIR only when asked with SINK_STORE=chdb', () => {
    expect(loadSinkConfig({ KAFKA_BROKERS: '127.0.0.1:9092', SINK_STORE: 'chdb', DATA_DIR: '/srv/pl' })).toMatchObject({ clickhouseUrl: undefined, dataDir: '/srv/pl' });
  });

  it.each([
    ['SINK_STORE unknown', { ...base, SINK_STORE: 'clickhouse' }, 'SINK_STORE must be chdb or unset, got "clickhouse"'],
    ['SINK_STORE=chdb with CLICKHOUSE_URL', { ...base, SINK_STORE: 'chdb' }, 'SINK_STORE=chdb and CLICKHOUSE_URL are both set'],
    ['KAFKA_GROUP_ID with a space', { ...base, KAFKA_GROUP_ID: 'playloop sink' }, 'KAFKA_GROUP_ID must be at most 255 printable characters without spaces, got "playloop sink"'],
    ['KAFKA_TOPIC_PREFIX with a space', { ...base, KAFKA_TOPIC_PREFIX: 'my install' }, `KAFKA_TOPIC_PREFIX must be 1 to 200 letters, digits, '.', '_' or '-' (Kafka's topic-name characters), got "my install"`],
    ['KAFKA_TOPIC_PREFIX with a slash', { ...base, KAFKA_TOPIC_PREFIX: 'team/a' }, 'KAFKA_TOPIC_PREFIX must be 1 to 200'],
    ['KAFKA_TOPIC_PREFIX past 200 characters', { ...base, KAFKA_TOPIC_PREFIX: 'p'.repeat(201) }, 'KAFKA_TOPIC_PREFIX must be 1 to 200'],
    ['CLICKHOUSE_DATABASE with a dash', { ...base, CLICKHOUSE_DATABASE: 'play-loop' }, 'CLICKHOUSE_DATABASE must be a plain identifier (letters, digits and _, not starting with a digit, at most 64 characters), got "play-loop"'],
  ])('refuses %s in one line', (_name, env, message) => {
    expect(() => loadSinkConfig(env)).toThrow(message);
  });
});
