import type {
  Balances,
  Dashboard,
  DashboardEvent,
  DashboardProfile,
  EndSessionResponse,
  GameSession,
  GameType,
  InventoryEntry,
  LiveEvent,
  Mission,
  Participation,
  Profile,
  PurchaseResponse,
  RewardItem,
  Sku,
  StartSessionResponse,
  User,
} from '@playloop/contracts';
import type { z } from 'zod';
import type { PendingRewardsResponseSchema, RewardHistoryResponseSchema } from '@playloop/contracts';
import type { ApiClient, ApiError } from '../api/client';
import type { Endpoints } from '../api/endpoints';
import type { SessionGeneration } from './session-generation';

export type PendingReward = z.infer<typeof PendingRewardsResponseSchema>['items'][number];
export type RewardGrant = z.infer<typeof RewardHistoryResponseSchema>['items'][number];
export type Lang = 'ko' | 'en';

/** A participation as the events screen needs it; fed by events, progress answers, claims and the dashboard. */
export interface ParticipationView {
  status: Participation['status'];
  progress: number;
  target: number;
  progress_version: number;
  /** true while an optimistic change waits for the server's answer. */
  pending?: boolean;
}

export interface AuthSlice {
  /**
   * `restoreError`: while a reload's user check gets no answer (a deploy, the network), the code
   * of its last failure; the check is tried again until the server answers.
   */
  auth: { token: string | null; user: User | null; loading: boolean; restoreError: ApiError['code'] | null };
  signup(site_id: string, nickname: string, password: string): Promise<boolean>;
  login(site_id: string, password: string): Promise<boolean>;
  logout(): Promise<void>;
  /**
   * On a reload with stored tokens: GET /api/auth/me until the server answers, with backoff; a
   * call while it waits tries again at once. A refused session logs out (sessionLost).
   */
  restoreSession(): Promise<void>;
  sessionLost(): void;
  /**
   * The stored token pair changed in another tab: a logout there logs this page out, a login
   * (any account) clears this page's state and restores the session from the new pair; a renewal
   * of this page's own session changes nothing.
   */
  followStoredSession(): void;
}

export interface DashboardSlice {
  dashboard: {
    profile: DashboardProfile | null;
    currencies: Balances | null;
    eventsSummary: DashboardEvent[];
    missions: Dashboard['missions'] | null;
    pendingRewardsCount: number;
    todayRewards: Dashboard['today_rewards'] | null;
    last24h: Dashboard['last_24h'] | null;
    recentSessions: GameSession[];
    shopHighlights: Sku[];
    lastFetched: number | null;
    etag: string | null;
    loading: boolean;
  };
  profile: { data: Profile | null; loading: boolean };
  /** GET /api/dashboard with If-None-Match; a 304 keeps the state and only stamps lastFetched. */
  fetchDashboard(): Promise<void>;
  /** Marks the copy stale (claim, purchase, session end, a stream event) and revalidates it. */
  invalidateDashboard(newEtag?: string): Promise<void>;
  fetchProfile(): Promise<void>;
}

export interface EventsSlice {
  events: {
    list: LiveEvent[];
    participationsById: Record<string, ParticipationView>;
    claiming: Record<string, boolean>;
    errors: Record<string, string>;
    missions: { daily: Mission[]; weekly: Mission[] };
    /** true while the events are fetched and none are held yet. */
    loading: boolean;
    /**
     * false until the first GET of the missions answers (or fails): their screen says "loading"
     * until then, not "nothing here" for both periods.
     */
    missionsFetched: boolean;
    lastClaim: { id: string; reward_items: RewardItem[] } | null;
  };
  fetchEvents(): Promise<void>;
  fetchMissions(): Promise<void>;
  participate(eventId: string): Promise<void>;
  /** Client-reported progress: applied at once, reconciled with the server's progress_version. */
  reportProgress(eventId: string, delta: number): Promise<void>;
  claimEvent(eventId: string): Promise<void>;
  claimMission(missionId: string): Promise<void>;
  /** Applies a server progress state unless an equal or newer progress_version is already held. */
  applyProgress(kind: 'event' | 'mission', id: string, p: Omit<ParticipationView, 'status'> & { status?: ParticipationView['status']; completed?: boolean }): void;
}

