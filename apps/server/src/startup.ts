/** Why the server could not start, in a line an operator can act on (main prints no stack for it). */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** A setting that cannot be used, named in the message. */
export class ConfigError extends StartupError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Runs one step of the start. A failure an operator can fix (a taken port, a database that does
 * not answer, refuses the login or does not exist) names the step, the settings behind it and the
 * reason; anything else is rethrown as it is, stack and all.
 */
export async function startStep<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const reason = err instanceof StartupError ? undefined : foreseenReason(err);
    if (reason === undefined) throw err;
    throw new StartupError(`cannot ${what}: ${reason}`, { cause: err });
  }
}

// PostgreSQL's answers to a connection it will not take: no such database, a refused login, a
// server starting or shutting down, too many connections.
const CONNECTION_SQLSTATES = new Set(['3D000', '28000', '28P01', '57P03', '53300']);

function foreseenReason(err: unknown): string | undefined {
  const e = err as (NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }) | null;
  switch (e?.code) {
    case 'EADDRINUSE':
      return 'the port is already in use (another Playloop, or another program); choose another PORT';
    case 'EACCES':
      return e.syscall === 'listen' ? 'not allowed to listen there (ports below 1024 need privileges); choose another PORT' : undefined;
    case 'ECONNREFUSED':
      return `connection refused by ${e.address}:${e.port} (is the server running?)`;
    case 'ENOTFOUND':
      return `host ${e.hostname} not found`;
    case 'EAI_AGAIN':
      return `host ${e.hostname} could not be looked up (EAI_AGAIN)`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
      return `${e.address ?? 'the host'} did not answer (${e.code})`;
    case 'CHDB_CONNECTION':
      // chDB prints its own reason (e.g. "Cannot lock file …/chdb/status") to stderr just before.
      return `${e.message.split('\n')[0]} (chDB's reason is printed above; a directory another process has open, such as a sink with SINK_STORE=chdb, is refused)`;
    default:
      return e?.code && CONNECTION_SQLSTATES.has(e.code) ? e.message : undefined;
  }
}

/**
 * Runs a command-line tool (`npm run migrate`, `npm run ledger:verify`): a failure it foresees is
 * one `playloop: …` line, as for the server, and exit code 1; anything else prints its stack.
 */
export async function runCommand(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    console.error(startupFailureText(err));
    process.exitCode = 1;
  }
}

/** What main prints for a failed start: one line for a foreseen failure, the stack for the rest. */
export function startupFailureText(err: unknown): string {
  if (err instanceof StartupError) return `playloop: ${err.message}`;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
