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

/** Runs one step of the start; a failure names the step (and the settings behind it) and the reason. */
export async function startStep<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(`cannot ${what}: ${reasonOf(err)}`, { cause: err });
  }
}

function reasonOf(err: unknown): string {
  const e = err as (NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }) | null;
  switch (e?.code) {
    case 'EADDRINUSE':
      return 'the port is already in use (another Playloop, or another program); choose another PORT';
    case 'EACCES':
      return e.syscall === 'listen' ? 'not allowed to listen there (ports below 1024 need privileges); choose another PORT' : e.message;
    case 'ECONNREFUSED':
      return `connection refused by ${e.address}:${e.port} (is the server running?)`;
    case 'ENOTFOUND':
      return `host ${e.hostname ?? ''} not found`.replace('  ', ' ');
    default:
      return e?.message ?? String(err);
  }
}

/** What main prints for a failed start: one line for a foreseen failure, the stack for the rest. */
export function startupFailureText(err: unknown): string {
  if (err instanceof StartupError) return `playloop: ${err.message}`;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
