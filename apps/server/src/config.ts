import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './startup.ts';

/** Everything the server reads from its environment, resolved once at start. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  jwtSecret: string;
  adminSiteId: string | undefined;
  adminPassword: string | undefined;
  resetTimezone: string;
  signupBonusSoft: number;
  kafkaBrokers: string | undefined;
  kafkaTopicPrefix: string;
  clickhouseUrl: string | undefined;
  logLevel: string;
  /** Seed demo content (events, missions, shop) on a first start. */
  seedDemo: boolean;
  /** Hours a published outbox row is kept for replays before it is deleted; 0 keeps them all. */
  outboxRetentionHours: number;
  /** When set, GET /metrics asks for `Authorization: Bearer <it>` (a scraper's bearer token). */
  metricsToken: string | undefined;
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function portFrom(value: string | undefined): number {
  const port = intFrom(value, 3000, 'PORT');
  if (port > 65_535) throw new ConfigError(`PORT must be at most 65535, got "${value}"`);
  return port;
}

function metricsTokenFrom(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value.length < 16 || !/^[\x21-\x7e]+$/.test(value)) throw new ConfigError('METRICS_TOKEN must be at least 16 printable characters without spaces');
  return value;
}

/** Reads JWT_SECRET, or the secret kept in DATA_DIR, creating it on first start. */
function resolveJwtSecret(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.JWT_SECRET) {
    if (env.JWT_SECRET.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
    return env.JWT_SECRET;
  }
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const resetTimezone = env.RESET_TIMEZONE || 'UTC';
  // Fail at start, not at the first mission reset, on a zone the runtime does not know.
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: resetTimezone });
  } catch {
    throw new ConfigError(`RESET_TIMEZONE must be an IANA time zone such as Asia/Seoul, got "${resetTimezone}"`);
  }
  return {
    port: portFrom(env.PORT),
    host: env.HOST || '0.0.0.0',
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    jwtSecret: resolveJwtSecret(env, dataDir),
    adminSiteId: env.ADMIN_SITE_ID || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    resetTimezone,
    signupBonusSoft: intFrom(env.SIGNUP_BONUS_SOFT, 1000, 'SIGNUP_BONUS_SOFT'),
    kafkaBrokers: env.KAFKA_BROKERS || undefined,
    kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX || 'playloop',
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    seedDemo: env.SEED_DEMO !== 'false',
    outboxRetentionHours: intFrom(env.OUTBOX_RETENTION_HOURS, 7 * 24, 'OUTBOX_RETENTION_HOURS'),
    metricsToken: metricsTokenFrom(env.METRICS_TOKEN),
  };
}
