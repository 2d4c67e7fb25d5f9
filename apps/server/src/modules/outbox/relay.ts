import type { Envelope } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { claimOutboxBatch, markOutboxPublished, readOutboxBacklog, releaseOutboxLease } from './repo.ts';

/** Where the relay sends batches: Kafka, or straight to the analytics writer. */
export interface Publisher {
  readonly name: string;
  /** Sends a batch in order; resolves only once every envelope is accepted. Throws to retry. */
  publish(envelopes: readonly Envelope[]): Promise<void>;
}

export interface RelayOptions {
  db: Db;
  publisher: Publisher;
  clock: Clock;
  /** Rows per claim (default 500). */
  batchSize?: number;
  /** Wait between polls when the outbox is empty (default 250 ms). */
  pollMs?: number;
  /** Backoff after a failed publish: doubles from `initialMs` up to `maxMs` (defaults 200 ms, 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** How long a claimed batch is reserved for this node (default 60 s). */
  leaseMs?: number;
  /** How long `stop` waits for the batch in flight (default 5 s); its lease covers the rest. */
  stopTimeoutMs?: number;
  /** Told about every failed attempt (the app logs it). */
  onError?: (err: unknown, attempt: number, retryInMs: number) => void;
}

export interface RelayStatus {
  running: boolean;
  publisher: string;
  consecutive_failures: number;
  last_error: string | null;
  last_published_at: string | null;
}

export interface OutboxStats {
  pending: number;
  oldest_pending_age_s: number;
  published_total: number;
}

/** The delay before retry `attempt` (1-based): exponential, capped, with up to 20% jitter. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.2 * random()));
}

/**
 * Publishes the outbox in id order: claim a batch, hand it to the publisher, mark it published.
 * While the publisher fails the relay backs off and retries the same rows; the API is not held
 * (publishing happens outside any transaction), so it keeps serving and the backlog grows until
 * the publisher recovers. Safe to run on several nodes at once.
 */
export function createOutboxRelay(options: RelayOptions) {
  const { db, publisher, clock } = options;
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 250;
  const backoff = options.backoff ?? { initialMs: 200, maxMs: 30_000 };
  const leaseMs = options.leaseMs ?? 60_000;

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let failures = 0;
  let lastError: string | null = null;
  let lastPublishedAt: Date | null = null;

  /** One claim → publish → mark cycle; returns how many rows it published. Throws if publishing failed. */
  async function publishBatch(): Promise<number> {
    const now = clock.now();
    const rows = await claimOutboxBatch(db, batchSize, now, new Date(now.getTime() + leaseMs));
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    try {
      await publisher.publish(rows.map((r) => r.envelope));
    } catch (err) {
      await releaseOutboxLease(db, ids).catch(() => {});
      throw err;
    }
    await markOutboxPublished(db, ids, clock.now());
    lastPublishedAt = clock.now();
    return rows.length;
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  async function run() {
    while (running) {
      let delay = pollMs;
      try {
        const published = await publishBatch();
        failures = 0;
        lastError = null;
        if (published === batchSize) delay = 0;
      } catch (err) {
        failures += 1;
        lastError = err instanceof Error ? err.message : String(err);
        delay = backoffDelay(failures, backoff.initialMs, backoff.maxMs);
        options.onError?.(err, failures, delay);
      }
      if (running && delay > 0) await sleep(delay);
    }
  }

  return {
    /** Starts the background loop (idempotent). */
    start() {
      if (running) return;
      running = true;
      loop = run();
    },

    /**
     * Stops the loop after the batch in flight, if any, is published or given back. A publish that
     * hangs (a broker that accepts connections but never answers) is not waited for past
     * `stopTimeoutMs`: its rows stay leased and another start publishes them once the lease ends.
     */
    async stop() {
      running = false;
      wake?.();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.stopTimeoutMs ?? 5_000);
      });
      await Promise.race([loop, timeout]);
      clearTimeout(timer);
      loop = undefined;
    },

    /** Polls now instead of at the next tick (after a commit that wrote events, say). */
    poke() {
      wake?.();
    },

    /**
     * Publishes until the outbox is empty and returns how many rows it sent; throws on the first
     * failed publish. For tests, tools and shutdown, independent of the loop.
     */
    async drain(): Promise<number> {
      let total = 0;
      for (;;) {
        const published = await publishBatch();
        total += published;
        if (published === 0) return total;
      }
    },

    /** Backlog figures for GET /api/admin/pipeline. */
    async stats(): Promise<OutboxStats> {
      const backlog = await readOutboxBacklog(db);
      const age = backlog.oldest_pending_at ? (clock.now().getTime() - backlog.oldest_pending_at.getTime()) / 1000 : 0;
      return {
        pending: backlog.pending,
        oldest_pending_age_s: Math.max(0, Math.round(age * 10) / 10),
        published_total: backlog.published_total,
      };
    },

    status(): RelayStatus {
      return {
        running,
        publisher: publisher.name,
        consecutive_failures: failures,
        last_error: lastError,
        last_published_at: lastPublishedAt?.toISOString() ?? null,
      };
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
