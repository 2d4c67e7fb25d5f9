import type { RewardsSlice, SliceCreator } from '../types';

/** The rewards before their first answer, and again after a session ends. */
export const initialRewardsState: RewardsSlice['rewards'] = { pending: [], history: [], historyNext: null, loading: false };

/** rewards {pending, history, loading}; the history's first page, and more on demand. */
export const createRewardsSlice: SliceCreator<RewardsSlice> = (set, get, { api, session }) => ({
  rewards: initialRewardsState,

  async fetchRewards() {
    const current = session.begin();
    set((s) => ({ rewards: { ...s.rewards, loading: true } }));
    try {
      const [pending, history] = await Promise.all([api.pendingRewards(), api.rewardHistory()]);
      if (!current()) return;
      set({ rewards: { pending: pending.data.items, history: history.data.items, historyNext: history.data.next_before, loading: false } });
    } catch (err) {
      if (!current()) return;
      set((s) => ({ rewards: { ...s.rewards, loading: false } }));
      get().toastError(err);
    }
  },

  async fetchMoreHistory() {
    const { historyNext, loading } = get().rewards;
    if (!historyNext || loading) return;
    const current = session.begin();
    set((s) => ({ rewards: { ...s.rewards, loading: true } }));
    try {
      const { data } = await api.rewardHistory(historyNext);
      if (!current()) return;
      // Grants made since the first page are above it, not in the pages after: append as they come.
      set((s) => {
        const known = new Set(s.rewards.history.map((g) => g.grant_id));
        return { rewards: { ...s.rewards, history: [...s.rewards.history, ...data.items.filter((g) => !known.has(g.grant_id))], historyNext: data.next_before, loading: false } };
      });
    } catch (err) {
      if (!current()) return;
      set((s) => ({ rewards: { ...s.rewards, loading: false } }));
      get().toastError(err);
    }
  },
});
