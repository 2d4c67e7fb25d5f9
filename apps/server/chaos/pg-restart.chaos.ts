import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freePort, sleep, startServer, type ServerChild } from '../../../bench/lib.ts';

// A throwaway PostgreSQL cluster this file starts itself (initdb + pg_ctl on a free port, in a
// temporary folder), never the machine's shared server. It is stopped under load: clients get
// 503 problem+json UNAVAILABLE promptly, not hangs; after it comes back the server recovers alone.
const BIN = '/usr/lib/postgresql/15/bin';
let dir: string;
let pgdata: string;
let port: number;
let server: ServerChild | undefined;
const asRoot = userInfo().uid === 0;

/** Runs a PostgreSQL tool as the postgres user (it refuses to run as root). */
function pgTool(tool: string, args: string[]) {
  const cmd = asRoot ? ['runuser', '-u', 'postgres', '--', path.join(BIN, tool), ...args] : [path.join(BIN, tool), ...args];
  return execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}
const pgStart = () => pgTool('pg_ctl', ['-D', pgdata, '-l', path.join(dir, 'pg.log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
const pgStop = () => pgTool('pg_ctl', ['-D', pgdata, '-m', 'fast', '-w', 'stop']);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'playloop-chaos-pg-'));
  chmodSync(dir, 0o755);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  pgdata = path.join(dir, 'data');
  port = await freePort();
  pgTool('initdb', ['-D', pgdata, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  pgStart();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  server = await startServer({ DATABASE_URL: url, DATA_DIR: path.join(dir, 'app'), JWT_SECRET: randomBytes(32).toString('hex') });
}, 120_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  try {
    pgStop();
  } catch {
    // already stopped
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL restarted under load', () => {
  it('answers 503 UNAVAILABLE while it is down, and recovers by itself', async () => {
    const base = server!.url;
    const signup = await call(base, 'POST', '/api/auth/signup', { body: { site_id: `pgr_${randomBytes(3).toString('hex')}`, nickname: 'P', password: 'pg-restart-pass' } });
    expect(signup.status).toBe(201);
    const token = signup.body.access_token as string;

    // Load: reads and writes in a loop, each with a hard client timeout so a hang shows as one.
    let phase: 'up' | 'down' | 'back' = 'up';
    let stop = false;
    const seen: { phase: string; status: number | 'hang' | 'error'; code?: string; ms: number }[] = [];
    const worker = async (i: number) => {
      while (!stop) {
        const t0 = performance.now();
        const at = phase;
        try {
          const r = i % 2
            ? await call(base, 'GET', '/api/rewards/history', { token, timeoutMs: 15_000 })
            : await call(base, 'POST', '/api/game/sessions/start', { token, body: { game_type: 'lucky_dice' }, timeoutMs: 15_000 });
          seen.push({ phase: at, status: r.status, code: r.body?.code, ms: performance.now() - t0 });
          if (r.status === 201) await call(base, 'POST', `/api/game/sessions/${r.body.session_id}/end`, { token, body: { duration: 0 }, timeoutMs: 15_000 }).catch(() => {});
        } catch (err) {
          seen.push({ phase: at, status: (err as Error).name === 'TimeoutError' ? 'hang' : 'error', ms: performance.now() - t0 });
        }
        await sleep(20);
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, i) => worker(i)));
    await sleep(1_500);
    pgStop();
    phase = 'down';
    await sleep(4_000);
    // The process must live through it (an unhandled 'error' from a lost connection would end it).
    expect(server!.child.exitCode, server!.output()).toBeNull();
    const ready = await call(base, 'GET', '/readyz', { timeoutMs: 10_000 });
    expect(ready.status).toBe(503);
    const during = await call(base, 'GET', '/api/rewards/history', { token, timeoutMs: 10_000 });
    expect(during.status).toBe(503);
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(during.body.code).toBe('UNAVAILABLE');

    pgStart();
    phase = 'back';
    // Recovers by itself: no restart of the server, within a few seconds.
    const deadline = Date.now() + 20_000;
    let recovered = false;
    while (Date.now() < deadline && !recovered) {
      const r = await call(base, 'GET', '/readyz', { timeoutMs: 5_000 }).catch(() => undefined);
      recovered = r?.status === 200;
      if (!recovered) await sleep(200);
    }
    expect(recovered).toBe(true);
    await sleep(2_000);
    stop = true;
    await load;

    const down = seen.filter((s) => s.phase === 'down');
    expect(down.length).toBeGreaterThan(0);
    // Every answer while the database was away is a 503 UNAVAILABLE problem; nothing hangs, no 500.
    for (const s of seen) {
      expect(s.status, JSON.stringify(s)).not.toBe('hang');
      expect(s.status, JSON.stringify(s)).not.toBe('error');
      if (typeof s.status === 'number' && s.status >= 500) expect(s, JSON.stringify(s)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    }
    expect(Math.max(...down.map((s) => s.ms))).toBeLessThan(10_000);
    // After recovery, requests succeed again.
    const lastBack = seen.filter((s) => s.phase === 'back').slice(-6);
    expect(lastBack.every((s) => s.status === 200 || s.status === 201 || s.status === 409)).toBe(true);
    const after = await call(base, 'GET', '/api/rewards/history', { token });
    expect(after.status).toBe(200);
  });
});
