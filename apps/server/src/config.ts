import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { clickhouseDatabaseFrom } from '@playloop/analytics';
import { PasswordSchema, SiteIdSchema } from '@playloop/contracts';
import type { z } from 'zod';
import { ConfigError } from './startup.ts';

/** The levels pino knows; anything else passes here and crashes pino after the database is open. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const JWT_SECRET_MIN_LENGTH = 32;

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
  /** The ClickHouse database the KPIs are read from and the in-process relay writes (one per install). */
  clickhouseDatabase: string;
  logLevel: LogLevel;
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

function logLevelFrom(value: string | undefined): LogLevel {
  if (value === undefined || value === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  return value as LogLevel;
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

function boolFrom(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === '') return fallback;
  const word = value.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(`${name} must be true or false (or 1/0, yes/no), got "${value}"`);
}

// The value is not echoed: a database URL usually carries a password.
function databaseUrlFrom(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL must be a URL such as postgres://user@host:5432/playloop');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must be a postgres:// or postgresql:// URL, got a "${url.protocol}" URL`);
  }
  return value;
}

function schemaIssues(result: z.ZodSafeParseResult<string>): string | undefined {
  return result.success ? undefined : result.error.issues.map((issue) => issue.message).join('; ');
}

/**
 * The operator account is made with the same rules as a player's signup, so a handle the users
 * table refuses (a CHECK at the first start, with a stack) or a password players may not use is
 * refused here instead.
 */
function adminFrom(env: NodeJS.ProcessEnv): { adminSiteId: string | undefined; adminPassword: string | undefined } {
  const adminSiteId = env.ADMIN_SITE_ID || undefined;
  const adminPassword = env.ADMIN_PASSWORD || undefined;
  if (!adminSiteId !== !adminPassword) throw new ConfigError('ADMIN_SITE_ID and ADMIN_PASSWORD must be set together (or both left unset)');
  if (adminSiteId === undefined || adminPassword === undefined) return { adminSiteId, adminPassword };
  const siteIdIssues = schemaIssues(SiteIdSchema.safeParse(adminSiteId));
  if (siteIdIssues) throw new ConfigError(`ADMIN_SITE_ID must be a valid site id (${siteIdIssues}), got "${adminSiteId}"`);
  // The password itself is never echoed.
  const passwordIssues = schemaIssues(PasswordSchema.safeParse(adminPassword));
  if (passwordIssues) throw new ConfigError(`ADMIN_PASSWORD must be a valid player password (${passwordIssues})`);
  return { adminSiteId, adminPassword };
}

/**
 * With KAFKA_BROKERS the sink workers, processes of their own, write the events, and the KPIs are
 * read back from the store they wrote: only a ClickHouse server can be that store. chDB under
 * DATA_DIR opens in one process at a time (a second one fails: "Cannot lock file …/chdb/status"),
 * and the server's own chDB is written by nobody when the relay publishes to Kafka, so its KPIs
 * would stay at zero whatever the players do.
 */
function pipelineFrom(env: NodeJS.ProcessEnv): { kafkaBrokers: string | undefined; clickhouseUrl: string | undefined } {
  const kafkaBrokers = env.KAFKA_BROKERS || undefined;
  const clickhouseUrl = env.CLICKHOUSE_URL || undefined;
  if (kafkaBrokers && !clickhouseUrl) {
    throw new ConfigError(
      'KAFKA_BROKERS needs CLICKHOUSE_URL: the sink writes the events to the analytics store and the server reads the KPIs from it, so both must use one ClickHouse server (an embedded chDB in DATA_DIR opens in one process only); set CLICKHOUSE_URL for the server and the sink, or unset KAFKA_BROKERS to write the events in-process',
    );
  }
  return { kafkaBrokers, clickhouseUrl };
}

/** A check shared with the sink (its message names the variable), refused as the server's own. */
function configValue<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Reads JWT_SECRET, or the secret kept in DATA_DIR, creating it on first start. */
function resolveJwtSecret(env: NodeJS.ProcessEnv, dataDir: string): string {
  if (env.JWT_SECRET) {
    if (env.JWT_SECRET.length < JWT_SECRET_MIN_LENGTH) throw new ConfigError(`JWT_SECRET must be at least ${JWT_SECRET_MIN_LENGTH} characters`);
    return env.JWT_SECRET;
  }
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    // An empty file would crash the first token signing (zero-length key); a short one is weak.
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < JWT_SECRET_MIN_LENGTH) {
      throw new ConfigError(
        `${file} holds ${secret.length} characters, a JWT secret needs at least ${JWT_SECRET_MIN_LENGTH}; delete the file and a new one is generated at the next start (players sign in again)`,
      );
    }
    return secret;
  }
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
    databaseUrl: databaseUrlFrom(env.DATABASE_URL),
    redisUrl: env.REDIS_URL || undefined,
    jwtSecret: resolveJwtSecret(env, dataDir),
    ...adminFrom(env),
    resetTimezone,
    signupBonusSoft: intFrom(env.SIGNUP_BONUS_SOFT, 1000, 'SIGNUP_BONUS_SOFT'),
    ...pipelineFrom(env),
    kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX || 'playloop',
    clickhouseDatabase: configValue(() => clickhouseDatabaseFrom(env.CLICKHOUSE_DATABASE)),
    logLevel: logLevelFrom(env.LOG_LEVEL),
    seedDemo: boolFrom(env.SEED_DEMO, true, 'SEED_DEMO'),
    outboxRetentionHours: intFrom(env.OUTBOX_RETENTION_HOURS, 7 * 24, 'OUTBOX_RETENTION_HOURS'),
    metricsToken: metricsTokenFrom(env.METRICS_TOKEN),
  };
}
