import { z } from 'zod';

/** Every stable, machine-readable error code of SPEC §3, with the HTTP status it travels with. */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  IMPLAUSIBLE_RESULT: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  UNAUTHENTICATED: 401,
  INSUFFICIENT_FUNDS: 402,
  FORBIDDEN: 403,
  PROGRESS_SERVER_ONLY: 403,
  NOT_FOUND: 404,
  SITE_ID_TAKEN: 409,
  EVENT_NOT_ACTIVE: 409,
  EVENT_EXPIRED: 409,
  NOT_CLAIMABLE: 409,
  ALREADY_CLAIMED: 409,
  VERSION_CONFLICT: 409,
  SESSION_NOT_ACTIVE: 409,
  SESSION_ALREADY_ACTIVE: 409,
  SOLD_OUT: 409,
  PURCHASE_LIMIT_REACHED: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  NOT_ENOUGH_ITEMS: 409,
  NOT_CONSUMABLE: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = z.enum(errorCodes);

/** One offending input field of a VALIDATION_FAILED problem. */
export const FieldErrorSchema = z.object({
  field: z.string(),
  message: z.string(),
});

/** RFC 9457 problem details, the one error body every route answers with. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: ErrorCodeSchema,
    errors: z.array(FieldErrorSchema).optional(),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof ProblemSchema>;
export type FieldError = z.infer<typeof FieldErrorSchema>;

/** The problem `type` URI of a code, e.g. INSUFFICIENT_FUNDS → /problems/insufficient-funds. */
export function problemType(code: ErrorCode): string {
  return `https://playloop.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}
