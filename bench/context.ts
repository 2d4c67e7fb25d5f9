/** What the bench's phases share: its settings, the report it writes, autocannon runs and setup through the API. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { call, cpuMeter, type CpuSplit } from './lib.ts';

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
export const PLAYERS = 50;
export const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
export const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
export const ADMIN = { site_id: 'bench_admin', password: 'bench-admin-password' };

export interface Row {
  bench: string;
  figure: string;
  value: string;
  target?: string;
  ok?: boolean;
}
export const rows: Row[] = [];
export const notes: string[] = [];
export function report(row: Row) {
  rows.push(row);
  const mark = row.ok === undefined ? '' : row.ok ? '  ✓' : '  ✗ MISSED';
  console.log(`${row.bench.padEnd(22)} ${row.figure.padEnd(44)} ${row.value.padStart(14)}${row.target ? `  (target ${row.target})` : ''}${mark}`);
}
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const pct = (n: number) => `${fmt(n * 100, 1)} %`;

export type Cannon = autocannon.Result;
export const rps = (r: Cannon) => r.requests.total / Math.max(r.duration, 0.001);
export const statusCounts = (r: Cannon) =>
  Object.fromEntries(Object.entries((r as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));

export function cannon(opts: autocannon.Options): Promise<Cannon> {
  return autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
}

/**
 * A timed run with where its CPU went, reported per request: the server process, PostgreSQL (all
 * its processes) and this process (autocannon). Everything shares the machine's cores, so this says
 * which side a path's cost is on, and how far it is from the floor's.
 */
export async function measured(bench: string, name: string, serverPid: number | undefined, run: () => Promise<Cannon>): Promise<Cannon> {
  const cpu = cpuMeter(serverPid);
  const result = await run();
  reportCpu(bench, name, cpu(), result.requests.total);
  return result;
}

export function reportCpu(bench: string, name: string, split: CpuSplit, requests: number) {
  const perRequest = (seconds: number) => fmt((seconds / Math.max(1, requests)) * 1e6);
  report({
    bench,
    figure: `${name}: CPU µs per request, machine (server / PostgreSQL / autocannon)`,
    value: `${perRequest(split.machine)} (${perRequest(split.server)} / ${perRequest(split.postgres)} / ${perRequest(split.loadGenerator)})`,
  });
}

export function pgbenchPath(): string {
  const debian = '/usr/lib/postgresql/15/bin/pgbench';
  return spawnSync('test', ['-x', debian]).status === 0 ? debian : 'pgbench';
}


export interface Player {
  id: string;
  token: string;
}

export async function signup(base: string, prefix: string, i: number): Promise<Player> {
  const res = await call(base, 'POST', '/api/auth/signup', {
    body: { site_id: `${prefix}_${i}_${randomBytes(2).toString('hex')}`.slice(0, 32), nickname: 'Bench', password: 'bench-password-1' },
  });
  if (res.status !== 201) throw new Error(`signup ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, token: res.body.access_token };
}

export async function adminToken(base: string): Promise<string> {
  const res = await call(base, 'POST', '/api/auth/login', { body: ADMIN });
  if (res.status !== 200) throw new Error(`admin login ${res.status}`);
  return res.body.access_token;
}

export async function must(res: Promise<{ status: number; body: any }>, ...ok: number[]) {
  const r = await res;
  if (!ok.includes(r.status)) throw new Error(`setup request failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const hour = 3600_000;
export const window = () => ({ starts_at: new Date(Date.now() - hour).toISOString(), ends_at: new Date(Date.now() + 24 * hour).toISOString() });

export async function makeSku(base: string, admin: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const sku_id = `bench_${randomBytes(4).toString('hex')}`;
  await must(
    call(base, 'POST', '/api/admin/shop/skus', {
      token: admin,
      body: { sku_id, name: 'Bench token', price: 1, currency_type: 'soft', bundle: { items: [{ item_id: 'bench_token', quantity: 1 }] }, ...overrides },
    }),
    201,
  );
  return sku_id;
}
