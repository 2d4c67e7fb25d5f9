/** Helpers shared by the benches and the chaos suite: free ports, child servers, HTTP, percentiles. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A port nobody listens on right now, on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `url` until it answers 200 or `timeoutMs` passes. */
export async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

export interface ServerChild {
  child: ChildProcess;
  url: string;
  port: number;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the real server (`apps/server/src/main.ts`) as one node process (node --import tsx, so a
 * signal reaches the server itself, not a wrapper) on a free loopback port.
 */
export async function startServer(env: Record<string, string>, opts: { readyTimeoutMs?: number; port?: number; nodeArgs?: string[] } = {}): Promise<ServerChild> {
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', 'apps/server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', SEED_DEMO: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, opts.readyTimeoutMs ?? 60_000, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  return {
    child,
    url,
    port,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

// Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream distribution).
const TICKS_PER_SECOND = 100;

/** `[comm, utime + stime in seconds]` of a process from /proc, or undefined once it has gone. */
function procCpu(pid: string | number): [string, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces; the numeric fields follow the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return [stat.slice(stat.indexOf('(') + 1, close), (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND];
  } catch {
    return undefined;
  }
}

/** CPU seconds every PostgreSQL process on this machine has used so far, by pid. */
function postgresCpu(): Map<string, number> {
  const byPid = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cpu = procCpu(pid);
    if (cpu?.[0] === 'postgres') byPid.set(pid, cpu[1]);
  }
  return byPid;
}

/** Busy CPU seconds of the whole machine so far (every core, every process, the kernel), from /proc/stat. */
function machineBusy(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is work.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

export interface CpuSplit {
  /** Busy CPU seconds of the whole machine over the measured span. */
  machine: number;
  /** CPU seconds over the measured span, per side. */
  server: number;
  postgres: number;
  /** This process: autocannon runs in it. */
  loadGenerator: number;
}

/**
 * Starts measuring where the CPU goes: the server process, every PostgreSQL process (backends that
 * exit before the end are not counted: measure runs whose connections stay open) and this
 * process. Call the result to read the split since the start.
 */
export function cpuMeter(serverPid: number | undefined): () => CpuSplit {
  const server0 = serverPid === undefined ? 0 : (procCpu(serverPid)?.[1] ?? 0);
  const pg0 = postgresCpu();
  const self0 = process.cpuUsage();
  const machine0 = machineBusy();
  return () => {
    const self = process.cpuUsage(self0);
    let postgres = 0;
    for (const [pid, seconds] of postgresCpu()) postgres += seconds - (pg0.get(pid) ?? 0);
    return {
      machine: machineBusy() - machine0,
      server: serverPid === undefined ? 0 : (procCpu(serverPid)?.[1] ?? server0) - server0,
      postgres,
      loadGenerator: (self.user + self.system) / 1e6,
    };
  };
}

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** One JSON request with a timeout; the body is parsed when there is one. */
export async function call(
  base: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + url, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}

/** Runs one statement on the server named by `serverUrl` (CREATE/DROP DATABASE). */
export async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
