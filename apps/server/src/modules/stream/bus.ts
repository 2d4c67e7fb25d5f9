import type { Database } from '../../db/database.ts';

/** The channel the 20261128_0011 triggers NOTIFY on. */
export const USER_CHANNEL = 'playloop_user';

/** One committed change of a player's state, as the triggers announce it. */
export type UserChange =
  | { k: 'state'; u: string; v: number }
  | { k: 'reward'; u: string; id: string; source: string }
  | { k: 'purchase'; u: string; id: string; sku_id: string }
  | { k: 'progress'; u: string; kind: 'event' | 'mission'; id: string; progress: number; target: number; progress_version: number; status: string }
  /** A login session of the player was revoked (logout, refresh reuse, suspension; migration 0023). */
  | { k: 'revoked'; u: string; s: string };

export type UserChangeListener = (change: UserChange) => void;

/**
 * Fans committed changes out to the streams open on this node. The source is the database's
 * LISTEN/NOTIFY: PostgreSQL delivers each NOTIFY to every node listening (that is the cross-node
 * fan-out), PGlite delivers it in-process; both sit behind `Database.listen`.
 *
 * A NOTIFY reaches only the sessions LISTENing as it is sent, so what commits while the node's
 * LISTEN connection is down (a PostgreSQL restart, a proxy closing it) is announced to no stream
 * here, and nothing replays it. A subscriber therefore hears of the loss (`onLost`), and a
 * subscription taken meanwhile waits for the connection to be back: from the moment `subscribe`
 * resolves until `onLost`, every change of the user arrives.
 */
export interface UserChangeBus {
  /**
   * Resolves to the unsubscribe once the node is LISTENing (waiting while its connection is being
   * re-established), so nothing committed after it is missed until `onLost` is called. Rejects
   * when the node cannot LISTEN (the first connection failed; the next subscribe tries again) or
   * the bus closes meanwhile.
   */
  subscribe(userId: string, listener: UserChangeListener, onLost: () => void): Promise<() => void>;
  close(): Promise<void>;
}

interface Subscriber {
  listener: UserChangeListener;
  onLost: () => void;
}

export function createUserChangeBus(database: Pick<Database, 'listen'>, onError: (err: unknown) => void = () => {}): UserChangeBus {
  const byUser = new Map<string, Set<Subscriber>>();
  let unlisten: Promise<() => Promise<void>> | null = null;
  let closed = false;
  // Set while the LISTEN connection is down; settles when it is back (or the bus closes).
  let down: { back: Promise<void>; restored: () => void; closed: (err: Error) => void } | null = null;

  const dispatch = (payload: string) => {
    let change: UserChange;
    try {
      change = JSON.parse(payload) as UserChange;
    } catch (err) {
      onError(err);
      return;
    }
    for (const subscriber of byUser.get(change.u) ?? []) subscriber.listener(change);
  };

  const lost = () => {
    if (!down) {
      let restored = () => {};
      let closedWith: (err: Error) => void = () => {};
      const back = new Promise<void>((resolve, reject) => {
        restored = resolve;
        closedWith = reject;
      });
      // Nobody may be waiting when the bus closes.
      back.catch(() => {});
      down = { back, restored, closed: closedWith };
    }
    onError(new Error('the LISTEN connection for live updates dropped; its streams end, new ones wait until it is back'));
    for (const set of byUser.values()) for (const subscriber of set) subscriber.onLost();
  };
  const restored = () => {
    down?.restored();
    down = null;
  };

  // LISTEN starts with the first stream, so an app without streams holds no extra connection.
  const ensureListening = () => {
    unlisten ??= database.listen(USER_CHANNEL, dispatch, { lost, restored }).catch((err: unknown) => {
      onError(err);
      unlisten = null;
      throw err;
    });
    return unlisten;
  };

  return {
    async subscribe(userId, listener, onLost) {
      if (closed) throw new Error('the live update bus is closed');
      const subscriber: Subscriber = { listener, onLost };
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(subscriber);
      const unsubscribe = () => {
        set.delete(subscriber);
        if (set.size === 0 && byUser.get(userId) === set) byUser.delete(userId);
      };
      try {
        await ensureListening();
        // A drop while this waits makes a new `down`: wait for that one too.
        while (down) await down.back;
        if (closed) throw new Error('the live update bus is closed');
      } catch (err) {
        unsubscribe();
        throw err;
      }
      return unsubscribe;
    },
    async close() {
      closed = true;
      byUser.clear();
      down?.closed(new Error('the live update bus is closed'));
      down = null;
      const stop = await unlisten?.catch(() => null);
      unlisten = null;
      await stop?.();
    },
  };
}
