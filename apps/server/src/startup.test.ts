import { describe, expect, it } from 'vitest';
import { ConfigError, StartupError, startStep, startupFailureText } from './startup.ts';

const failing = (err: unknown) => () => Promise.reject(err);
const errno = (code: string, more: Record<string, unknown> = {}) => Object.assign(new Error(code), { code, ...more });

describe('startStep', () => {
  it.each([
    [errno('EADDRINUSE', { address: '127.0.0.1', port: 3000, syscall: 'listen' }), 'cannot listen: the port is already in use (another Playloop, or another program); choose another PORT'],
    [errno('ECONNREFUSED', { address: '127.0.0.1', port: 5432 }), 'cannot listen: connection refused by 127.0.0.1:5432 (is the server running?)'],
    [errno('ENOTFOUND', { hostname: 'db.invalid' }), 'cannot listen: host db.invalid not found'],
    [errno('EAI_AGAIN', { hostname: 'db.invalid' }), 'cannot listen: host db.invalid could not be looked up (EAI_AGAIN)'],
    [errno('ECONNRESET', { address: '10.0.0.9' }), 'cannot listen: 10.0.0.9 did not answer (ECONNRESET)'],
    [Object.assign(new Error('database "x" does not exist'), { code: '3D000' }), 'cannot listen: database "x" does not exist'],
    [
      Object.assign(new Error("Failed to create connection for path '/srv/data/chdb'"), { code: 'CHDB_CONNECTION' }),
      "cannot listen: Failed to create connection for path '/srv/data/chdb' (chDB's reason is printed above; a directory another process has open, such as a sink with SINK_STORE=chdb, is refused)",
    ],
  ])('names the step and the reason of a failure an operator can fix (%s)', async (err, message) => {
    const failure = await startStep('listen', failing(err)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as StartupError).message).toBe(message);
    expect((failure as StartupError).cause).toBe(err);
    expect(startupFailureText(failure)).toBe(`playloop: ${message}`);
  });

  it('rethrows anything else as it is, so its stack is printed', async () => {
    const bug = new TypeError('x is not a function');
    await expect(startStep('open the database', failing(bug))).rejects.toBe(bug);
    expect(startupFailureText(bug)).toContain('TypeError: x is not a function\n    at ');
    const config = new ConfigError('PORT must be at most 65535, got "70000"');
    await expect(startStep('listen', failing(config))).rejects.toBe(config);
    expect(startupFailureText(config)).toBe('playloop: PORT must be at most 65535, got "70000"');
  });

  it('passes a step that succeeds through', async () => {
    expect(await startStep('listen', () => Promise.resolve(42))).toBe(42);
  });
});