export type GameStatus = 'idle' | 'starting' | 'playing' | 'ending' | 'ended';

export interface GameSlice {
  game: {
    types: GameType[];
    currentSession: StartSessionResponse | null;
    startedAtMs: number | null;
    recent: GameSession[];
    status: GameStatus;
    lastResult: EndSessionResponse | null;
  };
  fetchGameTypes(): Promise<void>;
  fetchRecentSessions(): Promise<void>;
  startGame(gameType: string): Promise<void>;
  /**
   * Ends the current session with the score earned and the real duration (seconds, capped at the
   * type's max_duration_s). Resolves to null when it did not end; the status says whether the
   * game is still on (`playing`, to end again) or gone back to `idle`.
   */
  endGame(score: number | undefined, meta?: Record<string, unknown>): Promise<EndSessionResponse | null>;
  resetGame(): void;
}

export interface ShopSlice {
  shop: {
    catalog: { regular: Sku[]; limited: Sku[] } | null;
    purchasingSku: string | null;
    purchaseResult: PurchaseResponse | null;
    inventory: InventoryEntry[] | null;
    /** Every defined item's name by id, to show bundles by name (an unknown id shows as itself). */
    itemNames: Record<string, string>;
    usingItem: string | null;
    useResult: { item_id: string; reward_items: RewardItem[] } | null;
  };
  fetchCatalog(): Promise<void>;
  purchase(skuId: string): Promise<PurchaseResponse | null>;
  fetchInventory(): Promise<void>;
  fetchItemNames(): Promise<void>;
  useItem(itemId: string): Promise<void>;
}

export interface RewardsSlice {
  /** `historyNext`: the cursor of the next page of the history, null once it is all here. */
  rewards: { pending: PendingReward[]; history: RewardGrant[]; historyNext: string | null; loading: boolean };
  fetchRewards(): Promise<void>;
  /** Appends the next page of the history (no-op when there is none or one is loading). */
  fetchMoreHistory(): Promise<void>;
}

export interface Toast {
  id: number;
  kind: 'error' | 'success' | 'info';
  /** An i18n key (errors.CODE, toast.*) with its variables; the view translates it. */
  key: string;
  vars?: Record<string, string | number>;
}

/**
 * The one dialog open, if any: `key` names it (the console's `edit-event`, `edit-mission`,
 * `edit-sku`, `edit-item`) and `vars` says what it is about (`{id}`). Kept in the store so opening
 * one closes any other, and a lost session or leaving the console closes it.
 */
export interface Modal {
  key: string;
  vars?: Record<string, string | number>;
}

export interface UiSlice {
  ui: { toasts: Toast[]; modal: Modal | null; networkBusy: number; lang: Lang };
  toast(kind: Toast['kind'], key: string, vars?: Toast['vars']): void;
  toastError(err: unknown): void;
  dismissToast(id: number): void;
  openModal(key: string, vars?: Record<string, string | number>): void;
  closeModal(): void;
  setLang(lang: Lang): void;
  busy(delta: 1 | -1): void;
}

export type AppState = AuthSlice & DashboardSlice & EventsSlice & GameSlice & ShopSlice & RewardsSlice & UiSlice;

export interface StoreDeps {
  client: ApiClient;
  api: Endpoints;
  /** Runs a user action once: a second call while the first is in flight gets the same promise and key. */
  once<T>(action: string, run: (idempotencyKey: string) => Promise<T>): Promise<T>;
  now(): number;
  /** Waits before a retry (tests pass one that returns at once). */
  wait(ms: number): Promise<void>;
  /** Which session an answer belongs to; one arriving after that session ended is dropped. */
  session: SessionGeneration;
}

export type SetState = (partial: Partial<AppState> | ((s: AppState) => Partial<AppState>)) => void;
export type GetState = () => AppState;
export type SliceCreator<T> = (set: SetState, get: GetState, deps: StoreDeps) => T;
export type { ApiError };
