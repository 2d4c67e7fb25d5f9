import type { AppStore } from '../store';

export interface StreamHandle {
  close(): void;
}

/**
 * Subscribes to GET /api/stream (Server-Sent Events of the player's own changes) and applies them
 * to the store. EventSource cannot send headers, so the access token travels as ?access_token=.
 * A dropped or refused stream renews the token and reconnects with backoff; every (re)connection
 * revalidates the store once the server says `ready`.
 */
export function connectStream(store: AppStore, baseUrl = ''): StreamHandle {
  let source: EventSource | null = null;
  let closed = false;
  let retryMs = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const { client } = store.deps;
  // The profile holds balances, stats and inventory too; once fetched (its screen open, or
  // visited), it is kept as current as the dashboard rather than only refetched on the next visit.
  const refreshProfile = () => {
    if (store.getState().profile.data) void store.getState().fetchProfile();
  };

  const open = () => {
    const token = client.accessToken();
    if (closed || !token) return;
    source = new EventSource(`${baseUrl}/api/stream?access_token=${encodeURIComponent(token)}`);
    source.addEventListener('open', () => {
      retryMs = 1000;
    });
    source.addEventListener('ready', () => {
      // From `ready` on the server hears every change of ours. What committed before it (while
      // the page loaded, while the stream reconnected, or while the server's own LISTEN connection
      // was down, which ends the stream) was announced to no stream of ours: fetch again what the
      // events below would have refreshed. The dashboard is a conditional GET (304 when unchanged).
      const s = store.getState();
      void s.invalidateDashboard();
      void s.fetchRewards();
      void s.fetchInventory();
      if (s.events.list.length > 0) void s.fetchEvents();
      if (s.events.missionsFetched) void s.fetchMissions();
      if (s.shop.catalog) void s.fetchCatalog();
      refreshProfile();
    });
    source.addEventListener('dashboard.changed', (e) => {
      const data = parse(e);
      void store.getState().invalidateDashboard(typeof data?.etag === 'string' ? data.etag : undefined);
      refreshProfile();
    });
    source.addEventListener('reward.granted', (e) => {
      // A claim, a game's payout, a purchase or an opened item is the player's own doing, and its
      // screen says so already; only a grant from elsewhere (an operator's) is news worth a toast.
      if (parse(e)?.source === 'operator') store.getState().toast('info', 'toast.granted');
      void store.getState().fetchRewards();
      void store.getState().invalidateDashboard();
      // A grant may hold items: an open Inventory screen shows them without a reload.
      if (store.getState().shop.inventory) void store.getState().fetchInventory();
      refreshProfile();
    });
    source.addEventListener('progress.changed', (e) => {
      // The payload carries the new state; applyProgress keeps it only if its version is newer.
      const d = parse(e);
      if (d && (d.kind === 'event' || d.kind === 'mission') && typeof d.id === 'string') {
        const status = d.status as 'active' | 'claimable' | 'claimed' | 'expired';
        store.getState().applyProgress(d.kind, d.id, { progress: Number(d.progress), target: Number(d.target), progress_version: Number(d.progress_version), status });
      }
    });
    source.addEventListener('purchase.succeeded', () => {
      // A purchase in another tab changes this tab's shop too: bought counts, stock, the Buy button.
      if (store.getState().shop.catalog) void store.getState().fetchCatalog();
      void store.getState().fetchInventory();
      void store.getState().invalidateDashboard();
      refreshProfile();
    });
    source.addEventListener('error', () => {
      // EventSource retries by itself only while the server keeps answering 200; anything else
      // closes it: most often an expired access token, or a session that was revoked (a logout
      // elsewhere, a suspension), which also ends an open stream. An authenticated call tells
      // which: the client renews an expired token, and a session that is gone logs the page out
      // (with no token left, open() then does nothing); a network failure changes neither.
      if (source?.readyState === EventSource.CLOSED) {
        source = null;
        timer = setTimeout(async () => {
          await store.deps.api.me().catch(() => null);
          open();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 30_000);
      }
    });
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      source?.close();
    },
  };
}

function parse(e: Event): Record<string, unknown> | null {
  try {
    return JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>;
  } catch {
    return null;
  }
}
