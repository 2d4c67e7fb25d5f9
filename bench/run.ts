/**
 * `npm run bench`: every figure of issue 7 side by side in one run, as ratios against a floor
 * measured on the same machine a moment before. Writes bench/RESULTS.md.
 *
 * Everything runs against a throwaway database on the local PostgreSQL server (created here,
 * dropped at the end); servers listen on 127.0.0.1 only; every load is bounded (seconds or a
 * request count).
 *
 *   BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres)  the server, used only to create/drop
 *   BENCH_SECONDS (10)   length of each timed run
 *   BENCH_ROUNDS (3)     rounds of the HTTP floor: the floor, the 200 and the 304 path take turns,
 *                        BENCH_SECONDS / BENCH_ROUNDS each (rounded up), and each ratio is the
 *                        median of its rounds
 *   BENCH_CONNECTIONS (20) connections for the HTTP and database runs (= the server's pool size)
 *   BENCH_ONLY           comma-separated phases to run (http,db,hotspot,session,pipeline,start);
 *                        all when unset. For profiling one path; RESULTS.md is written only for a full run.
 *   BENCH_NODE_ARGS      extra node flags for the server under test, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { adminQuery, call, cpuMeter, type CpuSplit, freePort, mapLimit, percentile, ROOT, rssMiB, sleep, startServer, waitForHttp, withDatabase, type ServerChild } from './lib.ts';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const PLAYERS = 50;
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const phase = (name: string) => !ONLY || ONLY.has(name);
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const ADMIN = { site_id: 'bench_admin', password: 'bench-admin-password' };

interface Row {
  bench: string;
  figure: string;
  value: string;
  target?: string;
  ok?: boolean;
}
const rows: Row[] = [];
const notes: string[] = [];
function report(row: Row) {
  rows.push(row);
  const mark = row.ok === undefined ? '' : row.ok ? '  ✓' : '  ✗ MISSED';
  console.log(`${row.bench.padEnd(22)} ${row.figure.padEnd(44)} ${row.value.padStart(14)}${row.target ? `  (target ${row.target})` : ''}${mark}`);
}
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (n: number) => `${fmt(n * 100, 1)} %`;

type Cannon = autocannon.Result;
const rps = (r: Cannon) => r.requests.total / Math.max(r.duration, 0.001);
const statusCounts = (r: Cannon) =>
  Object.fromEntries(Object.entries((r as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));

function cannon(opts: autocannon.Options): Promise<Cannon> {
  return autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
}

/**
 * A timed run with where its CPU went, reported per request: the server process, PostgreSQL (all
 * its processes) and this process (autocannon). Everything shares the machine's cores, so this says
 * which side a path's cost is on, and how far it is from the floor's.
 */
async function measured(bench: string, name: string, serverPid: number | undefined, run: () => Promise<Cannon>): Promise<Cannon> {
  const cpu = cpuMeter(serverPid);
  const result = await run();
  reportCpu(bench, name, cpu(), result.requests.total);
  return result;
}

function reportCpu(bench: string, name: string, split: CpuSplit, requests: number) {
  const perRequest = (seconds: number) => fmt((seconds / Math.max(1, requests)) * 1e6);
  report({
    bench,
    figure: `${name}: CPU µs per request, machine (server / PostgreSQL / autocannon)`,
    value: `${perRequest(split.machine)} (${perRequest(split.server)} / ${perRequest(split.postgres)} / ${perRequest(split.loadGenerator)})`,
  });
}

/**
 * One path's timed slices, taken in turns with other paths' (see httpFloor): how fast the
 * machine is drifts by tens of percent within minutes here, so a ratio is only fair between
 * slices run next to each other.
 */
class Slices {
  readonly runs: Cannon[] = [];
  private readonly cpu: CpuSplit = { machine: 0, server: 0, postgres: 0, loadGenerator: 0 };
  constructor(private readonly pid: number | undefined) {}

