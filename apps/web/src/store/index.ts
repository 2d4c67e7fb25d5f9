import { createStore, type StoreApi } from 'zustand/vanilla';
import { createApiClient, newIdempotencyKey, type ApiClientOptions } from '../api/client';
import { endpoints } from '../api/endpoints';
import { createAuthSlice } from './slices/auth';
import { createDashboardSlice } from './slices/dashboard';
import { createEventsSlice } from './slices/events';
import { createGameSlice } from './slices/game';
import { createRewardsSlice } from './slices/rewards';
import { createShopSlice } from './slices/shop';
import { createUiSlice } from './slices/ui';
import { createSessionGeneration } from './session-generation';
import type { AppState, StoreDeps } from './types';

export type AppStore = StoreApi<AppState> & { deps: StoreDeps };

/**
 * The one global store: every slice of SPEC §6 over one API client. The client tells the store
 * when a session is lost (back to login) and when the network is busy.
 */
export function createAppStore(clientOptions: Omit<ApiClientOptions, 'onSessionLost' | 'onBusy'> = {}, now: () => number = Date.now): AppStore {
  let store: StoreApi<AppState> | undefined;
  const client = createApiClient({
    ...clientOptions,
    onSessionLost: () => {
      store?.getState().sessionLost();
      store?.getState().toast('info', 'toast.sessionLost');
    },
    onBusy: (d) => store?.getState().busy(d),
  });
  const inFlight = new Map<string, Promise<unknown>>();
  const deps: StoreDeps = {
    client,
    api: endpoints(client),
    now,
    wait: clientOptions.wait ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    session: createSessionGeneration(),
    once<T>(action: string, run: (key: string) => Promise<T>): Promise<T> {
      const running = inFlight.get(action);
      if (running) return running as Promise<T>;
      // The key is made here, once per user action; run() reuses it for its retry after a refresh.
      const p = run(newIdempotencyKey()).finally(() => inFlight.delete(action));
      inFlight.set(action, p);
      return p;
    },
  };
  store = createStore<AppState>()((set, get) => ({
    ...createUiSlice(set, get, deps),
    ...createAuthSlice(set, get, deps),
    ...createDashboardSlice(set, get, deps),
    ...createEventsSlice(set, get, deps),
    ...createGameSlice(set, get, deps),
    ...createShopSlice(set, get, deps),
    ...createRewardsSlice(set, get, deps),
  }));
  // Tabs share the stored pair (localStorage): another tab's logout or login is this page's too.
  client.tokens.watch?.(() => store?.getState().followStoredSession());
  return Object.assign(store, { deps });
}

export type { AppState } from './types';
