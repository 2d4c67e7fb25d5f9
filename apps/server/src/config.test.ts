import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keepJwtSecret, loadConfig } from './config.ts';

const STRONG_SECRET = 'a-jwt-secret-that-is-at-least-32-chars';

// Every test gets its own DATA_DIR so a generated secret never leaks into another test or ./data.
const dirs: string[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'playloop-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('falls back to the documented defaults', () => {
    const dataDir = tempDataDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      dataDir,
      databaseUrl: undefined,
      redisUrl: undefined,
      adminSiteId: undefined,
      adminPassword: undefined,
      resetTimezone: 'UTC',
      signupBonusSoft: 1000,
      databaseTimeouts: { statementMs: 15_000, lockMs: 5_000 },
      kafkaBrokers: undefined,
      kafkaTopicPrefix: 'playloop',
      kafkaGroupId: 'playloop-sink',
      clickhouseUrl: undefined,
      clickhouseDatabase: 'playloop',
      logLevel: 'info',
      seedDemo: true,
      outboxRetentionHours: 168,
    });
  });

  it('resolves DATA_DIR to ./data under the working directory when unset', () => {
    const config = loadConfig({ JWT_SECRET: STRONG_SECRET });
    expect(config.dataDir).toBe(path.resolve('data'));
  });

  it('reads every setting from the environment', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: tempDataDir(),
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/playloop',
      REDIS_URL: 'redis://127.0.0.1:6379',
      JWT_SECRET: STRONG_SECRET,
      ADMIN_SITE_ID: 'operator',
      ADMIN_PASSWORD: 'operator-password',
      RESET_TIMEZONE: 'Asia/Seoul',
      SIGNUP_BONUS_SOFT: '250',
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_TOPIC_PREFIX: 'staging',
      KAFKA_GROUP_ID: 'staging-workers',
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      CLICKHOUSE_DATABASE: 'playloop_eval_2',
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      OUTBOX_RETENTION_HOURS: '24',
      METRICS_TOKEN: 'scrape-token-0123456789',
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
      DATABASE_LOCK_TIMEOUT_MS: '0',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/playloop',
      redisUrl: 'redis://127.0.0.1:6379',
      jwtSecret: STRONG_SECRET,
      adminSiteId: 'operator',
      adminPassword: 'operator-password',
      resetTimezone: 'Asia/Seoul',
      signupBonusSoft: 250,
      kafkaBrokers: '127.0.0.1:9092',
      kafkaTopicPrefix: 'staging',
      kafkaGroupId: 'staging-workers',
      clickhouseUrl: 'http://127.0.0.1:8123',
      clickhouseDatabase: 'playloop_eval_2',
      logLevel: 'warn',
      seedDemo: false,
      outboxRetentionHours: 24,
      metricsToken: 'scrape-token-0123456789',
      databaseTimeouts: { statementMs: 30_000, lockMs: 0 },
    });
  });

  it('takes CLICKHOUSE_URL without KAFKA_BROKERS: the relay writes the events to the ClickHouse server in-process', () => {
    expect(loadConfig({ DATA_DIR: tempDataDir(), CLICKHOUSE_URL: 'http://127.0.0.1:8123' })).toMatchObject({ kafkaBrokers: undefined, clickhouseUrl: 'http://127.0.0.1:8123' });
  });

  // The server read no KAFKA_GROUP_ID and reported the lag of `playloop-sink` whatever group the
  // sinks used; it takes the sinks' setting and default (apps/sink/src/config.ts) now.
  it.each([
    ['the default prefix', {}, 'playloop-sink'],
    ['another prefix', { KAFKA_TOPIC_PREFIX: 'install2' }, 'install2-sink'],
    ['an empty KAFKA_GROUP_ID', { KAFKA_TOPIC_PREFIX: 'install2', KAFKA_GROUP_ID: '' }, 'install2-sink'],
  ])('takes the sink workers\' consumer group from %s, as the sink does', (_name, env, kafkaGroupId) => {
    expect(loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: STRONG_SECRET, ...env }).kafkaGroupId).toBe(kafkaGroupId);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ DATA_DIR: tempDataDir(), PORT: '', DATABASE_URL: '', REDIS_URL: '', RESET_TIMEZONE: '' });
    expect(config).toMatchObject({ port: 3000, databaseUrl: undefined, redisUrl: undefined, resetTimezone: 'UTC' });
  });
});

