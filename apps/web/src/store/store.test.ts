import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { memoryTokens } from '../api/client';
import { serverDatedFetch, startLiveServer, uniqueHandle, type LiveServer } from '../test-server';
import { grantReward } from '../../../server/src/modules/rewards/service.ts';
import { createAppStore, type AppState, type AppStore } from './index';
import { playedSeconds, resumedStartMs } from './slices/game';

describe('store slices against the real server', () => {
  let server: LiveServer;
  // The store's clock follows the server's manual clock, so durations agree with the server's.
  const now = () => server.ctx.clock.now().getTime();

  beforeAll(async () => {
    server = await startLiveServer();
  });
  afterAll(() => server.close());

  /**
   * Moves the server's clock on to a whole second. A resumed session counts the time already
   * played from the server's Date header, which has whole seconds (and so never counts too much):
   * from a whole second, the duration a test expects is exact.
   */
  const toWholeSecond = () => server.ctx.clock.advance((1000 - (server.ctx.clock.now().getTime() % 1000)) % 1000);

  async function signedUp(): Promise<AppStore> {
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens(), fetch: serverDatedFetch(server) }, now);
    expect(await store.getState().signup(uniqueHandle(), 'Slice', 'long-enough-pw')).toBe(true);
    return store;
  }

  it('auth: signup fills token and user; a lost session clears every slice', async () => {
    const store = await signedUp();
    const s = store.getState();
    expect(s.auth.user?.nickname).toBe('Slice');
    expect(s.auth.token).toBeTruthy();
    await s.fetchDashboard();
    expect(store.getState().dashboard.currencies?.soft).toBe(1000);
    await store.getState().logout();
    expect(store.getState().auth).toEqual({ token: null, user: null, loading: false, restoreError: null });
    expect(store.getState().dashboard.currencies).toBeNull();
  });

  /** Everything in the store that belongs to the signed-in player (ui keeps only device state). */
  const playerState = (s: AppState) => ({
    auth: s.auth,
    dashboard: s.dashboard,
    profile: s.profile,
    events: s.events,
    game: s.game,
    shop: s.shop,
    rewards: s.rewards,
    modal: s.ui.modal,
  });
  const freshPlayerState = () => playerState(createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens() }, now).getState());

  it("auth: logout clears the player's data from every slice", async () => {
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens() }, now);
    expect(await store.getState().signup(uniqueHandle(), 'Leaver', 'long-enough-pw')).toBe(true);
    const s0 = store.getState();
    await Promise.all([s0.fetchDashboard(), s0.fetchMissions(), s0.fetchCatalog(), s0.fetchEvents(), s0.fetchProfile(), s0.fetchGameTypes(), s0.fetchItemNames()]);
    await store.getState().purchase('chest_bronze');
    await store.getState().useItem('chest_bronze');
    await store.getState().claimEvent(store.getState().events.list.find((e) => e.key === 'warm_up_3_games')!.id); // NOT_CLAIMABLE: an error kept per event
    await store.getState().startGame('reaction');
    await Promise.all([store.getState().fetchRewards(), store.getState().fetchRecentSessions(), store.getState().fetchInventory()]);
    store.getState().setLang('en');
    await store.getState().logout();
    const s = store.getState();
    expect(s.dashboard.missions).toBeNull();
    expect(s.dashboard.shopHighlights).toEqual([]);
    expect(s.dashboard.todayRewards).toBeNull();
    expect(s.events.missions).toEqual({ daily: [], weekly: [] });
    expect(s.events.errors).toEqual({});
    expect(s.shop.catalog).toBeNull();
    expect(s.shop.useResult).toBeNull();
    expect(playerState(s)).toEqual(freshPlayerState());
    expect(s.ui.lang).toBe('en'); // the device's choice outlives the session
  });

  it('dashboard: an answer arriving after logout does not come back for the next player', async () => {
    let gate: Promise<void> | null = null;
    let open!: () => void;
    const gated: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (gate && String(input).endsWith('/api/dashboard')) await gate;
      return res;
    };
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens(), fetch: gated }, now);
    expect(await store.getState().signup(uniqueHandle(), 'First', 'long-enough-pw')).toBe(true);
    gate = new Promise((r) => (open = r));
    const loading = store.getState().fetchDashboard();
    await new Promise((r) => setTimeout(r, 200));
    await store.getState().logout();
    gate = null;
    open();
    await loading;
    expect(store.getState().dashboard.profile).toBeNull();
    // Its ETag is dropped with it: sent for the next player, a matching one would keep nothing.
    expect(store.getState().dashboard.etag).toBeNull();
    expect(await store.getState().signup(uniqueHandle(), 'Second', 'long-enough-pw')).toBe(true);
    await store.getState().fetchDashboard();
    expect(store.getState().dashboard.profile?.nickname).toBe('Second');
  });

  it('every fetch: an answer to a request started before logout is dropped', async () => {
    let gate: Promise<void> | null = null;
    let open!: () => void;
    let waiting = 0;
    const gated: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (gate && (init?.method ?? 'GET') === 'GET') {
        waiting += 1;
        await gate;
      }
      return res;
    };
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens(), fetch: gated }, now);
    expect(await store.getState().signup(uniqueHandle(), 'Gone', 'long-enough-pw')).toBe(true);
    gate = new Promise((r) => (open = r));
    const s = store.getState();
    const fetches = [s.fetchDashboard(), s.fetchProfile(), s.fetchEvents(), s.fetchMissions(), s.fetchCatalog(), s.fetchInventory(), s.fetchRewards(), s.fetchRecentSessions(), s.restoreSession()];
    while (waiting < 10) await new Promise((r) => setTimeout(r, 20)); // every answer is here, held back
    await store.getState().logout();
    gate = null;
    open();
    await Promise.all(fetches);
    expect(playerState(store.getState())).toEqual(freshPlayerState());
    expect(store.getState().ui.toasts.some((t) => t.kind === 'error')).toBe(false);
  });

  it('auth: a reload during a short outage checks the session again, with backoff, until the server answers', async () => {
    const tokens = memoryTokens();
    const first = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    expect(await first.getState().signup(uniqueHandle(), 'Reloaded', 'long-enough-pw')).toBe(true);
    // A deploy: GET /api/auth/me answers 503 four times (two user checks, each sent twice by the client).
    let refused = 0;
    const deploying: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/api/auth/me') && refused < 4) {
        refused += 1;
        const problem = { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'shutting down', code: 'UNAVAILABLE' };
        return new Response(JSON.stringify(problem), { status: 503, headers: { 'content-type': 'application/problem+json', 'retry-after': '0' } });
      }
      return fetch(input, init);
    };
    const waits: { ms: number; restoreError: string | null }[] = [];
    const reloaded: AppStore = createAppStore(
      { baseUrl: server.baseUrl, tokens, fetch: deploying, wait: async (ms) => void waits.push({ ms, restoreError: reloaded.getState().auth.restoreError }) },
      now,
    );
    await reloaded.getState().restoreSession();
    expect(refused).toBe(4);
    // The client's own retry after Retry-After (0 s), then the store's backoff: 1 s, 2 s; while
    // it waits, the page knows why it has no user yet.
    expect(waits).toEqual([
      { ms: 0, restoreError: null },
      { ms: 1000, restoreError: 'UNAVAILABLE' },
      { ms: 0, restoreError: 'UNAVAILABLE' },
      { ms: 2000, restoreError: 'UNAVAILABLE' },
    ]);
    expect(reloaded.getState().auth).toMatchObject({ user: { nickname: 'Reloaded' }, loading: false, restoreError: null });
    expect(reloaded.getState().ui.toasts).toEqual([]);
  });

  it('auth: a user check waiting out an outage tries again at once when asked, and stops on logout', async () => {
    const tokens = memoryTokens();
    const first = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    expect(await first.getState().signup(uniqueHandle(), 'Impatient', 'long-enough-pw')).toBe(true);
    let down = true;
    const outage: typeof fetch = async (input, init) => {
      if (down && String(input).endsWith('/api/auth/me')) throw new TypeError('Failed to fetch');
      return fetch(input, init);
    };
    // The store's backoff waits for good (until woken); the client's retry after a network error does not.
    const reloaded = createAppStore({ baseUrl: server.baseUrl, tokens, fetch: outage, wait: (ms) => (ms >= 1000 ? new Promise(() => {}) : Promise.resolve()) }, now);
    const restoring = reloaded.getState().restoreSession();
    await expect.poll(() => reloaded.getState().auth.restoreError).toBe('NETWORK');
    down = false;
    await reloaded.getState().restoreSession(); // the "Try now" button: joins the check and wakes it
    await restoring;
    expect(reloaded.getState().auth.user?.nickname).toBe('Impatient');

    down = true;
    const again = createAppStore({ baseUrl: server.baseUrl, tokens, fetch: outage, wait: (ms) => (ms >= 1000 ? new Promise(() => {}) : Promise.resolve()) }, now);
    const waiting = again.getState().restoreSession();
    await expect.poll(() => again.getState().auth.restoreError).toBe('NETWORK');
    await again.getState().logout();
    await waiting;
    expect(again.getState().auth).toEqual({ token: null, user: null, loading: false, restoreError: null });
  });

  it('auth: a reload whose session the server refuses logs out', async () => {
    const tokens = memoryTokens();
    tokens.write({ access: 'not-a-token', refresh: 'not-a-refresh-token' });
    const reloaded = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    await reloaded.getState().restoreSession();
    expect(reloaded.getState().auth).toEqual({ token: null, user: null, loading: false, restoreError: null });
    expect(tokens.read()).toBeNull();
    expect(reloaded.getState().ui.toasts.at(-1)).toMatchObject({ kind: 'info', key: 'toast.sessionLost' });
  });

  it('auth: a wrong password leaves the player logged out with an UNAUTHENTICATED toast', async () => {
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens() }, now);
    expect(await store.getState().login('nobody_here', 'wrong-password')).toBe(false);
    expect(store.getState().auth.user).toBeNull();
    expect(store.getState().ui.toasts.at(-1)).toMatchObject({ kind: 'error', key: 'errors.UNAUTHENTICATED' });
  });

  it('dashboard: a 304 keeps the state; a purchase invalidates it and brings the new balance', async () => {
    const store = await signedUp();
    await store.getState().fetchDashboard();
    const first = store.getState().dashboard;
    expect(first.etag).toBeTruthy();
    await store.getState().fetchDashboard();
    const second = store.getState().dashboard;
    expect(second.etag).toBe(first.etag);
    expect(second.profile).toBe(first.profile); // same object: the 304 kept it
    await store.getState().purchase('chest_bronze');
    await store.getState().fetchDashboard();
    expect(store.getState().dashboard.currencies?.soft).toBe(800);
    expect(store.getState().dashboard.etag).not.toBe(first.etag);
  });

  it('shop: item names come from the item catalog, for bundles shown by name', async () => {
    const store = await signedUp();
    expect(store.getState().shop.itemNames).toEqual({});
    await store.getState().fetchItemNames();
    expect(store.getState().shop.itemNames).toMatchObject({ chest_bronze: 'Bronze chest', avatar_neon: 'Neon avatar', xp_potion: 'XP potion' });
  });

  it('shop: a double click buys once', async () => {
    const store = await signedUp();
    await store.getState().fetchCatalog();
    const [a, b] = await Promise.all([store.getState().purchase('chest_bronze'), store.getState().purchase('chest_bronze')]);
    expect(a?.purchase_id).toBeDefined();
    expect(b?.purchase_id).toBe(a?.purchase_id);
    await store.getState().fetchCatalog();
    expect(store.getState().shop.catalog?.regular.find((s) => s.sku_id === 'chest_bronze')?.purchased_count).toBe(1);
    expect(store.getState().shop.purchaseResult?.balances.soft).toBe(800);
  });

  it('shop + inventory: a bought chest opens and shows what it gave', async () => {
    const store = await signedUp();
    await store.getState().purchase('chest_bronze');
    await store.getState().fetchInventory();
    expect(store.getState().shop.inventory?.find((i) => i.item_id === 'chest_bronze')?.quantity).toBe(1);
    await store.getState().useItem('chest_bronze');
    expect(store.getState().shop.useResult?.reward_items.length).toBeGreaterThan(0);
    await store.getState().fetchInventory();
    expect(store.getState().shop.inventory?.find((i) => i.item_id === 'chest_bronze')).toBeUndefined();
  });

  it('events + game: join, play until complete (progress from the end answer), claim once', async () => {
    const store = await signedUp();
    await store.getState().fetchEvents();
    const warmUp = store.getState().events.list.find((e) => e.key === 'warm_up_3_games')!;
    await store.getState().participate(warmUp.id);
    expect(store.getState().events.participationsById[warmUp.id]).toMatchObject({ status: 'active', progress: 0, target: 3 });
    for (let i = 0; i < 3; i++) {
      await store.getState().startGame('lucky_dice');
      expect(store.getState().game.status).toBe('playing');
      server.ctx.clock.advance(1500);
      const result = await store.getState().endGame(undefined);
      expect(result?.result?.outcome.dice).toHaveLength(2);
      expect(store.getState().game.status).toBe('ended');
    }
    expect(store.getState().events.participationsById[warmUp.id]).toMatchObject({ status: 'claimable', progress: 3 });
    await Promise.all([store.getState().claimEvent(warmUp.id), store.getState().claimEvent(warmUp.id)]);
    expect(store.getState().events.participationsById[warmUp.id]?.status).toBe('claimed');
    await store.getState().fetchRewards();
    expect(store.getState().rewards.history.filter((g) => g.source === 'event')).toHaveLength(1);
    expect(store.getState().ui.toasts.some((t) => t.kind === 'error')).toBe(false);
  });

  it('rewards: the history comes 50 at a time; more pages append until there is none', async () => {
    const store = await signedUp();
    const userId = store.getState().auth.user!.id;
    for (let i = 0; i < 59; i++) {
      server.ctx.clock.advance(1000);
      await server.ctx.db.transaction().execute((trx) =>
        grantReward(trx, { userId, grantKey: `store:history:${userId}:${i}`, source: 'game', bundle: { exp: 1 }, now: server.ctx.clock.now() }),
      );
    }
    await store.getState().fetchRewards();
    expect(store.getState().rewards.history).toHaveLength(50);
    expect(store.getState().rewards.historyNext).toBe(store.getState().rewards.history[49]!.grant_id);
    await store.getState().fetchMoreHistory();
    // 59 grants and the signup bonus, each once, the bonus last.
    const { history, historyNext } = store.getState().rewards;
    expect(history).toHaveLength(60);
    expect(new Set(history.map((g) => g.grant_id)).size).toBe(60);
    expect(history.at(-1)?.source).toBe('signup');
    expect(historyNext).toBeNull();
    await store.getState().fetchMoreHistory();
    expect(store.getState().rewards.history).toHaveLength(60);
  });

  it('game: the reaction score and the real duration are sent; an implausible one is refused with a toast', async () => {
    const store = await signedUp();
    toWholeSecond();
    await store.getState().startGame('reaction');
    server.ctx.clock.advance(3000);
    const ok = await store.getState().endGame(120, { hits: 8 });
    expect(ok?.session).toMatchObject({ score: 120, duration: 3 });
    await store.getState().startGame('reaction');
    server.ctx.clock.advance(1000);
    const refusedId = store.getState().game.currentSession?.session_id;
    expect(await store.getState().endGame(100_000)).toBeNull();
    expect(store.getState().ui.toasts.at(-1)).toMatchObject({ key: 'errors.IMPLAUSIBLE_RESULT' });
    // Refused for good: back to the choice of games, not stuck 'playing' a play that can never end.
    expect(store.getState().game).toMatchObject({ status: 'idle', currentSession: null });
    // The server kept the session open: the next Start resumes it, and an honest end is taken.
    await store.getState().startGame('reaction');
    expect(store.getState().game.currentSession?.session_id).toBe(refusedId);
    server.ctx.clock.advance(1000);
    expect((await store.getState().endGame(30, { hits: 2 }))?.session).toMatchObject({ session_id: refusedId, score: 30, duration: 2 });
  });

  it('game: a session ended after its maximum reports the maximum, here and when resumed after a reload', async () => {
    const tokens = memoryTokens();
    const store = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    expect(await store.getState().signup(uniqueHandle(), 'Slow', 'long-enough-pw')).toBe(true);
    // No Play screen fetched the game types: endGame learns lucky_dice's 60 s itself.
    await store.getState().startGame('lucky_dice');
    server.ctx.clock.advance(63_000);
    const late = await store.getState().endGame(undefined);
    expect(late?.session).toMatchObject({ game_type: 'lucky_dice', duration: 60 });
    expect(store.getState().game.status).toBe('ended');

    // A reload: a new store on the same tokens resumes the open session by its server start time.
    await store.getState().startGame('lucky_dice');
    const opened = store.getState().game.currentSession?.session_id;
    server.ctx.clock.advance(61_500);
    const reloaded = createAppStore({ baseUrl: server.baseUrl, tokens, fetch: serverDatedFetch(server) }, now);
    await reloaded.getState().fetchGameTypes();
    await reloaded.getState().startGame('lucky_dice');
    expect(reloaded.getState().game.currentSession?.session_id).toBe(opened);
    const resumed = await reloaded.getState().endGame(undefined);
    expect(resumed?.session).toMatchObject({ session_id: opened, duration: 60 });
    expect(reloaded.getState().ui.toasts.some((t) => t.kind === 'error')).toBe(false);
  });

  it('game: a session resumed on a device whose clock runs ahead is timed by the server clock; a fresh one by the device', async () => {
    const tokens = memoryTokens();
    const ahead = () => now() + 5_000; // the device's clock, 5 s ahead of the server's
    const store = createAppStore({ baseUrl: server.baseUrl, tokens, fetch: serverDatedFetch(server) }, ahead);
    expect(await store.getState().signup(uniqueHandle(), 'Ahead', 'long-enough-pw')).toBe(true);
    toWholeSecond();
    await store.getState().startGame('reaction');
    server.ctx.clock.advance(3000);
    expect((await store.getState().endGame(120, { hits: 8 }))?.session).toMatchObject({ duration: 3 });

    await store.getState().startGame('reaction');
    const opened = store.getState().game.currentSession?.session_id;
    server.ctx.clock.advance(2000);
    const reloaded = createAppStore({ baseUrl: server.baseUrl, tokens, fetch: serverDatedFetch(server) }, ahead);
    await reloaded.getState().startGame('reaction');
    expect(reloaded.getState().game.currentSession?.session_id).toBe(opened);
    server.ctx.clock.advance(2000);
    // 4 s on the server's clock; read against the device's clock, 9 s, which the server refuses.
    expect((await reloaded.getState().endGame(40, { hits: 3 }))?.session).toMatchObject({ session_id: opened, duration: 4 });
    expect(reloaded.getState().ui.toasts.some((t) => t.kind === 'error')).toBe(false);
  });

  it('game: a resume whose lookup of the open session fails goes back to idle with a toast, and Start works again', async () => {
    const tokens = memoryTokens();
    let lookupDown = true;
    const flaky: typeof fetch = async (input, init) => {
      if (lookupDown && String(input).endsWith('/api/game/sessions/active')) throw new TypeError('fetch failed');
      return serverDatedFetch(server)(input, init);
    };
    const store = createAppStore({ baseUrl: server.baseUrl, tokens, fetch: flaky, wait: async () => {} }, now);
    expect(await store.getState().signup(uniqueHandle(), 'Lookup', 'long-enough-pw')).toBe(true);
    await store.getState().startGame('reaction');
    const opened = store.getState().game.currentSession?.session_id;
    // A reload: the session is open on the server, and the lookup that would resume it fails.
    const reloaded = createAppStore({ baseUrl: server.baseUrl, tokens, fetch: flaky, wait: async () => {} }, now);
    await expect(reloaded.getState().startGame('reaction')).resolves.toBeUndefined();
    expect(reloaded.getState().game).toMatchObject({ status: 'idle', currentSession: null });
    expect(reloaded.getState().ui.toasts.at(-1)).toMatchObject({ kind: 'error', key: 'errors.NETWORK' });
    lookupDown = false;
    await reloaded.getState().startGame('reaction');
    expect(reloaded.getState().game).toMatchObject({ status: 'playing', currentSession: { session_id: opened } });
  });

  it('rewards: a refetch keeps the older pages loaded with More; after more new grants than a page it starts over', async () => {
    const store = await signedUp();
    const userId = store.getState().auth.user!.id;
    const grant = async (n: number, tag: string) => {
      for (let i = 0; i < n; i++) {
        server.ctx.clock.advance(1000);
        await server.ctx.db.transaction().execute((trx) =>
          grantReward(trx, { userId, grantKey: `store:merge:${userId}:${tag}:${i}`, source: 'game', bundle: { exp: 1 }, now: server.ctx.clock.now() }),
        );
      }
    };
    await grant(59, 'old');
    await store.getState().fetchRewards();
    await store.getState().fetchMoreHistory();
    const read = store.getState().rewards.history.map((g) => g.grant_id);
    expect(read).toHaveLength(60);

    await grant(2, 'new');
    await store.getState().fetchRewards();
    const { history, historyNext } = store.getState().rewards;
    expect(history).toHaveLength(62);
    expect(history.slice(2).map((g) => g.grant_id)).toEqual(read);
    expect(history.at(-1)?.source).toBe('signup');
    expect(historyNext).toBeNull();

    // 51 new ones: the first page no longer reaches what is held, so the list is the first page
    // again (no gap in it), and More goes on from there.
    await grant(51, 'many');
    await store.getState().fetchRewards();
    expect(store.getState().rewards.history).toHaveLength(50);
    expect(store.getState().rewards.historyNext).toBe(store.getState().rewards.history[49]!.grant_id);
    await store.getState().fetchMoreHistory();
    await store.getState().fetchMoreHistory();
    const all = store.getState().rewards.history;
    expect(all).toHaveLength(113);
    expect(new Set(all.map((g) => g.grant_id)).size).toBe(113);
  });

  it('missions: not fetched until the first answer, so the screen can say it is loading', async () => {
    const store = await signedUp();
    expect(store.getState().events.missionsFetched).toBe(false);
    const loading = store.getState().fetchMissions();
    expect(store.getState().events.missionsFetched).toBe(false);
    await loading;
    expect(store.getState().events.missionsFetched).toBe(true);
    expect(store.getState().events.missions.daily.length).toBeGreaterThan(0);
    await store.getState().logout();
    expect(store.getState().events.missionsFetched).toBe(false);
  });

  it('events: progress is reconciled by progress_version; an older answer never wins', async () => {
    const store = await signedUp();
    await store.getState().fetchEvents();
    const share = store.getState().events.list.find((e) => e.rules.client_reportable)!;
    await store.getState().participate(share.id);
    const before = store.getState().events.participationsById[share.id]!;
    await store.getState().reportProgress(share.id, 1);
    const after = store.getState().events.participationsById[share.id]!;
    expect(after.progress).toBe(before.progress + 1);
    expect(after.progress_version).toBeGreaterThan(before.progress_version);
    expect(after.pending).toBeUndefined();
    // A stale state (lower version) arriving late is ignored.
    store.getState().applyProgress('event', share.id, { progress: 0, target: after.target, progress_version: before.progress_version });
    expect(store.getState().events.participationsById[share.id]?.progress).toBe(after.progress);
  });

  /** A signed-up player who joined the client-reportable event (target 1), and the requests made. */
  async function joinedShare(fetcher?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) {
    const reports: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      if (init?.method === 'POST' && String(input).endsWith('/progress')) reports.push(String(input));
      return (fetcher ?? fetch)(input, init);
    };
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens(), fetch: counting, wait: async () => {} }, now);
    expect(await store.getState().signup(uniqueHandle(), 'Sharer', 'long-enough-pw')).toBe(true);
    await store.getState().fetchEvents();
    const share = store.getState().events.list.find((e) => e.key === 'share_the_site')!;
    expect(share.rules.client_reportable).toBe(true);
    await store.getState().participate(share.id);
    const confirmed = store.getState().events.participationsById[share.id]!;
    expect(confirmed).toMatchObject({ status: 'active', progress: 0, target: 1 });
    return { store, id: share.id, confirmed, reports };
  }

  it('events: a double click on Report sends one report, and only the answer makes the event claimable', async () => {
    const { store, id, reports } = await joinedShare();
    const first = store.getState().reportProgress(id, 1);
    // The guess shows at once, but does not offer a Claim the server would refuse as NOT_CLAIMABLE.
    expect(store.getState().events.participationsById[id]).toMatchObject({ progress: 1, status: 'active', pending: true });
    const second = store.getState().reportProgress(id, 1);
    expect(store.getState().events.participationsById[id]).toMatchObject({ progress: 1, status: 'active', pending: true });
    await Promise.all([first, second]);
    expect(reports).toHaveLength(1);
    expect(store.getState().events.participationsById[id]).toMatchObject({ progress: 1, status: 'claimable' });
    expect(store.getState().events.participationsById[id]?.pending).toBeUndefined();
    await store.getState().claimEvent(id);
    expect(store.getState().events.participationsById[id]?.status).toBe('claimed');
    expect(store.getState().ui.toasts.filter((t) => t.kind === 'error')).toEqual([]);
  });

  it('events: a report that fails rolls back to what the server last confirmed, after any number of clicks', async () => {
    const failing = async (input: RequestInfo | URL, init?: RequestInit) =>
      init?.method === 'POST' && String(input).endsWith('/progress') ? Promise.reject(new TypeError('Failed to fetch')) : fetch(input, init);
    const { store, id, confirmed } = await joinedShare(failing);
    await Promise.all([store.getState().reportProgress(id, 1), store.getState().reportProgress(id, 1)]);
    // The bar shows no progress the server never recorded, and nothing is left pending.
    expect(store.getState().events.participationsById[id]).toEqual(confirmed);
    expect(store.getState().ui.toasts.at(-1)).toMatchObject({ kind: 'error', key: 'errors.NETWORK' });
  });

  it('events: a failed report does not roll back over a newer state the server sent meanwhile', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.method === 'POST' && String(input).endsWith('/progress')) {
        await held;
        throw new TypeError('Failed to fetch');
      }
      return fetch(input, init);
    };
    const { store, id, confirmed } = await joinedShare(slow);
    const report = store.getState().reportProgress(id, 1);
    // The stream tells of progress made elsewhere (another tab's report) while this one is out.
    const newer = { progress: 1, target: 1, progress_version: confirmed.progress_version + 1, status: 'claimable' as const };
    store.getState().applyProgress('event', id, newer);
    release();
    await report;
    expect(store.getState().events.participationsById[id]).toEqual(newer);
  });

  it('ui: every error becomes a toast keyed by its code', async () => {
    const store = await signedUp();
    await store.getState().purchase('neon_starter_pack'); // 500 soft: affordable
    await store.getState().purchase('frame_gold'); // premium: none
    expect(store.getState().ui.toasts.at(-1)).toMatchObject({ kind: 'error', key: 'errors.INSUFFICIENT_FUNDS' });
  });

  it('ui: a refusal naming a field says it by its label in the UI language, never by its request path', async () => {
    const store = createAppStore({ baseUrl: server.baseUrl, tokens: memoryTokens() }, now);
    store.getState().setLang('en');
    // Sent as it is (the signup form would have refused it first): the server names body.nickname.
    expect(await store.getState().signup(uniqueHandle(), '   ', 'long-enough-pw')).toBe(false);
    expect(store.getState().ui.toasts.at(-1)).toMatchObject({ kind: 'error', key: 'errors.VALIDATION_FAILED', vars: { field: ' (Nickname)' } });
    store.getState().setLang('ko');
    expect(await store.getState().signup(uniqueHandle(), '   ', 'long-enough-pw')).toBe(false);
    expect(store.getState().ui.toasts.at(-1)).toMatchObject({ key: 'errors.VALIDATION_FAILED', vars: { field: ' (닉네임)' } });
  });

  it("events + dashboard: the participations are the server's list; one it no longer reports is dropped", async () => {
    const tokens = memoryTokens();
    const store = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    expect(await store.getState().signup(uniqueHandle(), 'Joiner', 'long-enough-pw')).toBe(true);
    await store.getState().fetchEvents();
    const warmUp = store.getState().events.list.find((e) => e.key === 'warm_up_3_games')!.id;
    await store.getState().participate(warmUp);
    await store.getState().fetchDashboard();
    const held = store.getState().events.participationsById;
    expect(held[warmUp]).toMatchObject({ status: 'active', progress: 0 });

    // The stored pair becomes another account's, which joined nothing (another tab's signup
    // that this page has not followed): what the server answers now has no participation.
    const otherTab = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    expect(await otherTab.getState().signup(uniqueHandle(), 'Other', 'long-enough-pw')).toBe(true);
    await store.getState().fetchDashboard();
    expect(store.getState().events.participationsById).toEqual({});
    store.setState((s) => ({ events: { ...s.events, participationsById: held } }));
    await store.getState().fetchEvents();
    expect(store.getState().events.participationsById).toEqual({});
  });

  it("auth: another tab's renewal changes nothing; its login as someone else clears this page and restores that account; its logout logs out", async () => {
    const tokens = memoryTokens();
    const store = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    const first = uniqueHandle();
    expect(await store.getState().signup(first, 'First', 'long-enough-pw')).toBe(true);
    await Promise.all([store.getState().fetchDashboard(), store.getState().fetchEvents(), store.getState().fetchProfile()]);
    await store.getState().participate(store.getState().events.list.find((e) => e.key === 'warm_up_3_games')!.id);
    // The join refreshes the dashboard in the background: the state to keep is the one after it.
    await vi.waitFor(() => expect(store.getState().ui.networkBusy).toBe(0));
    const before = playerState(store.getState());

    // Another tab renews the same session's pair: this page keeps what it holds.
    const otherTab = createAppStore({ baseUrl: server.baseUrl, tokens }, now);
    expect(await otherTab.deps.client.refresh()).toBe(true);
    store.getState().followStoredSession();
    expect(playerState(store.getState())).toEqual(before);

    // Another tab logs in as another player: nothing of the first stays, and the page is the second's.
    const second = uniqueHandle();
    expect(await otherTab.getState().signup(second, 'Second', 'long-enough-pw')).toBe(true);
    store.getState().followStoredSession();
    expect({ ...playerState(store.getState()), auth: null }).toEqual({ ...freshPlayerState(), auth: null });
    expect(store.getState().auth).toMatchObject({ token: tokens.read()!.access, user: null });
    await store.getState().restoreSession();
    expect(store.getState().auth.user?.site_id).toBe(second);
    await store.getState().fetchEvents();
    expect(store.getState().events.participationsById).toEqual({});

    // Another tab logs out: so does this page.
    await otherTab.getState().logout();
    store.getState().followStoredSession();
    expect(playerState(store.getState())).toEqual(freshPlayerState());
  });

  it('ui: one dialog at a time in ui.modal; closing it or losing the session clears it', async () => {
    const store = await signedUp();
    store.getState().openModal('edit-sku', { id: 'chest_bronze' });
    expect(store.getState().ui.modal).toEqual({ key: 'edit-sku', vars: { id: 'chest_bronze' } });
    store.getState().openModal('edit-mission', { id: 'm1' });
    expect(store.getState().ui.modal).toEqual({ key: 'edit-mission', vars: { id: 'm1' } });
    store.getState().closeModal();
    expect(store.getState().ui.modal).toBeNull();
    store.getState().openModal('edit-item', { id: 'chest_bronze' });
    store.getState().sessionLost();
    expect(store.getState().ui.modal).toBeNull();
  });
});