  async run(go: () => Promise<Cannon>): Promise<void> {
    const meter = cpuMeter(this.pid);
    this.runs.push(await go());
    const split = meter();
    for (const side of Object.keys(split) as (keyof CpuSplit)[]) this.cpu[side] += split[side];
  }
  get requests() {
    return this.runs.reduce((n, r) => n + r.requests.total, 0);
  }
  get rps() {
    return this.requests / Math.max(0.001, this.runs.reduce((n, r) => n + r.duration, 0));
  }
  /** The worst slice's p99: the one a user would have met. */
  get p99() {
    return Math.max(...this.runs.map((r) => r.latency.p99));
  }
  statuses(): Record<string, number> {
    const all: Record<string, number> = {};
    for (const r of this.runs) for (const [code, n] of Object.entries(statusCounts(r))) all[code] = (all[code] ?? 0) + n;
    return all;
  }
  reportCpu(bench: string, name: string) {
    reportCpu(bench, name, this.cpu, this.requests);
  }
  /** This path against another, round by round: the median and every round's ratio. */
  against(floor: Slices): { median: number; rounds: number[] } {
    const rounds = this.runs.map((r, i) => rps(r) / rps(floor.runs[i]!));
    const sorted = [...rounds].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return { median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, rounds };
  }
}

/** Machine facts for RESULTS.md. */
function machine() {
  const pgVersion = spawnSync('psql', [PG_URL, '-tAc', 'SHOW server_version'], { encoding: 'utf8' }).stdout.trim();
  const pgbench = spawnSync(pgbenchPath(), ['--version'], { encoding: 'utf8' }).stdout.trim();
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    nproc: execFileSync('nproc', { encoding: 'utf8' }).trim(),
    memory: `${fmt(os.totalmem() / 2 ** 30, 1)} GiB`,
    node: process.version,
    postgres: pgVersion,
    pgbench,
    kernel: `${os.type()} ${os.release()}`,
  };
}

function pgbenchPath(): string {
  const debian = '/usr/lib/postgresql/15/bin/pgbench';
  return spawnSync('test', ['-x', debian]).status === 0 ? debian : 'pgbench';
}

// ---------------------------------------------------------------- setup through the API

interface Player {
  id: string;
  token: string;
}

