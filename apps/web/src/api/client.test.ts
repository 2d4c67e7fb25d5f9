import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeResponseSchema, PurchaseResponseSchema } from '@playloop/contracts';
import { makeAdmin } from '../../../server/test/factories/players.ts';
import { startLiveServer, uniqueHandle, type LiveServer } from '../test-server';
import { ApiError, createApiClient, memoryTokens, newIdempotencyKey } from './client';
import { endpoints } from './endpoints';

describe('api client against the real server', () => {
  let server: LiveServer;
  const calls: { url: string; status: number }[] = [];
  const countingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    calls.push({ url: String(input), status: res.status });
    return res;
  };

  beforeAll(async () => {
    server = await startLiveServer();
  });
  afterAll(() => server.close());

  const newPlayer = async () => {
    const client = createApiClient({ baseUrl: server.baseUrl, fetch: countingFetch, tokens: memoryTokens() });
    const api = endpoints(client);
    const { data } = await api.signup({ site_id: uniqueHandle(), nickname: 'Web', password: 'long-enough-pw' }, newIdempotencyKey());
    client.adopt(data);
    return { client, api, auth: data };
  };

  it('parses answers with the contract schemas and attaches the bearer token', async () => {
    const { api, auth } = await newPlayer();
    const me = await api.me();
    expect(me.status).toBe(200);
    expect(MeResponseSchema.parse(me.data).user.id).toBe(auth.user.id);
  });

  it('turns problem+json into a typed ApiError with its code and fields', async () => {
    const { api, auth } = await newPlayer();
    const taken = await api.signup({ site_id: auth.user.site_id, nickname: 'x', password: 'long-enough-pw' }, newIdempotencyKey()).catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(ApiError);
    expect(taken).toMatchObject({ code: 'SITE_ID_TAKEN', status: 409 });
    const invalid = await api.purchase('NOT A SKU', 1, newIdempotencyKey()).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((invalid as ApiError).fields.length).toBeGreaterThan(0);
    const broke = await api.purchase('frame_gold', 1, newIdempotencyKey()).catch((e: unknown) => e);
    expect(broke).toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 402 });
  });

  it('renews an expired access token silently, with one refresh for many waiting requests', async () => {
    const { client, api } = await newPlayer();
    const pair = client.tokens.read()!;
    client.tokens.write({ access: 'expired.or.garbage', refresh: pair.refresh });
    calls.length = 0;
    const results = await Promise.all([api.me(), api.catalog(), api.inventory()]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(calls.filter((c) => c.url.endsWith('/api/auth/refresh'))).toHaveLength(1);
    expect(client.tokens.read()!.refresh).not.toBe(pair.refresh);
  });

  it('sends the player back to login when the refresh token is spent', async () => {
    let lost = 0;
    const tokens = memoryTokens();
    const client = createApiClient({ baseUrl: server.baseUrl, tokens, onSessionLost: () => lost++ });
    const api = endpoints(client);
    const { data } = await api.signup({ site_id: uniqueHandle(), nickname: 'Web', password: 'long-enough-pw' }, newIdempotencyKey());
    client.adopt(data);
    // Spend the refresh token elsewhere (another tab): ours is now stale.
    await api.login({ site_id: data.user.site_id, password: 'long-enough-pw' });
    const other = createApiClient({ baseUrl: server.baseUrl, tokens: memoryTokens() });
    other.tokens.write({ access: 'x', refresh: data.refresh_token });
    expect(await other.refresh()).toBe(true);
    tokens.write({ access: 'expired', refresh: data.refresh_token });
    const err = await api.me().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(lost).toBe(1);
    expect(tokens.read()).toBeNull();
  });

  it('two tabs (one shared token store) renewing an expired token at once both stay logged in', async () => {
    // Two clients over one token store are two tabs over one localStorage: the refresh lock and
    // the re-read inside it are what keep the second tab from presenting the spent token.
    const shared = memoryTokens();
    let lost = 0;
    const refreshes: number[] = [];
    const countingRefresh: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith('/api/auth/refresh')) refreshes.push(res.status);
      return res;
    };
    const tabA = createApiClient({ baseUrl: server.baseUrl, fetch: countingRefresh, tokens: shared, onSessionLost: () => lost++ });
    const tabB = createApiClient({ baseUrl: server.baseUrl, fetch: countingRefresh, tokens: shared, onSessionLost: () => lost++ });
    const { data } = await endpoints(tabA).signup({ site_id: uniqueHandle(), nickname: 'Tabs', password: 'long-enough-pw' }, newIdempotencyKey());
    tabA.adopt(data);
    server.ctx.clock.advance(16 * 60_000);
    const results = await Promise.allSettled([endpoints(tabA).me(), endpoints(tabB).me()]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(lost).toBe(0);
    expect(refreshes).toEqual([200]);
    expect(shared.read()).not.toBeNull();
    expect((await endpoints(tabB).me()).status).toBe(200);
  });

  it('a refresh lock passed in is the one every renewal takes', async () => {
    const taken: string[] = [];
    const client = createApiClient({
      baseUrl: server.baseUrl,
      tokens: memoryTokens(),
      lock: (name, task) => {
        taken.push(name);
        return task();
      },
    });
    const { data } = await endpoints(client).signup({ site_id: uniqueHandle(), nickname: 'Lock', password: 'long-enough-pw' }, newIdempotencyKey());
    client.adopt(data);
    server.ctx.clock.advance(16 * 60_000);
    expect((await endpoints(client).me()).status).toBe(200);
    expect(taken).toEqual(['playloop-refresh']);
  });

  it('replays a retried action with the same idempotency key instead of buying twice', async () => {
    const { api, client } = await newPlayer();
    const key = newIdempotencyKey();
    const [a, b] = await Promise.allSettled([api.purchase('chest_bronze', 1, key), api.purchase('chest_bronze', 1, key)]);
    const again = await api.purchase('chest_bronze', 1, key);
    const ok = [a, b].filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ data: unknown }>).value.data);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(PurchaseResponseSchema.parse(again.data).purchase_id).toBe(PurchaseResponseSchema.parse(ok[0]).purchase_id);
    const catalog = await api.catalog();
    expect(catalog.data.regular.find((s) => s.sku_id === 'chest_bronze')!.purchased_count).toBe(1);
    expect(client.hasSession()).toBe(true);
  });

  describe('a node shutting down for a deploy', () => {
    const draining = () =>
      new Response(JSON.stringify({ type: 'about:blank', title: 'Service unavailable', status: 503, detail: 'shutting down', code: 'UNAVAILABLE' }), {
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      });
    /** A client whose first `fail` requests to paths ending in `suffix` go wrong as `how` says. */
    const flaky = async (suffix: string, how: 'draining' | 'lost-after', fail = 1) => {
      const waited: number[] = [];
      let left = fail;
      const sent: string[] = [];
      const flakyFetch: typeof fetch = async (input, init) => {
        const url = String(input);
        sent.push(`${init?.method ?? 'GET'} ${url.replace(server.baseUrl, '')}`);
        if (!url.endsWith(suffix) || left === 0) return fetch(input, init);
        left -= 1;
        if (how === 'draining') return draining();
        await fetch(input, init); // the server did the work; the answer never arrived
        throw new TypeError('fetch failed');
      };
      const client = createApiClient({ baseUrl: server.baseUrl, fetch: flakyFetch, tokens: memoryTokens(), wait: async (ms) => void waited.push(ms) });
      const api = endpoints(client);
      const { data } = await api.signup({ site_id: uniqueHandle(), nickname: 'Deploy', password: 'long-enough-pw' }, newIdempotencyKey());
      client.adopt(data);
      sent.length = 0;
      return { api, waited, sent };
    };

    it('sends a read once more after a 503, waiting the Retry-After', async () => {
      const { api, waited, sent } = await flaky('/api/auth/me', 'draining');
      expect((await api.me()).status).toBe(200);
      expect(waited).toEqual([1000]);
      expect(sent).toEqual(['GET /api/auth/me', 'GET /api/auth/me']);
    });

    it('sends an action under an idempotency key once more after a lost answer, and it happens once', async () => {
      const { api, waited } = await flaky('/api/shop/purchase', 'lost-after');
      const bought = await api.purchase('chest_bronze', 1, newIdempotencyKey());
      expect(bought.status).toBe(201);
      expect(waited).toEqual([500]);
      const catalog = await api.catalog();
      expect(catalog.data.regular.find((s) => s.sku_id === 'chest_bronze')!.purchased_count).toBe(1);
    });

    it('tries only once more: a second refusal reaches the caller as UNAVAILABLE', async () => {
      const { api, waited, sent } = await flaky('/api/inventory', 'draining', 2);
      await expect(api.inventory()).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
      expect(waited).toHaveLength(1);
      expect(sent).toHaveLength(2);
    });

    /** A signed-up player whose access token has expired and whose first `fail` refreshes go wrong as `how` says. */
    const expiredWithFlakyRefresh = async (how: 'draining' | 'unreachable', fail: number) => {
      let lost = 0;
      let left = fail;
      const waited: number[] = [];
      const tokens = memoryTokens();
      const flakyFetch: typeof fetch = async (input, init) => {
        if (!String(input).endsWith('/api/auth/refresh') || left === 0) return fetch(input, init);
        left -= 1;
        if (how === 'draining') return draining();
        throw new TypeError('fetch failed'); // never reached the server: the token is not spent
      };
      const client = createApiClient({ baseUrl: server.baseUrl, fetch: flakyFetch, tokens, onSessionLost: () => lost++, wait: async (ms) => void waited.push(ms) });
      const api = endpoints(client);
      const { data } = await api.signup({ site_id: uniqueHandle(), nickname: 'Deploy', password: 'long-enough-pw' }, newIdempotencyKey());
      client.adopt(data);
      server.ctx.clock.advance(16 * 60_000);
      return { api, tokens, auth: data, waited, lost: () => lost };
    };

    it.each([
      ['a refusal (503)', 'draining', [1000]],
      ['a network error', 'unreachable', [500]],
    ] as const)('renews the token once more after %s, and the player stays logged in', async (_, how, delays) => {
      const { api, tokens, auth, waited, lost } = await expiredWithFlakyRefresh(how, 1);
      expect((await api.me()).status).toBe(200);
      expect(waited).toEqual(delays);
      expect(lost()).toBe(0);
      expect(tokens.read()?.refresh).not.toBe(auth.refresh_token);
    });

    it.each([
      ['refused twice (503)', 'draining', { code: 'UNAVAILABLE', status: 503 }],
      ['unreachable twice', 'unreachable', { code: 'NETWORK', status: 0 }],
    ] as const)('a refresh %s does not log the player out: the caller gets the error, the pair is kept', async (_, how, error) => {
      const { api, tokens, auth, lost } = await expiredWithFlakyRefresh(how, 2);
      await expect(api.me()).rejects.toMatchObject(error);
      expect(lost()).toBe(0);
      expect(tokens.read()?.refresh).toBe(auth.refresh_token);
      // Once the server answers again, the kept refresh token still renews the session.
      expect((await api.me()).status).toBe(200);
      expect(lost()).toBe(0);
    });

    it('does not send twice what is not safe to: a login, which has no key', async () => {
      const waited: number[] = [];
      let sent = 0;
      const down: typeof fetch = async () => {
        sent += 1;
        throw new TypeError('fetch failed');
      };
      const client = createApiClient({ baseUrl: server.baseUrl, fetch: down, tokens: memoryTokens(), wait: async (ms) => void waited.push(ms) });
      await expect(endpoints(client).login({ site_id: 'nobody', password: 'long-enough-pw' })).rejects.toMatchObject({ code: 'NETWORK' });
      expect({ sent, waited }).toEqual({ sent: 1, waited: [] });
    });
  });

  it('revalidates the dashboard with If-None-Match: 304 until something changes', async () => {
    const { api } = await newPlayer();
    const first = await api.dashboard(null);
    expect(first.status).toBe(200);
    expect(first.etag).toBeTruthy();
    const same = await api.dashboard(first.etag);
    expect(same.status).toBe(304);
    await api.purchase('chest_bronze', 1, newIdempotencyKey());
    const changed = await api.dashboard(first.etag);
    expect(changed.status).toBe(200);
    expect(changed.etag).not.toBe(first.etag);
  });

  it('operator edits: PATCH a mission, a SKU and an item; a refusal is an ApiError naming its field', async () => {
    const client = createApiClient({ baseUrl: server.baseUrl, tokens: memoryTokens() });
    client.adopt(await makeAdmin(server.ctx));
    const admin = endpoints(client).admin;
    const skuId = uniqueHandle('edit_sku').toLowerCase();
    await admin.createSku({ sku_id: skuId, name: 'Edit me', price: 30, currency_type: 'soft', bundle: { exp: 1 }, segment: 'limited', stock: 5, active: true, description: '' }, newIdempotencyKey());
    const sku = await admin.updateSku(skuId, { price: 45, stock: 8 });
    expect(sku.data).toMatchObject({ sku_id: skuId, price: 45, stock: 8, stock_remaining: 8 });

    const { api: player } = await newPlayer();
    expect((await player.catalog()).data.limited.find((s) => s.sku_id === skuId)?.price).toBe(45);
    await player.purchase(skuId, 3, newIdempotencyKey());
    const below = await admin.updateSku(skuId, { stock: 2 }).catch((e: unknown) => e);
    expect(below).toBeInstanceOf(ApiError);
    expect(below).toMatchObject({ code: 'VALIDATION_FAILED', status: 422, fields: [{ field: 'body.stock', message: 'cannot be below the 3 units already sold' }] });
    expect(await admin.updateSku('no_such_sku', { price: 1 }).catch((e: unknown) => e)).toMatchObject({ code: 'NOT_FOUND', status: 404 });

    const mission = (await admin.createMission({ key: uniqueHandle('edit_m').toLowerCase(), title: 'Edit me', description: '', period: 'daily', rules: { metric: 'wins', target: 2 }, reward_bundle: { exp: 5 }, active: true }, newIdempotencyKey())).data;
    expect((await admin.updateMission(mission.id, { title: 'Edited', active: false })).data).toMatchObject({ id: mission.id, title: 'Edited', active: false });

    const itemId = uniqueHandle('edit_i').toLowerCase();
    await admin.createItem({ item_id: itemId, name: 'Box', kind: 'consumable', opens: { bundle: { exp: 1 } } }, newIdempotencyKey());
    expect((await admin.updateItem(itemId, { opens: { bundle: { exp: 9 } } })).data).toMatchObject({ item_id: itemId, opens: { bundle: { exp: 9 } } });
  });
});
