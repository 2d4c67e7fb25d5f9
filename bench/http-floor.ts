/** a) The HTTP floor: a bare Fastify hello world against GET /api/dashboard's 304 and 200 paths, in turns. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { call, cpuMeter, freePort, ROOT, sleep, waitForHttp, type CpuSplit, type ServerChild } from './lib.ts';
import { cannon, fmt, notes, pct, report, reportCpu, ROUNDS, rps, SECONDS, statusCounts, type Cannon, type Player } from './context.ts';

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

export async function httpFloor(server: ServerChild, players: Player[]) {
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
