import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The current request's trace id, for code that writes the outbox without a request in hand
 * (the auth service's signup and login hooks get only the transaction, the user and the time).
 */
const storage = new AsyncLocalStorage<{ traceId: string }>();

/** Runs `fn` (and everything it awaits) with `traceId` as the current trace. */
export function runWithTraceId<T>(traceId: string, fn: () => T): T {
  return storage.run({ traceId }, fn);
}

/** The trace id of the request being served, if any. */
export function currentTraceId(): string | undefined {
  return storage.getStore()?.traceId;
}
