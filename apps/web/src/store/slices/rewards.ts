import type { RewardGrant, RewardsSlice, SliceCreator } from '../types';

/** The rewards before their first answer, and again after a session ends. */
export const initialRewardsState: RewardsSlice['rewards'] = { pending: [], history: [], historyNext: null, loading: false };

/**
 * The history with a fresh first page on top. A grant announced while the player reads older
 * pages (loaded with More) must not take them away: when the first page reaches into what is
 * held, the held grants after it stay, with their cursor. A page that does not reach them (more
 * new grants than a page) would leave a gap, so it starts the list over, as a reload would.
 */
export function withFirstPage(
  held: Pick<RewardsSlice['rewards'], 'history' | 'historyNext'>,
  page: RewardGrant[],
  pageNext: string | null,
): Pick<RewardsSlice['rewards'], 'history' | 'historyNext'> {
  const last = page.at(-1);
  const at = pageNext === null || !last ? -1 : held.history.findIndex((g) => g.grant_id === last.grant_id);
  if (at < 0) return { history: page, historyNext: pageNext };
  return { history: [...page, ...held.history.slice(at + 1)], historyNext: held.historyNext };
}

/** rewards {pending, history, loading}; the history's first page, and more on demand. */
export const createRewardsSlice: SliceCreator<RewardsSlice> = (set, get, { api, session }) => ({
  rewards: initialRewardsState,

  async fetchRewards() {
    const current = session.begin();
    set((s) => ({ rewards: { ...s.rewards, loading: true } }));
    try {
      const [pending, history] = await Promise.all([api.pendingRewards(), api.rewardHistory()]);
      if (!current()) return;
      set((s) => ({ rewards: { pending: pending.data.items, ...withFirstPage(s.rewards, history.data.items, history.data.next_before), loading: false } }));
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
