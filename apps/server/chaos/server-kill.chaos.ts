import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { call, mapLimit, sleep, startServer } from '../../../bench/lib.ts';
import { verifyLedger } from '../src/modules/wallet/verify.ts';
import { serverProcessSetup } from './server-process.ts';

// The real server process (node --import tsx apps/server/src/main.ts) SIGKILLed in the middle of
// a purchase storm, then started again on the same database: every transaction either happened
// whole or not at all.
const ADMIN = { site_id: 'chaos_admin', password: 'chaos-admin-password' };
const setup = serverProcessSetup('kill');

describe('server SIGKILLed during a purchase storm', () => {
  it('leaves no purchase without its debit and no debit without its purchase; the restarted server serves on', async () => {
    // One secret across both lives of the server, so tokens stay valid after the restart.
    const env = { DATABASE_URL: setup.url, DATA_DIR: setup.dataDir, JWT_SECRET: randomBytes(32).toString('hex'), ADMIN_SITE_ID: ADMIN.site_id, ADMIN_PASSWORD: ADMIN.password };
    let server = (setup.server = await startServer(env));
    const base = server.url;
    const admin = (await call(base, 'POST', '/api/auth/login', { body: ADMIN })).body.access_token as string;
    const players = await mapLimit(Array.from({ length: 20 }, (_, i) => i), 5, async (i) => {
      const res = await call(base, 'POST', '/api/auth/signup', { body: { site_id: `kill_${i}_${randomBytes(2).toString('hex')}`, nickname: 'K', password: 'kill-password-1' } });
      expect(res.status).toBe(201);
      return { id: res.body.user.id as string, token: res.body.access_token as string };
    });
    const skuRes = await call(base, 'POST', '/api/admin/shop/skus', {
      token: admin,
      body: { sku_id: 'kill_sku', name: 'Kill', price: 7, currency_type: 'soft', bundle: { currencies: { premium: 1 }, exp: 1, items: [{ item_id: 'kill_token', quantity: 1 }] } },
    });
    expect(skuRes.status).toBe(201);
    const limited = await call(base, 'POST', '/api/admin/shop/skus', {
      token: admin,
      body: { sku_id: 'kill_limited', name: 'Kill limited', price: 3, currency_type: 'soft', segment: 'limited', stock: 500, bundle: { exp: 1 } },
    });
    expect(limited.status).toBe(201);

    // The storm: 20 players buying in a loop; the process dies under it after a while.
    let stop = false;
    const statuses: Record<string, number> = {};
    const storm = Promise.all(
      players.map(async (p, i) => {
        while (!stop) {
          try {
            const r = await call(base, 'POST', '/api/shop/purchase', { token: p.token, body: { sku_id: i % 2 ? 'kill_sku' : 'kill_limited' }, timeoutMs: 5_000 });
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          } catch {
            statuses.dropped = (statuses.dropped ?? 0) + 1;
            await sleep(20);
          }
        }
      }),
    );
    await sleep(2_500);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
    await sleep(500);
    stop = true;
    await storm;
    expect(statuses['201'] ?? 0).toBeGreaterThan(20);
    expect(statuses.dropped ?? 0).toBeGreaterThan(0);

    // Straight after the crash, before anything repairs anything.
    expect(await verifyLedger(setup.observer.db)).toEqual([]);

    server = setup.server = await startServer(env);
    // The restarted server takes purchases again, with the old tokens.
    const after = await Promise.all(players.slice(0, 6).map((p) => call(server.url, 'POST', '/api/shop/purchase', { token: p.token, body: { sku_id: 'kill_sku' } })));
    for (const r of after) expect([201, 402]).toContain(r.status);
    expect(after.some((r) => r.status === 201)).toBe(true);

    expect(await verifyLedger(setup.observer.db)).toEqual([]);
    const db = setup.observer.db;
    // Each succeeded purchase: one debit of its total, one grant; each purchase transaction: one succeeded purchase.
    const orphans = await sql<Record<string, unknown>>`
      SELECT p.id FROM purchases p WHERE p.status = 'succeeded' AND (
        (SELECT count(*) FROM reward_grants g WHERE g.grant_key = 'shop:purchase:' || p.id::text) <> 1
        OR (SELECT count(*) FROM ledger_entries e WHERE e.transaction_id = p.ledger_transaction_id AND e.owner = 'user:' || p.user_id::text AND e.amount = -p.total_price) <> 1)
      UNION ALL
      SELECT p.id FROM purchases p WHERE p.status = 'failed' AND p.ledger_transaction_id IS NOT NULL`.execute(db);
    expect(orphans.rows).toEqual([]);
    const stock = await sql<{ sold: number; remaining: number }>`
      SELECT (SELECT coalesce(sum(quantity), 0)::int FROM purchases WHERE sku_id = 'kill_limited' AND status = 'succeeded') AS sold,
             (SELECT stock_remaining::int FROM skus WHERE sku_id = 'kill_limited') AS remaining`.execute(db);
    expect(stock.rows[0]!.sold + stock.rows[0]!.remaining).toBe(500);
    const health = await call(server.url, 'GET', '/readyz');
    expect(health.status).toBe(200);
  });
});
