import type { DashboardSlice, SliceCreator } from '../types';
import { participationsFrom } from './events';

/** The dashboard before its first answer, and again after a session ends. */
export const initialDashboardState: DashboardSlice['dashboard'] = {
  profile: null,
  currencies: null,
  eventsSummary: [],
  missions: null,
  pendingRewardsCount: 0,
  todayRewards: null,
  last24h: null,
  recentSessions: [],
  shopHighlights: [],
  lastFetched: null,
  etag: null,
  loading: false,
};

export const initialProfileState: DashboardSlice['profile'] = { data: null, loading: false };

/** dashboard {profile, currencies, eventsSummary, pendingRewardsCount, shopHighlights, lastFetched, etag}. */
export const createDashboardSlice: SliceCreator<DashboardSlice> = (set, get, { api, now, session }) => {
  let inFlight: Promise<void> | null = null;
  let again = false;

  async function load() {
    const current = session.begin();
    const { dashboard } = get();
    set((s) => ({ dashboard: { ...s.dashboard, loading: s.dashboard.lastFetched === null } }));
    try {
      const res = await api.dashboard(dashboard.etag);
      // The answer of a session that has ended since, ETag and all, is not the next player's.
      if (!current()) return;
      if (res.status === 304) {
        set((s) => ({ dashboard: { ...s.dashboard, lastFetched: now(), loading: false } }));
        return;
      }
      const d = res.data;
      set((s) => ({
        dashboard: {
          profile: d.profile,
          currencies: d.currencies,
          eventsSummary: d.active_events,
          missions: d.missions,
          pendingRewardsCount: d.pending_rewards,
          todayRewards: d.today_rewards,
          last24h: d.last_24h,
          recentSessions: d.recent_sessions,
          shopHighlights: d.shop_highlights,
          lastFetched: now(),
          etag: res.etag,
          loading: false,
        },
        // The dashboard's participations feed the events slice: the server's list, newest progress_version wins.
        events: {
          ...s.events,
          participationsById: participationsFrom(s.events.participationsById, d.active_events),
        },
      }));
    } catch (err) {
      if (!current()) return;
      set((s) => ({ dashboard: { ...s.dashboard, loading: false } }));
      get().toastError(err);
    }
  }

  return {
    dashboard: initialDashboardState,
    profile: initialProfileState,

    fetchDashboard() {
      // One request at a time; a call during one schedules exactly one more after it.
      if (inFlight) {
        again = true;
        return inFlight;
      }
      inFlight = (async () => {
        do {
          again = false;
          await load();
        } while (again);
      })().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },

    async invalidateDashboard(newEtag) {
      // A stream event naming the ETag we hold changes nothing.
      if (newEtag && newEtag === get().dashboard.etag) return;
      await get().fetchDashboard();
    },

    async fetchProfile() {
      const current = session.begin();
      set((s) => ({ profile: { ...s.profile, loading: true } }));
      try {
        const { data } = await api.profile();
        if (current()) set({ profile: { data, loading: false } });
      } catch (err) {
        if (!current()) return;
        set((s) => ({ profile: { ...s.profile, loading: false } }));
        get().toastError(err);
      }
    },
  };
};