describe('playedSeconds: the duration an end request reports', () => {
  it.each([
    ['tenths of the time since Start', 3_040, 60, 3],
    ['rounded to the nearest tenth', 12_345, 120, 12.3],
    ['never below 0 (a clock stepped back)', -500, 60, 0],
    ['exactly the maximum', 60_000, 60, 60],
    ['capped at the maximum after a long idle', 63_000, 60, 60],
    ['uncapped when the maximum is unknown', 63_000, undefined, 63],
  ])('%s', (_, elapsedMs, maxS, expected) => {
    expect(playedSeconds(elapsedMs, maxS)).toBe(expected);
  });
});

describe('resumedStartMs: a resumed session has been played for what the server clock says', () => {
  const started = '2026-11-28T12:00:00.000Z';
  const serverAt = (iso: string) => Date.parse(iso);
  it.each([
    ['server Date minus started_at, on a device clock in step', serverAt('2026-11-28T12:00:09Z'), serverAt('2026-11-28T12:00:09.400Z'), 9000],
    ['the same on a device clock an hour ahead', serverAt('2026-11-28T12:00:09Z'), serverAt('2026-11-28T13:00:09.400Z'), 9000],
    ['the same on a device clock a minute behind', serverAt('2026-11-28T12:00:09Z'), serverAt('2026-11-28T11:59:09.400Z'), 9000],
    ['nothing when the Date (whole seconds) is before started_at', serverAt('2026-11-28T11:59:59Z'), 5_000, 0],
    ['nothing without a Date header: counted from now, short rather than refused', null, 5_000, 0],
  ])('%s', (_, serverDateMs, nowMs, playedMs) => {
    expect(nowMs - resumedStartMs(started, serverDateMs, nowMs)).toBe(playedMs);
  });
});
