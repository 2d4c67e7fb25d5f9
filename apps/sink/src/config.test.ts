import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSinkConfig } from './config.ts';

const base = { KAFKA_BROKERS: '127.0.0.1:9092' };

describe('loadSinkConfig', () => {
  it('needs KAFKA_BROKERS', () => {
    expect(() => loadSinkConfig({})).toThrow('KAFKA_BROKERS is required');
  });

  it.each(['abc', '0', '-1', '1.5', '257'])('refuses SINK_CONCURRENCY=%s in one line', (value) => {
    expect(() => loadSinkConfig({ ...base, SINK_CONCURRENCY: value })).toThrow(`SINK_CONCURRENCY must be a whole number from 1 to 256, got "${value}"`);
  });

  it('takes defaults, DATA_DIR at the repository root as the server does', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    expect(loadSinkConfig(base)).toMatchObject({ brokers: ['127.0.0.1:9092'], partitionsConsumedConcurrently: 16, dataDir: path.join(root, 'data') });
    expect(loadSinkConfig({ ...base, SINK_CONCURRENCY: '4', DATA_DIR: '/srv/pl' })).toMatchObject({ partitionsConsumedConcurrently: 4, dataDir: '/srv/pl' });
  });
});
