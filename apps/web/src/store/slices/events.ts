import type { Mission } from '@playloop/contracts';
import { ApiError } from '../../api/client';
import type { EventsSlice, ParticipationView, SliceCreator } from '../types';

/** The events and missions before their first answer, and again after a session ends. */
export const initialEventsState: EventsSlice['events'] = {
  list: [],
  participationsById: {},
  claiming: {},
  errors: {},
  missions: { daily: [], weekly: [] },
  loading: false,
  missionsFetched: false,
  lastClaim: null,
};

const statusOf = (progress: number, target: number, claimed: boolean): ParticipationView['status'] =>
  claimed ? 'claimed' : progress >= target ? 'claimable' : 'active';

/**
 * The participations as the server lists them with the active events (GET /api/events, the
 * dashboard's `active_events`): rebuilt from its list, so one it no longer reports (an event that
 * ended, another account's after a switch of account) is gone. For one held too, the newer
 * progress_version wins; an equal one replaces an optimistic guess with the server's numbers.
 */
export function participationsFrom(
  held: Readonly<Record<string, ParticipationView>>,
  events: readonly { id: string; participation: Pick<ParticipationView, 'status' | 'progress' | 'target' | 'progress_version'> | null }[],
): Record<string, ParticipationView> {
  const next: Record<string, ParticipationView> = {};
  for (const e of events) {
    if (!e.participation) continue;
    const mine = held[e.id];
    const { status, progress, target, progress_version } = e.participation;
    next[e.id] = mine && mine.progress_version > progress_version ? mine : { status, progress, target, progress_version };
  }
  return next;
}

