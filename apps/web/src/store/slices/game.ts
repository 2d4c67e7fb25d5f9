import { ApiError } from '../../api/client';
import type { GameSlice, SliceCreator } from '../types';

/** The game before any play, and again after a session ends. */
export const initialGameState: GameSlice['game'] = { types: [], currentSession: null, startedAtMs: null, recent: [], status: 'idle', lastResult: null };

/**
 * The seconds a play lasted as the end request reports them: tenths of the time since Start, at
 * most the game type's max_duration_s. The server refuses a longer duration for good (422
 * IMPLAUSIBLE_RESULT, the session left open), so a dice rolled after a minute idle, or a session
 * resumed after a reload, would never end; it lasted at least the maximum, which is the truth
 * the server can accept. Unknown max: uncapped.
 */
export function playedSeconds(elapsedMs: number, maxS: number | undefined): number {
  const seconds = Math.max(0, Math.round(elapsedMs / 100) / 10);
  return maxS === undefined ? seconds : Math.min(seconds, maxS);
}

/**
 * When a resumed session started, on the device's clock (`nowMs`, read as the lookup answered).
 * The server judges a duration against its own clock (at most its wall time since start + 2 s),
 * and the device's may run ahead of it: the time already played is the server's, its Date header
 * minus started_at. That header is whole seconds and read after it was sent, so this never counts
 * more than was played. No header: counted from now, short rather than refused.
 */
export function resumedStartMs(startedAt: string, serverDateMs: number | null, nowMs: number): number {
  if (serverDateMs === null) return nowMs;
  return nowMs - Math.max(0, serverDateMs - Date.parse(startedAt));
}

/** game {currentSession, recent, status}: start, end with the real duration, then progress and level. */
export const createGameSlice: SliceCreator<GameSlice> = (set, get, { api, once, now, session }) => ({
  game: initialGameState,

  async fetchGameTypes() {
    try {
      const { data } = await api.gameTypes();
      set((s) => ({ game: { ...s.game, types: data } }));
    } catch (err) {
      get().toastError(err);
    }
  },

  async fetchRecentSessions() {
    const current = session.begin();
    try {
      const { data } = await api.recentSessions();
      if (current()) set((s) => ({ game: { ...s.game, recent: data.items } }));
    } catch (err) {
      if (current()) get().toastError(err);
    }
  },

  async startGame(gameType) {
    if (get().game.status === 'starting') return;
    set((s) => ({ game: { ...s.game, status: 'starting', lastResult: null } }));
    const current = session.begin();
    try {
      const { data } = await once(`start:${gameType}`, (key) => api.startSession(gameType, key));
      if (current()) set((s) => ({ game: { ...s.game, currentSession: data, startedAtMs: now(), status: 'playing' } }));
    } catch (err) {
      if (!current()) return;
      // A session left open (another tab, a reload) is resumed rather than refused.
      if (err instanceof ApiError && err.code === 'SESSION_ALREADY_ACTIVE') {
        let found;
        try {
          found = await api.activeSessions();
        } catch (lookupErr) {
          // Not resumed, and not stuck 'starting' either: the next Start asks again.
          if (!current()) return;
          set((s) => ({ game: { ...s.game, status: 'idle' } }));
          get().toastError(lookupErr);
          return;
        }
        if (!current()) return;
        const open = found.data.items.find((x) => x.game_type === gameType);
        if (open) {
          set((s) => ({
            game: {
              ...s.game,
              currentSession: { session_id: open.session_id, game_type: open.game_type, started_at: open.started_at, status: 'active', seed_commitment: open.seed_commitment },
              startedAtMs: resumedStartMs(open.started_at, found.serverDateMs, now()),
              status: 'playing',
            },
          }));
          return;
        }
      }
      set((s) => ({ game: { ...s.game, status: 'idle' } }));
      get().toastError(err);
    }
  },

  async endGame(score, meta) {
    const { currentSession, startedAtMs, status } = get().game;
    if (!currentSession || startedAtMs === null || status === 'ending') return null;
    set((s) => ({ game: { ...s.game, status: 'ending' } }));
    const current = session.begin();
    // The cap comes from GET /api/game/types; a store that never asked (no Play screen yet) asks now.
    if (!get().game.types.some((g) => g.game_type === currentSession.game_type)) await get().fetchGameTypes();
    if (!current()) return null;
    const maxS = get().game.types.find((g) => g.game_type === currentSession.game_type)?.max_duration_s;
    const duration = playedSeconds(now() - startedAtMs, maxS);
    try {
      const { data } = await once(`end:${currentSession.session_id}`, (key) =>
        api.endSession(currentSession.session_id, { duration, ...(score !== undefined ? { score } : {}), ...(meta ? { meta } : {}) }, key),
      );
      if (!current()) return null;
      for (const u of data.progress_updates) get().applyProgress(u.kind, u.id, u);
      set((s) => ({
        game: { ...s.game, currentSession: null, startedAtMs: null, status: 'ended', lastResult: data, recent: [data.session, ...s.game.recent].slice(0, 10) },
      }));
      if (data.level_up) get().toast('success', 'toast.levelUp', { level: data.level });
      void get().invalidateDashboard();
      return data;
    } catch (err) {
      if (!current()) return null;
      // Over (SESSION_NOT_ACTIVE), or refused as it stands (IMPLAUSIBLE_RESULT: sending the same
      // play again changes nothing): back to the choice of games. A refused session is still open
      // on the server, so the next Start of that game resumes it. Anything else (the network, a
      // 503) may pass on a second try: the game stays on screen to end again.
      const settled = err instanceof ApiError && (err.code === 'SESSION_NOT_ACTIVE' || err.code === 'IMPLAUSIBLE_RESULT');
      set((s) => ({ game: { ...s.game, status: settled ? 'idle' : 'playing', ...(settled ? { currentSession: null, startedAtMs: null } : {}) } }));
      get().toastError(err);
      return null;
    }
  },

  resetGame() {
    set((s) => ({ game: { ...s.game, status: 'idle', lastResult: null } }));
  },
});
