import { ApiError } from '../../api/client';
import type { AuthSlice, SliceCreator } from '../types';

/** auth {token, user, loading}: signup, login, logout; a lost session clears every slice. */
export const createAuthSlice: SliceCreator<AuthSlice> = (set, get, { client, api, once }) => ({
  auth: { token: client.accessToken(), user: null, loading: false },

  async signup(site_id, nickname, password) {
    set((s) => ({ auth: { ...s.auth, loading: true } }));
    try {
      const { data } = await once(`signup:${site_id}`, (key) => api.signup({ site_id, nickname, password }, key));
      client.adopt(data);
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
    set((s) => ({ auth: { ...s.auth, loading: true } }));
    try {
      const { data } = await api.me();
      set({ auth: { token: client.accessToken(), user: data.user, loading: false } });
    } catch {
      set((s) => ({ auth: { ...s.auth, loading: false } }));
    }
  },

  sessionLost() {
    set((s) => ({
      auth: { token: null, user: null, loading: false },
      dashboard: { ...s.dashboard, profile: null, currencies: null, eventsSummary: [], etag: null, lastFetched: null },
      profile: { data: null, loading: false },
      events: { ...s.events, list: [], participationsById: {} },
      rewards: { pending: [], history: [], historyNext: null, loading: false },
      shop: { ...s.shop, inventory: null, purchaseResult: null },
      game: { ...s.game, currentSession: null, status: 'idle', lastResult: null },
      // An open dialog (an operator's edit) belonged to the session that ended.
      ui: { ...s.ui, modal: null },
    }));
  },
});
