import { expect } from 'vitest';
import type { ErrorCode } from '@playloop/contracts';
import { ProblemSchema } from '@playloop/contracts';

interface InjectResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Asserts an RFC 9457 problem with this status and code; returns the parsed body. */
export function expectProblem(res: InjectResponse, status: number, code: ErrorCode) {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = ProblemSchema.parse(JSON.parse(res.body));
  expect({ status: res.statusCode, code: body.code }).toEqual({ status, code });
  expect(body.status).toBe(status);
  expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  return body;
}
