import { createHash } from 'node:crypto';

/** 1–255 printable ASCII characters, no spaces (the same rule as the contracts' header schema). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** True when `value` is a usable X-Idempotency-Key. */
export function isValidIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value);
}

/**
 * JSON with object keys sorted at every depth, so `{a, b}` and `{b, a}` are the same request.
 * Array order is kept (it is meaningful); undefined members are dropped as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = sortKeys(member);
    }
    return sorted;
  }
  return value;
}

/**
 * What a request asks for, as sha256 hex: the parsed body, route params and query in canonical
 * JSON. Validated values are hashed, so defaults a schema fills in do not make two retries differ.
 * An empty object is hashed as no body: the routes without input take either (`NoBodySchema`), and
 * a route that needs an object refuses a missing one before its key is claimed.
 */
export function requestFingerprint(request: { body?: unknown; params?: unknown; query?: unknown }): string {
  const canonical = canonicalJson({ body: bodyOf(request.body), params: request.params ?? {}, query: request.query ?? {} });
  return createHash('sha256').update(canonical).digest('hex');
}

function bodyOf(body: unknown): unknown {
  const empty = body !== null && typeof body === 'object' && !Array.isArray(body) && canonicalJson(body) === '{}';
  return body === undefined || empty ? null : body;
}