describe('JWT_SECRET', () => {
  it('is generated on the first start, kept in DATA_DIR owner-only, and reused on the next', () => {
    const dataDir = path.join(tempDataDir(), 'nested', 'data');
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = path.join(dataDir, 'jwt-secret');
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.jwtSecretSource).toBe('new');
    // Reading the config writes nothing: the server keeps the secret once DATA_DIR is its own.
    expect(existsSync(dataDir)).toBe(false);
    keepJwtSecret(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.jwtSecret);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second).toMatchObject({ jwtSecret: first.jwtSecret, jwtSecretSource: 'file' });
    keepJwtSecret(second);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.jwtSecret);
  });

  it('differs between two fresh data directories', () => {
    expect(loadConfig({ DATA_DIR: tempDataDir() }).jwtSecret).not.toBe(loadConfig({ DATA_DIR: tempDataDir() }).jwtSecret);
  });

  it('takes an explicit JWT_SECRET and writes no file', () => {
    const dataDir = tempDataDir();
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: STRONG_SECRET });
    expect(config).toMatchObject({ jwtSecret: STRONG_SECRET, jwtSecretSource: 'env' });
    keepJwtSecret(config);
    expect(() => statSync(path.join(dataDir, 'jwt-secret'))).toThrow();
  });

  it('refuses a short JWT_SECRET', () => {
    expect(() => loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: 'too-short' })).toThrow(/JWT_SECRET/);
  });

  // An empty file crashed the first signing ("Zero-length key is not supported"); a short one was taken.
  it.each([
    ['empty', ''],
    ['blank', '  \n'],
    ['short', 'abc\n'],
  ])('refuses a %s jwt-secret file in DATA_DIR and says to delete it', (_name, contents) => {
    const dataDir = tempDataDir();
    writeFileSync(path.join(dataDir, 'jwt-secret'), contents);
    expect(() => loadConfig({ DATA_DIR: dataDir })).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/jwt-secret.*at least 32.*delete/) }));
  });

  it('takes a jwt-secret file of 32 characters after trimming', () => {
    const dataDir = tempDataDir();
    writeFileSync(path.join(dataDir, 'jwt-secret'), `${'s'.repeat(32)}\n`);
    expect(loadConfig({ DATA_DIR: dataDir }).jwtSecret).toBe('s'.repeat(32));
  });
});

describe('SEED_DEMO', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['NO', false],
    ['', true],
  ])('"%s" seeds: %s', (value, seedDemo) => {
    expect(loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: STRONG_SECRET, SEED_DEMO: value }).seedDemo).toBe(seedDemo);
  });
});

describe('LOG_LEVEL', () => {
  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('takes %s', (level) => {
    expect(loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: STRONG_SECRET, LOG_LEVEL: level }).logLevel).toBe(level);
  });
});

