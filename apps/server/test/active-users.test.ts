import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KpisResponseSchema } from '@playloop/contracts';
import { openAnalyticsStore, type AnalyticsStore } from '@playloop/analytics';
import { inProcessPipeline } from '../src/modules/outbox/pipeline.ts';
import { buildTestApp, type TestContext } from './build-app.ts';
import { makeAdmin, makePlayer, type TestPlayer } from './factories/players.ts';

// The operator KPIs' active users, driven over HTTP through the embedded pipeline (outbox →
// in-process relay → chDB): who counts on a day is decided by what the player did that day.
let ctx: TestContext;
let dataDir: string;
let store: AnalyticsStore | undefined;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'playloop-active-users-'));
  store = await openAnalyticsStore({ dataDir });
  ctx = await buildTestApp({ pipeline: inProcessPipeline(store, { autoStart: false }) });
});
afterAll(async () => {
  await ctx?.close();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const asAdmin = (admin: TestPlayer, method: 'GET' | 'POST', url: string, payload?: unknown, key?: string) =>
  ctx.app.inject({ method, url, headers: { ...admin.headers, ...(key ? { 'x-idempotency-key': key } : {}) }, ...(payload ? { payload: payload as object } : {}) });

describe('active users in the operator KPIs', () => {
  it('counts a player whose only action of the day is opening an item, and not one who only received an operator grant', async () => {
    ctx.clock.set('2026-11-25T12:00:00Z');
    let admin = await makeAdmin(ctx);
    const defined = await asAdmin(admin, 'POST', '/api/admin/items', {
      item_id: 'active_users_pouch',
      name: 'Pouch',
      kind: 'consumable',
      opens: { bundle: { currencies: { soft: 10 } } },
    });
    expect(defined.statusCode, defined.body).toBe(201);
    const opener = await makePlayer(ctx.app);
    const idle = await makePlayer(ctx.app);
    const given = await asAdmin(admin, 'POST', '/api/rewards/distribute', { user_id: opener.user.id, bundle: { items: [{ item_id: 'active_users_pouch', quantity: 1 }] }, reason: 'a pouch' }, 'pouch');
    expect(given.statusCode, given.body).toBe(201);

    // The next day. The operator logs in (active) and grants the idle player (not active: they did nothing).
    ctx.clock.set('2026-11-26T12:00:00Z');
    const login = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { site_id: admin.user.site_id, password: admin.password } });
    expect(login.statusCode).toBe(200);
    admin = { ...admin, ...(login.json() as TestPlayer), headers: { authorization: `Bearer ${(login.json() as TestPlayer).access_token}` } };
    const granted = await asAdmin(admin, 'POST', '/api/rewards/distribute', { user_id: idle.user.id, bundle: { currencies: { soft: 5 } }, reason: 'a gift' }, 'gift');
    expect(granted.statusCode, granted.body).toBe(201);
    // The opener keeps their session (a refresh is not a login) and opens the pouch: their only
    // event that day is the item's reward.granted.
    const refreshed = await ctx.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: opener.refresh_token } });
    expect(refreshed.statusCode).toBe(200);
    const used = await ctx.app.inject({
      method: 'POST',
      url: '/api/inventory/active_users_pouch/use',
      headers: { authorization: `Bearer ${(refreshed.json() as TestPlayer).access_token}` },
    });
    expect(used.statusCode, used.body).toBe(200);

    await ctx.app.outboxRelay!.drain();
    const res = await asAdmin(admin, 'GET', '/api/admin/analytics/kpis?from=2026-11-26&to=2026-11-26');
    expect(res.statusCode).toBe(200);
    const day = KpisResponseSchema.parse(res.json());
    // The operator and the opener; the idle player's grant and the operator's own logins do not add anyone else.
    expect(day.totals.active_users).toBe(2);
    expect(day.daily).toEqual([expect.objectContaining({ date: '2026-11-26', active_users: 2 })]);
  });
});
