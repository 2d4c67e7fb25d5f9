import { ApiError } from '../../api/client';
import type { AuthSlice, SliceCreator } from '../types';
import { initialDashboardState, initialProfileState } from './dashboard';
import { initialEventsState } from './events';
import { initialGameState } from './game';
import { initialRewardsState } from './rewards';
import { initialShopState } from './shop';

/** auth {token, user, loading}: signup, login, logout; a lost session clears every slice. */
export const createAuthSlice: SliceCreator<AuthSlice> = (set, get, { client, api, once, session }) => ({
  auth: { token: client.accessToken(), user: null, loading: false },

  async signup(site_id, nickname, password) {
    set((s) => ({ auth: { ...s.auth, loading: true } }));
    try {
      const { data } = await once(`signup:${site_id}`, (key) => api.signup({ site_id, nickname, password }, key));
      client.adopt(data);
      session.next();
      set({ auth: { token: data.access_token, user: data.user, loading: false } });
      get().toast('success', 'toast.welcome', { name: data.user.nickname });
      return true;
    } catch (err) {
      set((s) => ({ auth: { ...s.auth, loading: false } }));
      get().toastError(err);
      return false;
    }
  },

  async login(site_id, password) {
    set((s) => ({ auth: { ...s.auth, loading: true } }));
    try {
      const { data } = await api.login({ site_id, password });
      client.adopt(data);
      session.next();
      set({ auth: { token: data.access_token, user: data.user, loading: false } });
      return true;
    } catch (err) {
      set((s) => ({ auth: { ...s.auth, loading: false } }));
      // The only refusal of a right password: an operator suspended the account.
      if (err instanceof ApiError && err.code === 'FORBIDDEN') get().toast('error', 'auth.suspended');
      else get().toastError(err);
      return false;
    }
  },

  async logout() {
    const refresh = client.tokens.read()?.refresh;
    try {
      await api.logout(refresh);
    } catch {
      // the local session ends whatever the server says
    }
    client.tokens.write(null);
    get().sessionLost();
  },

  async restoreSession() {
    if (!client.hasSession()) return;
    const current = session.begin();
    set((s) => ({ auth: { ...s.auth, loading: true } }));
    try {
      const { data } = await api.me();
      if (current()) set({ auth: { token: client.accessToken(), user: data.user, loading: false } });
    } catch {
      if (current()) set((s) => ({ auth: { ...s.auth, loading: false } }));
    }
  },

  sessionLost() {
    // Answers still on their way belong to the session that ended: they are dropped as they come.
    session.next();
    // Every slice of the player's data back to what a fresh store holds, from the slices' own
    // initial states so that a field added later is cleared too; only the device's ui stays.
    set((s) => ({
      auth: { token: null, user: null, loading: false },
      dashboard: initialDashboardState,
      profile: initialProfileState,
      events: initialEventsState,
      rewards: initialRewardsState,
      shop: initialShopState,
      game: initialGameState,
      // An open dialog (an operator's edit) belonged to the session that ended.
      ui: { ...s.ui, modal: null },
    }));
  },
});
