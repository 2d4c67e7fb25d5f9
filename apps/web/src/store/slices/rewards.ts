import type { RewardsSlice, SliceCreator } from '../types';

/** rewards {pending, history, loading}. */
export const createRewardsSlice: SliceCreator<RewardsSlice> = (set, get, { api }) => ({
  rewards: { pending: [], history: [], loading: false },

  async fetchRewards() {
    set((s) => ({ rewards: { ...s.rewards, loading: true } }));
    try {
      const [pending, history] = await Promise.all([api.pendingRewards(), api.rewardHistory()]);
      set({ rewards: { pending: pending.data.items, history: history.data.items, loading: false } });
    } catch (err) {
      set((s) => ({ rewards: { ...s.rewards, loading: false } }));
      get().toastError(err);
    }
  },
});
