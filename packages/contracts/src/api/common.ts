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
