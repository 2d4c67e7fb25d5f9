import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { errorStatus, problemType, type ErrorCode, type FieldError, type Problem } from '@playloop/contracts';
import { DomainError } from '../lib/domain-error.ts';

const titles: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'Invalid request',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  RATE_LIMITED: 'Too many requests',
  UNAVAILABLE: 'Service unavailable',
  INTERNAL: 'Internal error',
};

const titleOf = (code: ErrorCode) =>
  titles[code] ?? code.charAt(0) + code.slice(1).toLowerCase().replaceAll('_', ' ');

/** One RFC 9457 problem; the only place an error body is made. */
function problemOf(code: ErrorCode, detail: string, extra: { status?: number; errors?: FieldError[] } = {}): Problem {
  const status = extra.status ?? errorStatus[code];
  const body: Problem = { type: problemType(code), title: titleOf(code), status, detail, code };
  if (extra.errors) body.errors = extra.errors;
  return body;
}

/** Sends one RFC 9457 problem. */
export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extra: { status?: number; errors?: FieldError[] } = {},
): FastifyReply {
  const body = problemOf(code, detail, extra);
  return reply.code(body.status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

// PostgreSQL SQLSTATEs that mean "the database is not there right now" rather than a bug.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
// The request's limits on the database (DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_LOCK_TIMEOUT_MS, the
// idle-in-transaction guard): a statement cancelled, a lock not had in time, a stalled transaction
// ended. The transaction rolled back; a retry may well succeed.
const TIMED_OUT_SQLSTATES = new Set(['57014', '55P03', '25P03']);

// CHECK and UNIQUE constraints whose violation is a rule the request broke, not a bug.
const CONSTRAINT_CODES: Record<string, { code: ErrorCode; detail: string }> = {
  accounts_player_balance_nonnegative: { code: 'INSUFFICIENT_FUNDS', detail: 'the balance does not cover this' },
  inventory_quantity_nonnegative: { code: 'NOT_ENOUGH_ITEMS', detail: 'not enough of this item' },
  users_site_id_key: { code: 'SITE_ID_TAKEN', detail: 'site_id is taken' },
};

/** Lets a module declare what a violation of one of its constraints means to the client. */
export function mapConstraint(constraint: string, code: ErrorCode, detail: string): void {
  CONSTRAINT_CODES[constraint] = { code, detail };
}

interface PgError {
  code?: string;
  constraint?: string;
}

// A refusal lists the first problems found, enough to fix the request, and no more.
const MAX_FIELD_ERRORS = 20;
const MAX_NAMED_KEYS = 10;

/** Maps an error to a problem: domain errors by code, validation and parser errors to 4xx. */
function classify(error: unknown): { code: ErrorCode; detail: string; status?: number; errors?: FieldError[] } {
  if (error instanceof DomainError) {
    return {
      code: error.code,
      detail: error.message,
      ...(error.fields ? { errors: error.fields } : {}),
      ...(error.status ? { status: error.status } : {}),
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.slice(0, MAX_FIELD_ERRORS).map((issue) => {
      const where = error.validationContext ?? 'body';
      const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
      // zod reports unknown keys on the object itself; name the keys, not just their parent.
      const params = issue.params as { keys?: string[]; issue?: { keys?: string[] } };
      const unknownKeys = params.keys ?? params.issue?.keys;
      if (unknownKeys?.length) {
        // At most a few names, in the field and not again in the message: a body of thousands
        // of unknown keys must not be answered with a problem larger than itself.
        const named = unknownKeys.slice(0, MAX_NAMED_KEYS).join(',');
        const more = unknownKeys.length - MAX_NAMED_KEYS;
        return {
          field: `${where}.${path ? path + '.' : ''}${named}${more > 0 ? `,(${more} more)` : ''}`,
          message: unknownKeys.length === 1 ? 'unknown field' : 'unknown fields',
        };
      }
      return { field: path ? `${where}.${path}` : where, message: issue.message ?? 'invalid value' };
    });
    return { code: 'VALIDATION_FAILED', detail: 'the request is not valid', errors };
  }
  if (typeof error !== 'object' || error === null || isResponseSerializationError(error)) {
    return { code: 'INTERNAL', detail: 'an unexpected error occurred' };
  }
  const fastifyError = error as FastifyError & PgError & { errno?: string };
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    // Fastify's own client errors: malformed JSON, oversized or empty bodies, wrong media type.
    const detail = status === 413 ? 'request body too large' : status === 415 ? 'unsupported media type' : fastifyError.message;
    return { code: status === 429 ? 'RATE_LIMITED' : status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', detail, status };
  }
  const sqlstate = fastifyError.code;
  const byConstraint = fastifyError.constraint ? CONSTRAINT_CODES[fastifyError.constraint] : undefined;
  if ((sqlstate === '23514' || sqlstate === '23505') && byConstraint) return byConstraint;
  if (sqlstate === '40001' || sqlstate === '40P01') {
    return { code: 'VERSION_CONFLICT', detail: 'a concurrent change won; retry' };
  }
  if (sqlstate === '22003' || sqlstate === '22P02') {
    return { code: 'VALIDATION_FAILED', detail: 'a value is out of range' };
  }
  // A NUL byte (or a character the database encoding lacks) in any text the client sent.
  if (sqlstate === '22021' || sqlstate === '22P05') {
    return { code: 'VALIDATION_FAILED', detail: 'a text value holds a character that cannot be stored' };
  }
  if (sqlstate && TIMED_OUT_SQLSTATES.has(sqlstate)) {
    return { code: 'UNAVAILABLE', detail: 'the database did not answer in time; retry later' };
  }
  if ((sqlstate && UNAVAILABLE_SQLSTATES.has(sqlstate)) || (sqlstate && UNAVAILABLE_ERRNOS.has(sqlstate)) || isPoolTimeout(error)) {
    return { code: 'UNAVAILABLE', detail: 'a dependency is unavailable; retry later' };
  }
  return { code: 'INTERNAL', detail: 'an unexpected error occurred' };
}

/**
 * The code an error is answered with, as the error handler maps it: for a caller that records the
 * outcome of a request (a failed purchase) and must record what the client was told.
 */
export function errorCodeOf(error: unknown): ErrorCode {
  return classify(error).code;
}

function isPoolTimeout(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(message);
}

/**
 * Fastify's refusals made before routing (a path with a broken %-escape, a path parameter over the
 * router's length limit) as problems too: its own answers are plain JSON outside the API's error
 * contract. Set as the app's `frameworkErrors` option.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is not valid';
  request.log.info({ code: error.code }, 'request refused');
  sendProblem(reply, 'VALIDATION_FAILED', detail, { errors: [{ field: 'url', message: detail }] });
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over the size limit, a
 * request that is not HTTP, one that took too long to arrive), answered as problems on the socket,
 * which is then closed (Fastify's own answer is plain JSON). Set as the app's `clientErrorHandler`.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify(problemOf('VALIDATION_FAILED', detail, { status }));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export default fp(
  async (app) => {
    app.setErrorHandler((error, request: FastifyRequest, reply) => {
      const problem = classify(error);
      const status = problem.status ?? errorStatus[problem.code];
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: problem.code, detail: problem.detail }, 'request refused');
      if (error instanceof DomainError && error.retryAfterS !== undefined) reply.header('retry-after', String(error.retryAfterS));
      return sendProblem(reply, problem.code, problem.detail, problem);
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'errors' },
);