async function signup(base: string, prefix: string, i: number): Promise<Player> {
  const res = await call(base, 'POST', '/api/auth/signup', {
    body: { site_id: `${prefix}_${i}_${randomBytes(2).toString('hex')}`.slice(0, 32), nickname: 'Bench', password: 'bench-password-1' },
  });
  if (res.status !== 201) throw new Error(`signup ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, token: res.body.access_token };
}

async function adminToken(base: string): Promise<string> {
  const res = await call(base, 'POST', '/api/auth/login', { body: ADMIN });
  if (res.status !== 200) throw new Error(`admin login ${res.status}`);
  return res.body.access_token;
}

async function must(res: Promise<{ status: number; body: any }>, ...ok: number[]) {
  const r = await res;
  if (!ok.includes(r.status)) throw new Error(`setup request failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const hour = 3600_000;
const window = () => ({ starts_at: new Date(Date.now() - hour).toISOString(), ends_at: new Date(Date.now() + 24 * hour).toISOString() });

// ---------------------------------------------------------------- a) HTTP floor

async function httpFloor(server: ServerChild, players: Player[]) {
  const port = await freePort();
  const hello = spawn(process.execPath, ['--import', 'tsx', 'bench/hello.ts'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, 30_000, hello);
    await cannon({ url: `http://127.0.0.1:${port}/`, duration: 2 }); // warm-up

    const probe = await call(server.url, 'GET', '/api/dashboard', { token: players[0]!.token });
    if (probe.status === 404 || probe.status === 405) {
      notes.push('GET /api/dashboard is not in this build yet (404): the 304 and 200 paths were not measured; rerun `npm run bench` once the dashboard lands.');
      report({ bench: 'a) HTTP floor', figure: 'GET /api/dashboard', value: 'absent (404)', target: '304 ≥ 60 %, 200 ≥ 30 %' });
      return;
    }
    // Each request takes the next player, so no single answer serves the run. The server keeps
    // the last body per player under its ETag, so after each player's first GET the 200 path is
    // a kept body (see the notes). The requests are static, one per player: autocannon builds
    // their bytes once, as it does for the floor's one request, rather than once per request
    // (a `setupRequest` doubled the load generator's CPU per request on this machine).
    const base = `${server.url}/api/dashboard`;
    const asPlayer = (headers: (p: Player, k: number) => Record<string, string>) =>
      players.map((p, k) => ({ method: 'GET' as const, path: '/api/dashboard', headers: headers(p, k) }));
    const duration = Math.ceil(SECONDS / ROUNDS);
    // Warm-up, as for the floor: each player's first GET builds the body the 200 path then keeps.
    await cannon({ url: base, duration: 2, requests: asPlayer((p) => ({ authorization: `Bearer ${p.token}` })) });
    const floor = new Slices(hello.pid);
    const ok = new Slices(server.child.pid);
    const notModified = new Slices(server.child.pid);
    for (let round = 0; round < ROUNDS; round++) {
      await floor.run(() => cannon({ url: `http://127.0.0.1:${port}/`, duration }));
      await ok.run(() => cannon({ url: base, duration, requests: asPlayer((p) => ({ authorization: `Bearer ${p.token}` })) }));
      // The tag holds the minute: start the slice where it fits in one minute, with the tags read
      // just before, or the rest of it would be 200s for a changed tag.
      const intoMinute = Date.now() % 60_000;
      if (intoMinute > 60_000 - (duration + 3) * 1000) await sleep(60_000 - intoMinute + 200);
      const etags = await Promise.all(players.map(async (p) => (await call(server.url, 'GET', '/api/dashboard', { token: p.token })).headers.get('etag') ?? ''));
      await notModified.run(() =>
        cannon({ url: base, duration, requests: asPlayer((p, k) => ({ authorization: `Bearer ${p.token}`, 'if-none-match': etags[k]! })) }),
      );
    }
    const bench = 'a) HTTP floor';
    const ratio = ({ median, rounds }: { median: number; rounds: number[] }) => `${pct(median)} (${rounds.map((r) => fmt(r * 100, 1)).join(' / ')})`;
    floor.reportCpu(bench, 'hello world');
    ok.reportCpu(bench, 'dashboard 200');
    notModified.reportCpu(bench, 'dashboard 304');
    report({ bench, figure: `Fastify hello world req/s (${ROUNDS} rounds of ${duration} s)`, value: fmt(floor.rps) });
    report({ bench, figure: 'Fastify hello world p99 ms', value: fmt(floor.p99, 1) });
    const codes304 = notModified.statuses();
    const r304 = notModified.against(floor);
    const r200 = ok.against(floor);
    report({ bench, figure: `dashboard 304 req/s (statuses ${JSON.stringify(codes304)})`, value: fmt(notModified.rps) });
    report({ bench, figure: 'dashboard 304 / floor, median (each round)', value: ratio(r304), target: '≥ 60 %', ok: r304.median >= 0.6 && (codes304['304'] ?? 0) > 0 });
    report({ bench, figure: 'dashboard 304 p99 ms', value: fmt(notModified.p99, 1) });
    notes.push(
      'Dashboard 200 path: the server answers the body it built last for the same player, versions and minute (a tag names one body). A body built from scratch is nine queries; before bodies were kept that path measured 330 req/s (0.6 % of the floor) on this machine.',
      `HTTP floor: the hello world, the 200 path and the 304 path take turns, ${ROUNDS} rounds of ${duration} s each; a ratio is the median of its rounds' ratios (each round's in brackets), p99 the worst round's. This machine's speed drifts by tens of percent between minutes, so only neighbouring slices are compared.`,
    );
    report({ bench, figure: `dashboard 200 req/s (statuses ${JSON.stringify(ok.statuses())})`, value: fmt(ok.rps) });
    report({ bench, figure: 'dashboard 200 / floor, median (each round)', value: ratio(r200), target: '≥ 30 %', ok: r200.median >= 0.3 });
    report({ bench, figure: 'dashboard 200 p99 ms', value: fmt(ok.p99, 1) });
  } finally {
    hello.kill('SIGTERM');
  }
}

// ---------------------------------------------------------------- b) database floor

const PGBENCH_SCHEMA = `
  CREATE TABLE pgb_accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
  CREATE TABLE pgb_transactions (id bigserial PRIMARY KEY, kind text NOT NULL, reference uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE pgb_entries (id bigserial PRIMARY KEY, transaction_id bigint NOT NULL, owner int NOT NULL, amount bigint NOT NULL);
  INSERT INTO pgb_accounts SELECT g, 1000000000 FROM generate_series(1, ${PLAYERS}) g;`;

// Shaped like a purchase: lock the wallet row, update it, insert three rows (transaction and two entries).
const PGBENCH_SCRIPT = `\\set aid random(1, ${PLAYERS})
BEGIN;
SELECT balance FROM pgb_accounts WHERE id = :aid FOR UPDATE;
UPDATE pgb_accounts SET balance = balance - 1 WHERE id = :aid;
INSERT INTO pgb_transactions (kind, reference) VALUES ('purchase', gen_random_uuid());
INSERT INTO pgb_entries (transaction_id, owner, amount) VALUES (currval('pgb_transactions_id_seq'), :aid, -1);
INSERT INTO pgb_entries (transaction_id, owner, amount) VALUES (currval('pgb_transactions_id_seq'), 0, 1);
END;
`;

// The same transaction three ways, to show what announcing a live update costs its commit
// (migration 0017): not at all, by a NOTIFY inside it, or collected and NOTIFYed after COMMIT in
// the same round trip, as the server's transactions do. Simple protocol for all three: the last
// sends BEGIN and COMMIT with a second statement each, which prepared statements cannot hold.
const ANNOUNCE_VARIANTS: { name: string; begin: string; announce: string; end: string }[] = [
  { name: 'no announcement', begin: 'BEGIN;', announce: '', end: 'END;' },
  { name: 'NOTIFY in the transaction', begin: 'BEGIN;', announce: "SELECT pg_notify('pgb_bench', 'x' || :aid);", end: 'END;' },
  {
    name: 'announced after COMMIT (0017)',
    begin: 'BEGIN\\; SET LOCAL playloop.defer_notify = on;',
    announce: "SELECT playloop_announce('pgb_bench', 'x' || :aid);",
    end: 'END\\; SELECT playloop_publish_changes();',
  },
];

/**
 * One pgbench run of `script` (CONNECTIONS clients, 2 threads) from a scratch directory: its tps
 * and, with `latencies`, every transaction's latency in ms from pgbench's per-transaction log.
 */
function runPgbench(dbUrl: string, script: string, opts: { mode: 'prepared' | 'simple'; seconds: number; latencies?: boolean }): { tps: number; latenciesMs: number[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playloop-pgbench-'));
  try {
    const file = path.join(dir, 'script.sql');
    writeFileSync(file, script);
    const log = opts.latencies ? ['-l', '--log-prefix', path.join(dir, 'log')] : [];
    const out = execFileSync(
      pgbenchPath(),
      ['-n', '-M', opts.mode, '-c', String(CONNECTIONS), '-j', '2', '-T', String(opts.seconds), '-f', file, ...log, dbUrl],
      { encoding: 'utf8', cwd: dir },
    );
    // Per-transaction log: client_id transaction_no time(µs) script_no time_epoch time_us
    const latenciesMs: number[] = [];
    for (const f of readdirSync(dir).filter((f) => f.startsWith('log'))) {
      for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (Number.isFinite(us) && line) latenciesMs.push(us / 1000);
      }
    }
    return { tps: Number(/tps = ([\d.]+)/.exec(out)?.[1]), latenciesMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function announceCost(dbUrl: string): { name: string; tps: number }[] {
  const seconds = Math.max(3, Math.ceil(SECONDS / 2));
  return ANNOUNCE_VARIANTS.map((v) => ({
    name: v.name,
    tps: runPgbench(dbUrl, PGBENCH_SCRIPT.replace('BEGIN;', v.begin).replace('END;', `${v.announce}\n${v.end}`), { mode: 'simple', seconds }).tps,
  }));
}

async function pgbenchFloor(dbUrl: string): Promise<{ tps: number; p99: number; machineCpuUs: number }> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  await client.query(PGBENCH_SCHEMA);
  await client.end();
  const cpu = cpuMeter(undefined);
  const { tps, latenciesMs } = runPgbench(dbUrl, PGBENCH_SCRIPT, { mode: 'prepared', seconds: SECONDS, latencies: true });
  const machineSeconds = cpu().machine;
  return { tps, p99: percentile(latenciesMs, 99), machineCpuUs: (machineSeconds / Math.max(1, latenciesMs.length)) * 1e6 };
}

async function makeSku(base: string, admin: string, overrides: Record<string, unknown> = {}): Promise<string> {
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

async function fund(base: string, admin: string, player: Player, soft: number) {
  await must(
    call(base, 'POST', '/api/rewards/distribute', {
      token: admin,
      headers: { 'x-idempotency-key': `fund-${player.id}-${soft}-${randomBytes(3).toString('hex')}` },
      body: { user_id: player.id, bundle: { currencies: { soft } }, reason: 'bench funding' },
    }),
    201,
  );
}

async function databaseFloor(server: ServerChild, dbUrl: string, admin: string, players: Player[]) {
  const floor = await pgbenchFloor(dbUrl);
  report({ bench: 'b) DB floor', figure: `pgbench purchase-shaped script tps (${CONNECTIONS} clients)`, value: fmt(floor.tps) });
  report({ bench: 'b) DB floor', figure: 'pgbench p99 ms', value: fmt(floor.p99, 1) });
  // pgbench's backends have exited by the time it returns, so only the machine's total is known.
  report({ bench: 'b) DB floor', figure: 'pgbench: CPU µs per transaction, machine (pgbench and PostgreSQL)', value: fmt(floor.machineCpuUs) });
  for (const { name, tps } of announceCost(dbUrl)) report({ bench: 'b) DB floor', figure: `pgbench, simple protocol, ${name}: tps`, value: fmt(tps) });

  const sku = await makeSku(server.url, admin);
  await mapLimit(players, 10, (p) => fund(server.url, admin, p, 100_000_000));
  let i = 0;
  const buy = await measured('b) DB floor', 'purchase', server.child.pid, () =>
    cannon({
      url: `${server.url}/api/shop/purchase`,
      method: 'POST',
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            method: 'POST',
            headers: { authorization: `Bearer ${players[i++ % players.length]!.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ sku_id: sku }),
          }),
        },
      ],
    }),
  );
  const buyCodes = statusCounts(buy);
  const buyRatio = rps(buy) / floor.tps;
  report({ bench: 'b) DB floor', figure: `POST /api/shop/purchase req/s ${JSON.stringify(buyCodes)}`, value: fmt(rps(buy)) });
  report({ bench: 'b) DB floor', figure: 'purchase / pgbench', value: pct(buyRatio), target: '≥ 45 %', ok: buyRatio >= 0.45 && Object.keys(buyCodes).every((c) => c === '201') });
  report({ bench: 'b) DB floor', figure: 'purchase p50 / p99 ms', value: `${fmt(buy.latency.p50, 1)} / ${fmt(buy.latency.p99, 1)}` });

  // Claims: 40 client-reportable events, every player joined and complete, then one claim per pair.
  const events = await mapLimit(Array.from({ length: 40 }, (_, k) => k), 5, async (k) =>
    (
      await must(
        call(server.url, 'POST', '/api/admin/events', {
          token: admin,
          body: {
            key: `bench_claim_${runId}_${k}`,
            title: 'Bench claim',
            type: 'limited',
            ...window(),
            rules: { metric: 'games_played', target: 1, client_reportable: true },
            reward_bundle: { currencies: { soft: 10 }, exp: 5 },
          },
        }),
        201,
      )
    ).id as string,
  );
  // Event-major, so the requests in flight at once are different players' claims: one player's
  // claims take turns on their accounts by design, which is the hot-spot bench's subject, not this one's.
  const pairs = events.flatMap((e) => players.map((p) => ({ p, e })));
  await mapLimit(pairs, CONNECTIONS, async ({ p, e }) => {
    await must(call(server.url, 'POST', `/api/events/${e}/participate`, { token: p.token }), 201, 200);
    await must(call(server.url, 'POST', `/api/events/${e}/progress`, { token: p.token, body: { metric: 'games_played', delta: 1 } }), 200);
  });
  let n = 0;
  const claims = await measured('b) DB floor', 'claim', server.child.pid, () =>
    cannon({
      url: server.url,
      amount: pairs.length,
      // A run bounded by a count ends at the next sample tick: at the default 1 s ticks its
      // duration, and so its rate, would be rounded up to whole seconds.
      sampleInt: 10,
      requests: [
        {
          setupRequest: (req) => {
            const { p, e } = pairs[n++ % pairs.length]!;
            return { ...req, method: 'POST', path: `/api/events/${e}/claim`, headers: { authorization: `Bearer ${p.token}` } };
          },
        },
      ],
    }),
  );
  const claimCodes = statusCounts(claims);
  const claimRatio = rps(claims) / floor.tps;
  report({ bench: 'b) DB floor', figure: `POST /api/events/{id}/claim req/s ${JSON.stringify(claimCodes)}`, value: fmt(rps(claims)) });
  report({ bench: 'b) DB floor', figure: 'claim / pgbench', value: pct(claimRatio), target: '≥ 45 %', ok: claimRatio >= 0.45 && Object.keys(claimCodes).every((c) => c === '200') });
  report({ bench: 'b) DB floor', figure: 'claim p50 / p99 ms', value: `${fmt(claims.latency.p50, 1)} / ${fmt(claims.latency.p99, 1)}` });
}

// ---------------------------------------------------------------- c) hot spot

async function hotSpot(server: ServerChild, admin: string) {
  const player = await signup(server.url, 'hot', 0);
  // The 1000 signup bonus covers exactly 200 purchases at 5: the rest of the run is 402s.
  const sku = await makeSku(server.url, admin, { price: 5 });
  const result = await cannon({
    url: `${server.url}/api/shop/purchase`,
    connections: 100,
    method: 'POST',
    headers: { authorization: `Bearer ${player.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sku_id: sku }),
  });
  const codes = statusCounts(result);
  const errors = Object.entries(codes).filter(([c]) => c !== '201' && c !== '402').reduce((s, [, v]) => s + v, 0) + result.errors + result.timeouts;
  report({ bench: 'c) hot spot', figure: `100 conns, one wallet: req/s ${JSON.stringify(codes)}`, value: fmt(rps(result)) });
  report({ bench: 'c) hot spot', figure: '201 purchases/s', value: fmt((codes['201'] ?? 0) / result.duration) });
  report({ bench: 'c) hot spot', figure: 'p50 / p99 ms', value: `${fmt(result.latency.p50, 1)} / ${fmt(result.latency.p99, 1)}` });
  report({ bench: 'c) hot spot', figure: 'errors (not 201/402, socket errors, timeouts)', value: String(errors), target: '0', ok: errors === 0 });
  report({ bench: 'c) hot spot', figure: 'purchases granted (wallet covers exactly 200)', value: String(codes['201'] ?? 0), target: '= 200', ok: (codes['201'] ?? 0) === 200 });
}

// ---------------------------------------------------------------- d) session end

async function sessionEnd(server: ServerChild, admin: string) {
  for (let k = 0; k < 10; k++) {
    await must(
      call(server.url, 'POST', '/api/admin/events', {
        token: admin,
        body: { key: `bench_play_${runId}_${k}`, title: 'Bench play', type: 'limited', ...window(), rules: { metric: k % 2 ? 'games_played' : 'score_total', target: 1_000_000_000 }, reward_bundle: { exp: 1 } },
      }),
      201,
    );
  }
  for (let k = 0; k < 6; k++) {
    await must(
      call(server.url, 'POST', '/api/admin/missions', {
        token: admin,
        body: { key: `bench_m_${runId}_${k}`, title: 'Bench mission', period: k < 3 ? 'daily' : 'weekly', rules: { metric: k % 2 ? 'games_played' : 'play_seconds', target: 1_000_000_000 }, reward_bundle: { exp: 1 } },
      }),
      201,
    );
  }
  const players = await mapLimit(Array.from({ length: CONNECTIONS }, (_, i) => i), 5, (i) => signup(server.url, 'play', i));
  const active = (await call(server.url, 'GET', '/api/events?active=true', { token: players[0]!.token })).body.items.filter((e: { key: string }) => e.key.startsWith(`bench_play_${runId}`));
  if (active.length !== 10) throw new Error(`expected 10 active bench events, got ${active.length}`);
  await mapLimit(players, 5, async (p) => {
    for (const e of active) await must(call(server.url, 'POST', `/api/events/${e.id}/participate`, { token: p.token }), 201, 200);
  });

  // One worker per player: start a session, end it; only the end is timed.
  const latencies: number[] = [];
  let updates = 0;
  let failures = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    players.map(async (p) => {
      while (performance.now() < deadline) {
        const s = await call(server.url, 'POST', '/api/game/sessions/start', { token: p.token, body: { game_type: 'reaction' } });
        if (s.status !== 201) {
          failures++;
          continue;
        }
        const t0 = performance.now();
        const e = await call(server.url, 'POST', `/api/game/sessions/${s.body.session_id}/end`, { token: p.token, body: { score: 100, duration: 1 } });
        latencies.push(performance.now() - t0);
        if (e.status !== 200) failures++;
        else updates += e.body.progress_updates.length;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  report({ bench: 'd) session end', figure: `ends/s (${CONNECTIONS} players, start+end loop)`, value: fmt(latencies.length / elapsed) });
  report({ bench: 'd) session end', figure: 'progress updates per end (10 events + 6 missions)', value: fmt(updates / Math.max(1, latencies.length - failures), 1) });
  report({ bench: 'd) session end', figure: 'end p50 / p99 ms', value: `${fmt(percentile(latencies, 50), 1)} / ${fmt(percentile(latencies, 99), 1)}` });
  report({ bench: 'd) session end', figure: 'failed starts/ends', value: String(failures), target: '0', ok: failures === 0 });
}

// ---------------------------------------------------------------- e) pipeline: bench/pipeline.ts

// ---------------------------------------------------------------- f) start time

const ANALYTICS = process.env.CLICKHOUSE_URL ? 'ClickHouse server' : 'embedded chDB';

/**
 * The same server with the embedded analytics store instead of the ClickHouse server, at rest:
 * chDB runs inside the server process, and its library alone is about 150 MiB of it.
 */
async function embeddedAnalyticsRss(dbUrl: string) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'playloop-bench-chdb-'));
  const server = await startServer({ DATABASE_URL: dbUrl, DATA_DIR: dataDir, CLICKHOUSE_URL: '', JWT_SECRET: randomBytes(32).toString('hex') }, { nodeArgs: NODE_ARGS });
  try {
    await sleep(1000);
    report({ bench: 'f) memory', figure: 'server RSS at rest MiB (same database; analytics: embedded chDB)', value: fmt(rssMiB(server.child.pid!), 1) });
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startTime() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'playloop-start-'));
  const port = await freePort();
  try {
    const t0 = performance.now();
    const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdio: 'ignore', detached: true });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000, child);
      report({ bench: 'f) start', figure: '`npm start` to /readyz 200, first start (PGlite, migrate, seed)', value: `${fmt((performance.now() - t0) / 1000, 2)} s` });
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const t1 = performance.now();
    const again = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdio: 'ignore', detached: true });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000, again);
      report({ bench: 'f) start', figure: '`npm start` to /readyz 200, restart (same DATA_DIR)', value: `${fmt((performance.now() - t1) / 1000, 2)} s` });
    } finally {
      process.kill(-again.pid!, 'SIGTERM');
      await new Promise((r) => again.once('exit', r));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const facts = machine();
  console.log(`machine: ${JSON.stringify(facts)}\n`);
  const dbName = `playloop_bench_${runId}`;
  const pipeName = `playloop_bench_pipe_${runId}`;
  await adminQuery(PG_URL, `CREATE DATABASE ${dbName}`);
  await adminQuery(PG_URL, `CREATE DATABASE ${pipeName}`);
  const dbUrl = withDatabase(PG_URL, dbName);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'playloop-bench-data-'));
  let server: ServerChild | undefined;
  try {
    const t0 = performance.now();
    server = await startServer({ DATABASE_URL: dbUrl, DATA_DIR: dataDir, ADMIN_SITE_ID: ADMIN.site_id, ADMIN_PASSWORD: ADMIN.password, JWT_SECRET: randomBytes(32).toString('hex') }, { nodeArgs: NODE_ARGS });
    report({ bench: 'f) start', figure: 'server on PostgreSQL to /healthz 200 (fresh db)', value: `${fmt((performance.now() - t0) / 1000, 2)} s` });
    const pid = server.child.pid!;
    const admin = await adminToken(server.url);
    const players = await mapLimit(Array.from({ length: PLAYERS }, (_, i) => i), 5, (i) => signup(server!.url, 'b', i));
    await sleep(1000);
    report({ bench: 'f) memory', figure: `server RSS at rest MiB (after setup; analytics: ${ANALYTICS})`, value: fmt(rssMiB(pid), 1) });

    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 250);
    try {
      if (phase('http')) await httpFloor(server, players);
      if (phase('db')) await databaseFloor(server, dbUrl, admin, players);
      if (phase('hotspot')) await hotSpot(server, admin);
      if (phase('session')) await sessionEnd(server, admin);
    } finally {
      clearInterval(sampler);
    }
    report({ bench: 'f) memory', figure: 'server RSS peak under load MiB', value: fmt(peak, 1) });
    await sleep(3000);
    report({ bench: 'f) memory', figure: 'server RSS 3 s after load MiB', value: fmt(rssMiB(pid), 1) });

    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'apps/server/src/cli/ledger-verify.ts'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: dbUrl }, encoding: 'utf8' });
    report({ bench: 'ledger', figure: 'ledger:verify after all runs', value: verify.status === 0 ? 'clean' : 'VIOLATIONS', ok: verify.status === 0 });
    if (verify.status !== 0) notes.push(`ledger:verify: ${verify.stdout.slice(0, 1000)} ${verify.stderr.slice(0, 1000)}`);
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (process.env.CLICKHOUSE_URL) await embeddedAnalyticsRss(dbUrl);
  if (phase('pipeline')) await (await import('./pipeline.ts')).pipelineBench(withDatabase(PG_URL, pipeName), { report, notes });
  if (phase('start')) await startTime();
  await adminQuery(PG_URL, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await adminQuery(PG_URL, `DROP DATABASE IF EXISTS ${pipeName} WITH (FORCE)`);
  if (!ONLY) writeResults(facts);
}

