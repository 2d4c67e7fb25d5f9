import type { RewardsSlice, SliceCreator } from '../types';

/** rewards {pending, history, loading}; the history's first page, and more on demand. */
export const createRewardsSlice: SliceCreator<RewardsSlice> = (set, get, { api }) => ({
  rewards: { pending: [], history: [], historyNext: null, loading: false },

  async fetchRewards() {
    set((s) => ({ rewards: { ...s.rewards, loading: true } }));
    try {
      const [pending, history] = await Promise.all([api.pendingRewards(), api.rewardHistory()]);
      set({ rewards: { pending: pending.data.items, history: history.data.items, historyNext: history.data.next_before, loading: false } });
    } catch (err) {
      set((s) => ({ rewards: { ...s.rewards, loading: false } }));
      get().toastError(err);
    }
  },

  async fetchMoreHistory() {
    const { historyNext, loading } = get().rewards;
    if (!historyNext || loading) return;
    set((s) => ({ rewards: { ...s.rewards, loading: true } }));
    try {
      const { data } = await api.rewardHistory(historyNext);
      // Grants made since the first page are above it, not in the pages after: append as they come.
      set((s) => {
        const known = new Set(s.rewards.history.map((g) => g.grant_id));
        return { rewards: { ...s.rewards, history: [...s.rewards.history, ...data.items.filter((g) => !known.has(g.grant_id))], historyNext: data.next_before, loading: false } };
      });
    } catch (err) {
      set((s) => ({ rewards: { ...s.rewards, loading: false } }));
      get().toastError(err);
    }
  },
});
