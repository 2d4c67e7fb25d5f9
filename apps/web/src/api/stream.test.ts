import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { grantReward } from '../../../server/src/modules/rewards/service.ts';
import { createAppStore } from '../store';
import { startLiveServer, uniqueHandle, type LiveServer } from '../test-server';
import { memoryTokens } from './client';
import { connectStream } from './stream';

/** An EventSource the test fires events on (Node has none); the store talks to the real server. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static opened: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  private readonly listeners = new Map<string, ((e: Event) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (e: Event) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  fire(type: string, data: unknown) {
    for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
}

describe('the live update stream in the web app', () => {
  let server: LiveServer;

  beforeAll(async () => {
    server = await startLiveServer();
    vi.stubGlobal('EventSource', FakeEventSource);
  });
  afterAll(async () => {
    vi.unstubAllGlobals();
    await server.close();
  });

  it('revalidates the dashboard, rewards, inventory and a loaded profile on ready: what committed before it was announced to no stream', async () => {
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens() });
    expect(await store.getState().signup(uniqueHandle(), 'Streamer', 'long-enough-pw')).toBe(true);
    const s = store.getState();
    await Promise.all([s.fetchDashboard(), s.fetchRewards(), s.fetchInventory(), s.fetchProfile()]);
    const soft = store.getState().dashboard.currencies!.soft;

    // An operator's grant commits while no stream hears it (the stream reconnecting, or the
    // server's LISTEN connection down, which ends the stream).
    const userId = store.getState().auth.user!.id;
    await server.ctx.db.transaction().execute((trx) =>
      grantReward(trx, {
        userId,
        grantKey: `web:stream:${userId}`,
        source: 'operator',
        bundle: { currencies: { soft: 40 }, items: [{ item_id: 'chest_bronze', quantity: 1 }] },
        now: server.ctx.clock.now(),
      }),
    );

    const stream = connectStream(store, server.baseUrl);
    try {
      const source = FakeEventSource.opened.at(-1)!;
      expect(source.url).toContain('/api/stream?access_token=');
      source.fire('open', {});
      source.fire('ready', { user_id: userId });
      await expect.poll(() => store.getState().dashboard.currencies?.soft).toBe(soft + 40);
      await expect.poll(() => store.getState().rewards.history.some((g) => g.source === 'operator')).toBe(true);
      await expect.poll(() => store.getState().shop.inventory?.find((i) => i.item_id === 'chest_bronze')?.quantity).toBe(1);
      await expect.poll(() => store.getState().profile.data?.currencies.soft).toBe(soft + 40);
    } finally {
      stream.close();
    }
  });

  /** A signed-up player's store, its stream open, and a way to grant them a reward no stream hears. */
  async function listening() {
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens() });
    expect(await store.getState().signup(uniqueHandle(), 'Streamer', 'long-enough-pw')).toBe(true);
    const userId = store.getState().auth.user!.id;
    const stream = connectStream(store, server.baseUrl);
    const source = FakeEventSource.opened.at(-1)!;
    const grant = (bundle: Parameters<typeof grantReward>[1]['bundle']) =>
      server.ctx.db.transaction().execute((trx) =>
        grantReward(trx, { userId, grantKey: `web:stream:${crypto.randomUUID()}`, source: 'operator', bundle, now: server.ctx.clock.now() }),
      );
    return { store, stream, source, grant };
  }

  it('an open Inventory screen shows the items of a grant as it is announced', async () => {
    const { store, stream, source, grant } = await listening();
    try {
      await store.getState().fetchInventory();
      await grant({ items: [{ item_id: 'chest_bronze', quantity: 2 }] });
      source.fire('reward.granted', { grant_id: crypto.randomUUID(), source: 'operator' });
      await expect.poll(() => store.getState().shop.inventory?.find((i) => i.item_id === 'chest_bronze')?.quantity).toBe(2);
    } finally {
      stream.close();
    }
  });

  it.each(['reward.granted', 'purchase.succeeded', 'dashboard.changed'])('an open Profile screen is fetched again on %s', async (type) => {
    const { store, stream, source, grant } = await listening();
    try {
      await store.getState().fetchProfile();
      await grant({ currencies: { soft: 25 } });
      source.fire(type, { etag: 'W/"another"' });
      await expect.poll(() => store.getState().profile.data?.currencies.soft).toBe(1025);
    } finally {
      stream.close();
    }
  });

  it('a grant announced while older history is loaded with More shows on top, the older pages kept', async () => {
    const { store, stream, source, grant } = await listening();
    try {
      // A second apart, so the history's order (newest first) is the order they were made in.
      const later = (bundle: Parameters<typeof grant>[0]) => (server.ctx.clock.advance(1000), grant(bundle));
      for (let i = 0; i < 55; i++) await later({ exp: 1 });
      await store.getState().fetchRewards();
      await store.getState().fetchMoreHistory();
      const read = store.getState().rewards.history.map((g) => g.grant_id);
      expect(read).toHaveLength(56);
      const { grantId } = await later({ currencies: { soft: 5 } });
      source.fire('reward.granted', { grant_id: grantId, source: 'operator' });
      await expect.poll(() => store.getState().rewards.history[0]?.grant_id).toBe(grantId);
      expect(store.getState().rewards.history.slice(1).map((g) => g.grant_id)).toEqual(read);
      expect(store.getState().rewards.historyNext).toBeNull();
    } finally {
      stream.close();
    }
  });

  it('a page that never loaded the inventory or the profile does not fetch them on a grant', async () => {
    const { store, stream, source, grant } = await listening();
    try {
      await grant({ currencies: { soft: 25 }, items: [{ item_id: 'chest_bronze', quantity: 1 }] });
      source.fire('reward.granted', { grant_id: crypto.randomUUID(), source: 'operator' });
      await expect.poll(() => store.getState().dashboard.currencies?.soft).toBe(1025);
      expect({ inventory: store.getState().shop.inventory, profile: store.getState().profile.data }).toEqual({ inventory: null, profile: null });
    } finally {
      stream.close();
    }
  });
});