function writeResults(facts: Record<string, string>) {
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString()}. Ratios are measured side by side in one run;`,
    'absolute figures on this machine are noisy, ratios less so. The load generator (autocannon, pgbench) runs on the same',
    'cores as the server and PostgreSQL.',
    '',
    '## Machine',
    '',
    ...Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`),
    '',
    `## Setup`,
    '',
    `- ${SECONDS} s per timed run, ${CONNECTIONS} connections (the server's default PostgreSQL pool is 20), 100 for the hot spot.`,
    '- The server is `apps/server/src/main.ts` in its own node process with `LOG_LEVEL=warn` (per-request info logs off), on a throwaway database of the local PostgreSQL, listening on 127.0.0.1.',
    '- pgbench runs the same shape as a purchase: lock a wallet row, update it, insert a transaction and two entries (`-M prepared`, same connection count).',
    '',
    '## Figures',
    '',
    '| bench | figure | value | target | |',
    '| --- | --- | ---: | --- | --- |',
    ...rows.map((r) => `| ${r.bench} | ${r.figure.replaceAll('|', '\\|')} | ${r.value} | ${r.target ?? ''} | ${r.ok === undefined ? '' : r.ok ? 'met' : '**missed**'} |`),
    '',
    ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
  ];
  writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), lines.join('\n'));
  console.log('\nwrote bench/RESULTS.md');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
