import type { Envelope } from '@playloop/contracts';
import type { AnalyticsStore } from '@playloop/analytics';

export interface RetryOptions {
  attempts: number;
  initialMs: number;
  maxMs: number;
}

/**
 * Writes a batch of valid envelopes to the analytics store in one insert, retrying with backoff
 * while the store fails. If it still fails, it throws: the batch's offsets stay uncommitted and the
 * batch comes again (a rewrite changes no count: the store dedupes by event_id).
 */
export function createWriteEventsStep(store: AnalyticsStore, retry: RetryOptions = { attempts: 5, initialMs: 200, maxMs: 5_000 }) {
  return async (envelopes: readonly Envelope[], isRunning: () => boolean = () => true): Promise<void> => {
    if (envelopes.length === 0) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await store.insertEvents(envelopes);
        return;
      } catch (err) {
        if (attempt >= retry.attempts || !isRunning()) throw err;
        const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
}
