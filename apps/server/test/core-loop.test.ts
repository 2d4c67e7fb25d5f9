import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthResponseSchema,
  EndSessionResponseSchema,
  EventClaimResponseSchema,
  EventListResponseSchema,
  KpisResponseSchema,
  PurchaseResponseSchema,
} from '@playloop/contracts';
import { makeAdmin, type TestPlayer } from './factories/players.ts';
import { expectLedgerClean } from './ledger.ts';
import { openPipelineHarness, type PipelineHarness } from './pipeline-harness.ts';

// SPEC §1, the Minimum Success Cycle, over HTTP as a new player runs it, then the operator's KPIs
// from the analytics store: exact counts on the embedded path (chDB) and, with KAFKA_BROKERS and
// CLICKHOUSE_URL set, through Kafka, the sink and a ClickHouse server.
let h: PipelineHarness;
let admin: TestPlayer;
beforeAll(async () => {
  h = await openPipelineHarness();
  admin = await makeAdmin(h.ctx);
});
afterAll(() => h?.close());

type Headers = Record<string, string>;
const call = async (method: 'GET' | 'POST', url: string, headers: Headers = {}, payload?: unknown) => {
  const res = await h.ctx.app.inject({
    method,
    url,
    headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
  return res;
};

describe('the core loop', () => {
  it('runs signup → … → purchase → dashboard refreshed, and the KPIs count it exactly', async () => {
    const { ctx } = h;
    const now = ctx.clock.now();
    const day = now.toISOString().slice(0, 10);

    // The operator sets up an event and a shop item.
    const event = await call('POST', '/api/admin/events', admin.headers, {
      key: `loop_${Date.now()}`,
      title: 'Play two rounds',
      type: 'limited',
      starts_at: new Date(now.getTime() - 3600_000).toISOString(),
      ends_at: new Date(now.getTime() + 7 * 86400_000).toISOString(),
      rules: { metric: 'games_played', target: 2, game_type: 'reaction' },
      reward_bundle: { currencies: { soft: 500 }, exp: 50 },
    });
    expect(event.statusCode).toBe(201);
    const eventId = event.json().id as string;
    const sku = await call('POST', '/api/admin/shop/skus', admin.headers, {
      sku_id: `loop_chest_${Date.now()}`,
      name: 'Loop chest',
      price: 300,
      currency_type: 'soft',
      bundle: { items: [{ item_id: 'loop_trophy', quantity: 1 }] },
    });
    expect(sku.statusCode).toBe(201);

    // 1-2. signup, login
    const site_id = `loop_${Math.random().toString(36).slice(2, 10)}`;
    const signup = await call('POST', '/api/auth/signup', {}, { site_id, nickname: '루프', password: 'loop-password-1' });
    expect(signup.statusCode).toBe(201);
    const login = await call('POST', '/api/auth/login', {}, { site_id, password: 'loop-password-1' });
    expect(login.statusCode).toBe(200);
    const auth = { authorization: `Bearer ${AuthResponseSchema.parse(login.json()).access_token}` };

    // 3. dashboard
    const dash1 = await call('GET', '/api/dashboard', auth);
    expect(dash1.statusCode).toBe(200);
    const etag1 = dash1.headers.etag as string;
    expect(etag1).toBeTruthy();
    expect(dash1.json().currencies).toEqual({ soft: 1000, premium: 0 });
    expect((await call('GET', '/api/dashboard', { ...auth, 'if-none-match': etag1 })).statusCode).toBe(304);

    // 4-5. events list, participate
    const list = EventListResponseSchema.parse((await call('GET', '/api/events?active=true', auth)).json());
    expect(list.items.map((e) => e.id)).toContain(eventId);
    expect((await call('POST', `/api/events/${eventId}/participate`, auth)).statusCode).toBe(201);

    // 6-7. two game sessions; progress advances on the server
    let lastEnd;
    for (let round = 0; round < 2; round += 1) {
      const start = await call('POST', '/api/game/sessions/start', auth, { game_type: 'reaction' });
      expect(start.statusCode).toBe(201);
      ctx.clock.advance(30_000);
      const end = await call('POST', `/api/game/sessions/${start.json().session_id}/end`, auth, { score: 800, duration: 29 });
      expect(end.statusCode).toBe(200);
      lastEnd = EndSessionResponseSchema.parse(end.json());
      expect(lastEnd.progress_updates).toContainEqual(
        expect.objectContaining({ kind: 'event', id: eventId, progress: round + 1, target: 2, completed: round === 1 }),
      );
    }

    // 8. claim the reward: exactly once
    const claim = await call('POST', `/api/events/${eventId}/claim`, { ...auth, 'x-idempotency-key': 'loop-claim' });
    expect(claim.statusCode).toBe(200);
    const claimed = EventClaimResponseSchema.parse(claim.json());
    expect(claimed).toMatchObject({ status: 'claimed', claimed: true, balances: { soft: 1500, premium: 0 } });
    expect((await call('POST', `/api/events/${eventId}/claim`, auth)).json().code).toBe('ALREADY_CLAIMED');

    // 9. profile
    const profile = (await call('GET', '/api/profile', auth)).json();
    expect(profile.stats).toMatchObject({ games_played: 2, events_joined: 1, events_claimed: 1, purchases: 0 });
    expect(profile.currencies).toEqual({ soft: 1500, premium: 0 });

    // 10. shop purchase
    const buy = await call('POST', '/api/shop/purchase', { ...auth, 'x-idempotency-key': 'loop-buy' }, { sku_id: sku.json().sku_id });
    expect(buy.statusCode).toBe(201);
    expect(PurchaseResponseSchema.parse(buy.json()).balances).toEqual({ soft: 1200, premium: 0 });

    // 11. dashboard refreshed: the old ETag no longer matches and the numbers moved
    const dash2 = await call('GET', '/api/dashboard', { ...auth, 'if-none-match': etag1 });
    expect(dash2.statusCode).toBe(200);
    expect(dash2.headers.etag).not.toBe(etag1);
    expect(dash2.json()).toMatchObject({
      currencies: { soft: 1200, premium: 0 },
      last_24h: { games: 2 },
      pending_rewards: 0,
    });
    expect(dash2.json().recent_sessions).toHaveLength(2);
    await expectLedgerClean(ctx.db);

    // The operator's KPIs, from the analytics store only.
    await h.flush();
    const kpis = async () => {
      const res = await call('GET', `/api/admin/analytics/kpis?from=${day}&to=${day}`, admin.headers);
      return res.statusCode === 200 ? KpisResponseSchema.parse(res.json()) : undefined;
    };
    const expected = {
      totals: { active_users: 2, signups: 2, sessions: 2, claims: 1, purchases: 1, revenue: { soft: 300, premium: 0 } },
      sessions_by_game: [{ game_type: 'reaction', sessions: 2, players: 1 }],
      funnel: [
        { step: 'signup', users: 2 },
        { step: 'participate', users: 1 },
        { step: 'session_end', users: 1 },
        { step: 'claim', users: 1 },
        { step: 'purchase', users: 1 },
      ],
    };
    await expect.poll(kpis, { timeout: 60_000, interval: 250 }).toMatchObject(expected);
    // Publishing again (a redelivery on the embedded path) changes no count.
    await h.flush();
    expect(await kpis()).toMatchObject(expected);
  });
});
