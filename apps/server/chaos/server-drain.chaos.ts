import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { call, mapLimit, sleep, startServer } from '../../../bench/lib.ts';
import { verifyLedger } from '../src/modules/wallet/verify.ts';
import { serverProcessSetup } from './server-process.ts';

// A rolling deploy: the real server process (node --import tsx apps/server/src/main.ts) gets
// SIGTERM in the middle of a purchase storm from keep-alive clients, which then go quiet. It must
// stop by itself, at once and with exit code 0 (not by its 10 s safety timer), answer every request
// it took, refuse the rest as problems, and leave every answered purchase in the database and no other.
const ADMIN = { site_id: 'chaos_admin', password: 'chaos-admin-password' };
const setup = serverProcessSetup('drain');

describe('server SIGTERMed during a purchase storm', () => {
  it('exits 0 on its own, answers or refuses every request, and every 201 is a purchase in the database', async () => {
    const server = (setup.server = await startServer({ DATABASE_URL: setup.url, DATA_DIR: setup.dataDir, JWT_SECRET: randomBytes(32).toString('hex'), ADMIN_SITE_ID: ADMIN.site_id, ADMIN_PASSWORD: ADMIN.password }));
    const base = server.url;
    const admin = (await call(base, 'POST', '/api/auth/login', { body: ADMIN })).body.access_token as string;
    const players = await mapLimit(Array.from({ length: 20 }, (_, i) => i), 5, async (i) => {
      const res = await call(base, 'POST', '/api/auth/signup', { body: { site_id: `drain_${i}_${randomBytes(2).toString('hex')}`, nickname: 'D', password: 'drain-password-1' } });
      expect(res.status).toBe(201);
      return res.body.access_token as string;
    });
    const sku = await call(base, 'POST', '/api/admin/shop/skus', {
      token: admin,
      body: { sku_id: 'drain_sku', name: 'Drain', price: 7, currency_type: 'soft', bundle: { exp: 1, items: [{ item_id: 'drain_token', quantity: 1 }] } },
    });
    expect(sku.status).toBe(201);

    let stop = false;
    const statuses: Record<string, number> = {};
    const answered: string[] = [];
    const storm = Promise.all(
      players.map(async (token) => {
        while (!stop) {
          try {
            const r = await call(base, 'POST', '/api/shop/purchase', { token, body: { sku_id: 'drain_sku' }, timeoutMs: 15_000 });
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 201) answered.push(r.body.purchase_id as string);
            if (r.status === 503) {
              expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
              expect(r.body).toMatchObject({ code: 'UNAVAILABLE' });
            }
          } catch {
            // Refused at connect once the server stopped listening: it never saw the request.
            statuses.refused = (statuses.refused ?? 0) + 1;
            await sleep(20);
          }
        }
      }),
    );
    await sleep(2_000);
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    // The clients send nothing more, as when a load balancer has moved them: each waits for the
    // answer it has in flight and keeps its connection. Those connections must not hold the close.
    stop = true;
    await storm;
    const code = await exited;

    console.log(`drain: exit ${code}, statuses ${JSON.stringify(statuses)}`);
    // The safety timer in main.ts exits 1 after 10 s: 0 means the close finished by itself.
    expect(code, server.output().slice(-2000)).toBe(0);
    expect(Object.keys(statuses).every((s) => ['201', '402', '503', 'refused'].includes(s)), JSON.stringify(statuses)).toBe(true);
    expect(statuses['201'] ?? 0).toBeGreaterThan(20);

    expect(await verifyLedger(setup.observer.db)).toEqual([]);
    // What the clients were told is what the database holds: no answered purchase missing, none
    // committed behind a refusal.
    const succeeded = await sql<{ id: string }>`SELECT id::text FROM purchases WHERE status = 'succeeded'`.execute(setup.observer.db);
    expect(succeeded.rows.map((r) => r.id).sort()).toEqual([...answered].sort());
  });
});