/** events {list, participationsById, claiming, errors} and the missions of the current periods. */
export const createEventsSlice: SliceCreator<EventsSlice> = (set, get, { api, once, session }) => {
  const setError = (id: string, err: unknown) =>
    set((s) => ({ events: { ...s.events, errors: { ...s.events.errors, [id]: err instanceof ApiError ? err.code : 'NETWORK' } } }));
  return {
  events: initialEventsState,

  async fetchEvents() {
    const current = session.begin();
    set((s) => ({ events: { ...s.events, loading: s.events.list.length === 0 } }));
    try {
      const { data } = await api.events();
      if (!current()) return;
      set((s) => ({ events: { ...s.events, list: data.items, participationsById: participationsFrom(s.events.participationsById, data.items), loading: false } }));
    } catch (err) {
      if (!current()) return;
      set((s) => ({ events: { ...s.events, loading: false } }));
      get().toastError(err);
    }
  },

  async fetchMissions() {
    const current = session.begin();
    try {
      const { data } = await api.missions();
      if (current()) set((s) => ({ events: { ...s.events, missions: data, missionsFetched: true } }));
    } catch (err) {
      if (!current()) return;
      set((s) => ({ events: { ...s.events, missionsFetched: true } }));
      get().toastError(err);
    }
  },

  async participate(eventId) {
    const current = session.begin();
    try {
      const { data } = await once(`participate:${eventId}`, (key) => api.participate(eventId, key));
      if (!current()) return;
      get().applyProgress('event', eventId, data);
      void get().invalidateDashboard();
    } catch (err) {
      if (!current()) return;
      setError(eventId, err);
      get().toastError(err);
    }
  },

  async reportProgress(eventId, delta) {
    const held = get().events.participationsById[eventId];
    // One report at a time: a second click while one is out (a double click) would join it under
    // the same key and send nothing, so it must not add to the guess either.
    if (!held || held.pending) return;
    const event = get().events.list.find((e) => e.id === eventId);
    if (!event) return;
    // Optimistic: show the new progress now, marked pending, and keep the version we based it on.
    // The status stays the server's: only its answer makes the event claimable, so no Claim is
    // offered (and refused as NOT_CLAIMABLE) for progress the server has not recorded yet.
    const guess: ParticipationView = { ...held, progress: held.progress + delta, pending: true };
    set((s) => ({ events: { ...s.events, participationsById: { ...s.events.participationsById, [eventId]: guess } } }));
    const current = session.begin();
    try {
      const { data } = await once(`progress:${eventId}`, (key) =>
        api.reportProgress(eventId, { metric: event.rules.metric, delta, expected_version: held.progress_version }, key),
      );
      if (!current()) return;
      get().applyProgress('event', eventId, data);
      void get().invalidateDashboard();
    } catch (err) {
      if (!current()) return;
      // Roll back to what the server last said (`held`, never a guess), unless a newer state of
      // the server's (a stream event, a fetch) has replaced the guess meanwhile; on
      // VERSION_CONFLICT fetch the truth.
      set((s) =>
        s.events.participationsById[eventId] === guess ? { events: { ...s.events, participationsById: { ...s.events.participationsById, [eventId]: held } } } : {},
      );
      if (err instanceof ApiError && err.code === 'VERSION_CONFLICT') await get().fetchEvents();
      get().toastError(err);
    }
  },

  async claimEvent(eventId) {
    if (get().events.claiming[eventId]) return;
    set((s) => ({ events: { ...s.events, claiming: { ...s.events.claiming, [eventId]: true } } }));
    const current = session.begin();
    try {
      const { data } = await once(`claim:event:${eventId}`, (key) => api.claimEvent(eventId, key));
      if (!current()) return;
      get().applyProgress('event', eventId, data);
      set((s) => ({ events: { ...s.events, lastClaim: { id: eventId, reward_items: data.reward_items } } }));
      get().toast('success', 'toast.claimed');
      void get().invalidateDashboard();
      void get().fetchRewards();
    } catch (err) {
      if (!current()) return;
      setError(eventId, err);
      get().toastError(err);
    } finally {
      if (current()) set((s) => ({ events: { ...s.events, claiming: { ...s.events.claiming, [eventId]: false } } }));
    }
  },

  async claimMission(missionId) {
    if (get().events.claiming[missionId]) return;
    set((s) => ({ events: { ...s.events, claiming: { ...s.events.claiming, [missionId]: true } } }));
    const current = session.begin();
    try {
      const { data } = await once(`claim:mission:${missionId}`, (key) => api.claimMission(missionId, key));
      if (!current()) return;
      get().applyProgress('mission', missionId, data);
      set((s) => ({ events: { ...s.events, lastClaim: { id: missionId, reward_items: data.reward_items } } }));
      get().toast('success', 'toast.claimed');
      void get().invalidateDashboard();
      void get().fetchRewards();
    } catch (err) {
      if (!current()) return;
      setError(missionId, err);
      get().toastError(err);
    } finally {
      if (current()) set((s) => ({ events: { ...s.events, claiming: { ...s.events.claiming, [missionId]: false } } }));
    }
  },

  applyProgress(kind, id, p) {
    const claimed = p.status === 'claimed';
    const status = p.status ?? statusOf(p.progress, p.target, claimed);
    if (kind === 'event') {
      set((s) => {
        const held = s.events.participationsById[id];
        // An older answer arriving late never overwrites a newer one; an equal version replaces
        // an optimistic (pending) guess with the server's numbers.
        if (held && held.progress_version > p.progress_version) return {};
        const view: ParticipationView = { status, progress: p.progress, target: p.target, progress_version: p.progress_version };
        return { events: { ...s.events, participationsById: { ...s.events.participationsById, [id]: view } } };
      });
      return;
    }
    const patch = (list: Mission[]) =>
      list.map((m) =>
        m.id === id && m.progress_version <= p.progress_version
          ? { ...m, progress: p.progress, target: p.target, progress_version: p.progress_version, status: status === 'expired' ? m.status : status, completed: p.progress >= p.target, claimed }
          : m,
      );
    set((s) => ({ events: { ...s.events, missions: { daily: patch(s.events.missions.daily), weekly: patch(s.events.missions.weekly) } } }));
  },
};
};