describe('DATABASE_URL', () => {
  it.each(['postgres://postgres@127.0.0.1:5432/playloop', 'postgresql://user:pw@db.internal/playloop?sslmode=require'])('takes %s', (url) => {
    expect(loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: STRONG_SECRET, DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('does not echo a refused URL, which may carry a password', () => {
    expect(() => loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: STRONG_SECRET, DATABASE_URL: 'mysql://root:hunter2@db/x' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('ADMIN_SITE_ID / ADMIN_PASSWORD', () => {
  it('does not echo a refused password', () => {
    expect(() => loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: STRONG_SECRET, ADMIN_SITE_ID: 'operator', ADMIN_PASSWORD: 'pw-7' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('pw-7') }),
    );
  });
});

describe('refused at start', () => {
  it.each([
    ['PORT not a number', { PORT: 'http' }, /PORT/],
    ['PORT negative', { PORT: '-1' }, /PORT/],
    ['PORT fractional', { PORT: '80.5' }, /PORT/],
    ['PORT past 65535', { PORT: '70000' }, /PORT/],
    ['SIGNUP_BONUS_SOFT not a number', { SIGNUP_BONUS_SOFT: 'lots' }, /SIGNUP_BONUS_SOFT/],
    ['SIGNUP_BONUS_SOFT past the largest amount', { SIGNUP_BONUS_SOFT: '1000000001' }, /SIGNUP_BONUS_SOFT must be at most 1000000000, got "1000000001"/],
    ['OUTBOX_RETENTION_HOURS negative', { OUTBOX_RETENTION_HOURS: '-1' }, /OUTBOX_RETENTION_HOURS/],
    // "Keep for ever" written as a big number: the sweep's cutoff would fall before year 1 and fail each minute.
    ['OUTBOX_RETENTION_HOURS past a century', { OUTBOX_RETENTION_HOURS: '100000000' }, /OUTBOX_RETENTION_HOURS must be at most 876000, got "100000000"/],
    ['KAFKA_TOPIC_PREFIX with a space', { KAFKA_TOPIC_PREFIX: 'my install' }, /KAFKA_TOPIC_PREFIX must be 1 to 200 letters, digits, '\.', '_' or '-'.*"my install"/],
    ['KAFKA_TOPIC_PREFIX with a colon', { KAFKA_TOPIC_PREFIX: 'team:a' }, /KAFKA_TOPIC_PREFIX/],
    ['DATABASE_STATEMENT_TIMEOUT_MS a duration', { DATABASE_STATEMENT_TIMEOUT_MS: '15s' }, /DATABASE_STATEMENT_TIMEOUT_MS/],
    ['DATABASE_LOCK_TIMEOUT_MS past what PostgreSQL takes', { DATABASE_LOCK_TIMEOUT_MS: '2147483648' }, /DATABASE_LOCK_TIMEOUT_MS must be at most 2147483647/],
    ['RESET_TIMEZONE unknown', { RESET_TIMEZONE: 'Mars/Olympus_Mons' }, /time ?zone/i],
    ['METRICS_TOKEN short', { METRICS_TOKEN: 'short' }, /METRICS_TOKEN/],
    ['METRICS_TOKEN with a space', { METRICS_TOKEN: 'long enough but spaced' }, /METRICS_TOKEN/],
    ['LOG_LEVEL unknown to pino', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of .*silent, got "loud"/],
    ['SEED_DEMO not a yes or no', { SEED_DEMO: 'maybe' }, /SEED_DEMO must be true or false.*"maybe"/],
    ['DATABASE_URL not a URL', { DATABASE_URL: 'notaurl' }, /DATABASE_URL must be a URL/],
    ['DATABASE_URL for another database', { DATABASE_URL: 'mysql://foo@bar/x' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL, got a "mysql:" URL/],
    ['ADMIN_SITE_ID without ADMIN_PASSWORD', { ADMIN_SITE_ID: 'operator' }, /ADMIN_SITE_ID and ADMIN_PASSWORD must be set together/],
    ['ADMIN_PASSWORD without ADMIN_SITE_ID', { ADMIN_PASSWORD: 'operator-password' }, /ADMIN_SITE_ID and ADMIN_PASSWORD must be set together/],
    ['ADMIN_SITE_ID a player could not sign up with', { ADMIN_SITE_ID: 'Big Boss!', ADMIN_PASSWORD: 'operator-password' }, /ADMIN_SITE_ID must be a valid site id .*"Big Boss!"/],
    ['ADMIN_SITE_ID too short', { ADMIN_SITE_ID: 'op', ADMIN_PASSWORD: 'operator-password' }, /ADMIN_SITE_ID/],
    ['ADMIN_PASSWORD shorter than a player may use', { ADMIN_SITE_ID: 'operator', ADMIN_PASSWORD: 'x' }, /ADMIN_PASSWORD must be a valid player password/],
    // The sink (another process) writes the store the KPIs are read from: only a ClickHouse server can be shared.
    ['KAFKA_BROKERS without CLICKHOUSE_URL', { KAFKA_BROKERS: '127.0.0.1:9092' }, /^KAFKA_BROKERS needs CLICKHOUSE_URL: .*chDB in DATA_DIR opens in one process only.*set CLICKHOUSE_URL for the server and the sink, or unset KAFKA_BROKERS/],
    ['KAFKA_BROKERS with an empty CLICKHOUSE_URL', { KAFKA_BROKERS: '127.0.0.1:9092', CLICKHOUSE_URL: '' }, /^KAFKA_BROKERS needs CLICKHOUSE_URL/],
    ['KAFKA_GROUP_ID with a space', { KAFKA_GROUP_ID: 'playloop sink' }, /^KAFKA_GROUP_ID must be at most 255 printable characters without spaces, got "playloop sink"$/],
    ['KAFKA_GROUP_ID past 255 characters', { KAFKA_GROUP_ID: 'g'.repeat(256) }, /^KAFKA_GROUP_ID must be at most 255/],
    // It goes into SQL text, as in the sink: a name ClickHouse would need quoted is refused at start.
    ['CLICKHOUSE_DATABASE with a dash', { CLICKHOUSE_DATABASE: 'play-loop' }, /^CLICKHOUSE_DATABASE must be a plain identifier \(letters, digits and _.*got "play-loop"$/],
    ['CLICKHOUSE_DATABASE starting with a digit', { CLICKHOUSE_DATABASE: '2playloop' }, /^CLICKHOUSE_DATABASE must be a plain identifier.*got "2playloop"$/],
    ['CLICKHOUSE_DATABASE with SQL in it', { CLICKHOUSE_DATABASE: 'x; DROP DATABASE playloop' }, /^CLICKHOUSE_DATABASE must be a plain identifier/],
  ])('%s', (_name, env, message) => {
    // A ConfigError is what main prints as one line, without a stack.
    expect(() => loadConfig({ DATA_DIR: tempDataDir(), JWT_SECRET: STRONG_SECRET, ...env })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(message) }),
    );
  });
});
