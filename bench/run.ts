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
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminQuery, mapLimit, ROOT, rssMiB, sleep, startServer, withDatabase, type ServerChild } from './lib.ts';
import { ADMIN, adminToken, CONNECTIONS, fmt, NODE_ARGS, notes, PG_URL, pgbenchPath, PLAYERS, report, rows, runId, SECONDS, signup } from './context.ts';
import { httpFloor } from './http-floor.ts';
import { databaseFloor } from './database-floor.ts';
import { hotSpot } from './hot-spot.ts';
import { sessionEnd } from './session-end.ts';
import { ANALYTICS, embeddedAnalyticsRss, startTime } from './start-and-memory.ts';

const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const phase = (name: string) => !ONLY || ONLY.has(name);

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

async function main() {
  const facts = machine();
  console.log(`machine: ${JSON.stringify(facts)}\n`);
  const dbName = `playloop_bench_${runId}`;
  const pipeName = `playloop_bench_pipe_${runId}`;
  await adminQuery(PG_URL, `CREATE DATABASE ${dbName}`);
  await adminQuery(PG_URL, `CREATE DATABASE ${pipeName}`);
  // Dropped however the run ends: a phase that fails must not leave databases on the server.
  try {
    await runPhases(withDatabase(PG_URL, dbName), withDatabase(PG_URL, pipeName));
  } finally {
    await adminQuery(PG_URL, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await adminQuery(PG_URL, `DROP DATABASE IF EXISTS ${pipeName} WITH (FORCE)`);
  }
  if (!ONLY) writeResults(facts);
}

/** Every phase BENCH_ONLY leaves in, in order, on the two throwaway databases. */
async function runPhases(dbUrl: string, pipeUrl: string) {
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
  if (phase('pipeline')) await (await import('./pipeline.ts')).pipelineBench(pipeUrl, { report, notes });
  if (phase('start')) await startTime();
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
