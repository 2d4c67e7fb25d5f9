/** b) The database floor: pgbench shaped like a purchase against purchases and event claims through the API. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { call, cpuMeter, mapLimit, percentile, type ServerChild } from './lib.ts';
import { cannon, CONNECTIONS, fmt, makeSku, measured, must, pct, pgbenchPath, PLAYERS, report, rps, runId, SECONDS, statusCounts, window, type Player } from './context.ts';

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

export async function databaseFloor(server: ServerChild, dbUrl: string, admin: string, players: Player[]) {
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
