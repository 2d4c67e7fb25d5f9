import { z } from 'zod';

/** Largest amount or count the API accepts; keeps every sum far inside int8 and JS safe integers. */
export const MAX_AMOUNT = 1_000_000_000;

// Ids a client sends are read in lower case, as PostgreSQL prints them: an id is also part of
// text keys (accounts' `user:<id>`, grant keys, message keys), where `A` and `a` would differ.
export const UuidSchema = z.uuid().toLowerCase();
export const IsoDateTimeSchema = z.iso.datetime({ offset: true });

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 0, 1);
/**
 * A moment an operator sets (an event's or a SKU's window): an ISO date-time whose instant falls
 * in 1970–9998 UTC. An offset can carry a written year 9999 into year 10000, which JavaScript
 * prints as `+010000-…` (no longer a date-time any client reads), and years before 100 do not
 * survive every driver's parser; neither is a window anyone means.
 */
export const WindowDateTimeSchema = IsoDateTimeSchema.refine((s) => {
  const at = Date.parse(s);
  return at >= EARLIEST && at < LATEST;
}, 'must fall between 1970 and 9998 (UTC)');
export const IdParamsSchema = z.strictObject({ id: UuidSchema });

// Half of a UTF-16 surrogate pair with no other half. JSON can spell one ("\ud800") but UTF-8
// cannot hold one: the PostgreSQL driver stores U+FFFD in its place and jsonb refuses it. With the
// u flag a whole pair is one code point, so only a lone half matches — what
// String.prototype.isWellFormed tests, written as a regex so it also runs in browsers older than it.
const LONE_SURROGATE = /\p{Cs}/u;
export const NOT_WELL_FORMED = 'not well-formed Unicode (a lone UTF-16 surrogate)';

/** True when the text holds no lone surrogate, so it is stored exactly as sent. */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/** True when every string in a JSON value, object keys included, holds no lone surrogate. */
export function isWellFormedJson(value: unknown): boolean {
  // A loop rather than recursion: the value is whatever nesting a client sent.
  const pending: unknown[] = [value];
  while (pending.length) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (!isWellFormedText(next)) return false;
    } else if (Array.isArray(next)) {
      pending.push(...next);
    } else if (next !== null && typeof next === 'object') {
      for (const [key, item] of Object.entries(next)) {
        if (!isWellFormedText(key)) return false;
        pending.push(item);
      }
    }
  }
  return true;
}

/**
 * Free text a client sends (a nickname, a title, a reason): any string that is well-formed
 * Unicode. Every text field of a request starts from it (`TextSchema.trim().max(100)`), so what is
 * stored is what was sent.
 */
export const TextSchema = z.string().refine(isWellFormedText, NOT_WELL_FORMED);

/** A positive whole amount of currency, exp or items. */
export const AmountSchema = z.number().int().positive().max(MAX_AMOUNT);
/** The query of a GET that reads none: any parameter is refused, as an unknown body field is. */
export const NoQuerySchema = z.strictObject({});
/** The body of a POST that takes no input: none, or `{}` (anything else is refused, as everywhere). */
export const NoBodySchema = z.strictObject({}).nullish();
export const LimitQuerySchema = (max: number, fallback: number) =>
  z.strictObject({ limit: z.coerce.number().int().min(1).max(max).default(fallback) });

/** Headers every authenticated route reads; other headers pass through untouched. */
export const AuthHeadersSchema = z.object({
  authorization: z.string().max(4096).optional(),
});

export const IdempotencyHeadersSchema = AuthHeadersSchema.extend({
  'x-idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional(),
});
