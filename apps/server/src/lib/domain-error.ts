import type { ErrorCode, FieldError } from '@playloop/contracts';

/** A rule the request broke; the error plugin turns it into problem+json with its code's status. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldError[] | undefined;
  constructor(code: ErrorCode, detail: string, fields?: FieldError[]) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.fields = fields;
  }
}

export const unauthenticated = (detail = 'missing, invalid, expired or revoked credentials') =>
  new DomainError('UNAUTHENTICATED', detail);
export const forbidden = (detail = 'not allowed') => new DomainError('FORBIDDEN', detail);
export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
