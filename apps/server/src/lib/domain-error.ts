import type { ErrorCode, FieldError } from '@playloop/contracts';

/** A rule the request broke; the error plugin turns it into problem+json with its code's status. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldError[] | undefined;
  /** Only where SPEC allows a code two statuses: VALIDATION_FAILED is 400 or 422. */
  readonly status: 400 | 422 | undefined;
  /** Seconds until a retry can succeed, sent as the Retry-After header (a RATE_LIMITED refusal). */
  retryAfterS: number | undefined;
  constructor(code: ErrorCode, detail: string, fields?: FieldError[], status?: 400 | 422) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.fields = fields;
    this.status = status;
    this.retryAfterS = undefined;
  }
}

export const unauthenticated = (detail = 'missing, invalid, expired or revoked credentials') =>
  new DomainError('UNAUTHENTICATED', detail);
export const forbidden = (detail = 'not allowed') => new DomainError('FORBIDDEN', detail);
export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
/** Too many attempts; the answer says when to try again (`Retry-After`, whole seconds). */
export const rateLimited = (detail: string, retryAfterS: number) =>
  Object.assign(new DomainError('RATE_LIMITED', detail), { retryAfterS });

/** A well-formed request that breaks a rule about its content, e.g. a duplicate id (422). */
export const unprocessable = (field: string, message: string) =>
  new DomainError('VALIDATION_FAILED', `${field}: ${message}`, [{ field, message }], 422);
