import { afterAll, beforeAll, expect, it } from 'vitest';
import { MissionsResponseSchema } from '@playloop/contracts';
import { buildTestApp, type TestContext } from '../../test/build-app.ts';
import { makeMission, uniqueKey } from '../../test/factories/live-ops.ts';
import { makeAdmin, makePlayer } from '../../test/factories/players.ts';

// Two apps in one process, as a test file with two suites (or an embedding) builds: each app's
// purchases count in its own RESET_TIMEZONE, not in whichever app was built last.
let seoul: TestContext;
let utc: TestContext;
beforeAll(async () => {
  seoul = await buildTestApp({ config: { resetTimezone: 'Asia/Seoul' } });
  utc = await buildTestApp();
});
afterAll(async () => {
  await seoul?.close();
  await utc?.close();
});

it("a purchase counts toward the mission day of its app's zone", async () => {
  seoul.clock.set('2026-12-01T15:30:00Z'); // 00:30 on 2 December in Seoul, still 1 December in UTC
  const admin = await makeAdmin(seoul);
  const skuId = uniqueKey('zone_sku');
  const created = await seoul.app.inject({
    method: 'POST',
    url: '/api/admin/shop/skus',
    headers: admin.headers,
    payload: { sku_id: skuId, name: 'Zone SKU', price: 10, currency_type: 'soft', bundle: { items: [{ item_id: 'zone_token', quantity: 1 }] } },
  });
  expect(created.statusCode, created.body).toBe(201);
  const mission = await makeMission(seoul, { period: 'daily', rules: { metric: 'purchases', target: 1 } });
  const player = await makePlayer(seoul.app);
  const bought = await seoul.app.inject({ method: 'POST', url: '/api/shop/purchase', headers: player.headers, payload: { sku_id: skuId } });
  expect(bought.statusCode, bought.body).toBe(201);

  const missions = MissionsResponseSchema.parse((await seoul.app.inject({ method: 'GET', url: '/api/events/missions', headers: player.headers })).json());
  expect(missions.daily.find((m) => m.id === mission.id)).toMatchObject({ period_key: '2026-12-02', progress: 1, status: 'claimable' });
  const rows = await seoul.db.selectFrom('mission_progress').select(['period_key', 'period_ends_at']).where('mission_id', '=', mission.id).execute();
  expect(rows).toEqual([{ period_key: '2026-12-02', period_ends_at: new Date('2026-12-02T15:00:00Z') }]);
});
