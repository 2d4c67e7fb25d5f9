import { ApiError, sessionOf } from '../../api/client';
import type { AuthSlice, SliceCreator } from '../types';
import { initialDashboardState, initialProfileState } from './dashboard';
import { initialEventsState } from './events';
import { initialGameState } from './game';
import { initialRewardsState } from './rewards';
import { initialShopState } from './shop';

// Between tries of the user check on a reload that got no answer: 1 s, 2 s, 4 s … at most 30 s.
const RESTORE_FIRST_WAIT_MS = 1000;
const RESTORE_MAX_WAIT_MS = 30_000;

/** auth {token, user, loading}: signup, login, logout; a lost session clears every slice. */
export const createAuthSlice: SliceCreator<AuthSlice> = (set, get, { client, api, once, session, wait }) => {
  // The user check of a reload in progress (and whether its session is still this page's), and
  // how to cut its wait before the next try short.
  let restoring: { done: Promise<void>; current: () => boolean } | null = null;
  let wake: (() => void) | null = null;
  // The login whose state this page holds (sessionOf its pair), to tell another tab's renewal of
  // it from another tab's logout or login.
  let heldSession = sessionOf(client.tokens.read());

  /**
   * Asks the server who the stored tokens belong to until it answers. A refused session is
   * ended by the client itself (sessionLost: back to login, which ends this loop too); anything
   * else — a node restarting, a network down, a 5xx — is no verdict on the session, so the page
   * says so and asks again after a growing wait (or at once, on restoreSession()).
   */
  async function restore(current: () => boolean): Promise<void> {
    for (let delay = RESTORE_FIRST_WAIT_MS; ; delay = Math.min(delay * 2, RESTORE_MAX_WAIT_MS)) {
      try {
        const { data } = await api.me();
        if (current()) set({ auth: { token: client.accessToken(), user: data.user, loading: false, restoreError: null } });
        return;
      } catch (err) {
        if (!current()) return;
        const code = err instanceof ApiError ? err.code : 'NETWORK';
        set((s) => ({ auth: { ...s.auth, restoreError: code } }));
        await Promise.race([wait(delay), new Promise<void>((resolve) => (wake = resolve))]);
        wake = null;
        if (!current()) return;
      }
    }
  }

  /**
   * Starts a new session generation: answers still on their way belong to the session that
   * ended and are dropped as they come, and a user check waiting out an outage stops now.
   */
  function newSession() {
    session.next();
    heldSession = sessionOf(client.tokens.read());
    wake?.();
  }

  return {
  auth: { token: client.accessToken(), user: null, loading: false, restoreError: null },

  async signup(site_id, nickname, password) {
    set((s) => ({ auth: { ...s.auth, loading: true } }));
    try {
      const { data } = await once(`signup:${site_id}`, (key) => api.signup({ site_id, nickname, password }, key));
      client.adopt(data);
      newSession();
      set({ auth: { token: data.access_token, user: data.user, loading: false, restoreError: null } });
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
      newSession();
      set({ auth: { token: data.access_token, user: data.user, loading: false, restoreError: null } });
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

  restoreSession() {
    // A check already under way for this session (waiting out an outage) is asked to try again
    // now instead; one for a session that has ended since is on its way out.
    if (restoring?.current()) {
      wake?.();
      return restoring.done;
    }
    if (!client.hasSession()) return Promise.resolve();
    const current = session.begin();
    set((s) => ({ auth: { ...s.auth, loading: true } }));
    const done = restore(current).finally(() => {
      if (restoring?.done === done) restoring = null;
    });
    restoring = { done, current };
    return done;
  },

  followStoredSession() {
    const stored = client.tokens.read();
    // Another tab renewed this session's pair: the client reads it at its next request.
    if (sessionOf(stored) === heldSession) return;
    // Another tab logged out, or logged in (as this player or another): everything this page
    // holds belongs to a session that is over, and its requests now go out with another's pair.
    get().sessionLost();
    if (!stored) return;
    // Logged in as whoever the pair now names, as on a reload (the screen waits for the check).
    set({ auth: { token: stored.access, user: null, loading: false, restoreError: null } });
    void get().restoreSession();
  },

  sessionLost() {
    newSession();
    // Every slice of the player's data back to what a fresh store holds, from the slices' own
    // initial states so that a field added later is cleared too; only the device's ui stays.
    set((s) => ({
      auth: { token: null, user: null, loading: false, restoreError: null },
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
};
};
