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
 */
export interface UserChangeBus {
  /** Resolves once the node is LISTENing, so nothing committed after it is missed; returns the unsubscribe. */
  subscribe(userId: string, listener: UserChangeListener): Promise<() => void>;
  close(): Promise<void>;
}

export function createUserChangeBus(database: Pick<Database, 'listen'>, onError: (err: unknown) => void = () => {}): UserChangeBus {
  const byUser = new Map<string, Set<UserChangeListener>>();
  let unlisten: Promise<(() => Promise<void>) | null> | null = null;

  const dispatch = (payload: string) => {
    let change: UserChange;
    try {
      change = JSON.parse(payload) as UserChange;
    } catch (err) {
      onError(err);
      return;
    }
    for (const listener of byUser.get(change.u) ?? []) listener(change);
  };

  // LISTEN starts with the first stream, so an app without streams holds no extra connection.
  const ensureListening = () => {
    unlisten ??= database.listen(USER_CHANNEL, dispatch).catch((err: unknown) => {
      onError(err);
      unlisten = null;
      return null;
    });
    return unlisten;
  };

  return {
    async subscribe(userId, listener) {
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(listener);
      await ensureListening();
      return () => {
        set.delete(listener);
        if (set.size === 0) byUser.delete(userId);
      };
    },
    async close() {
      byUser.clear();
      const stop = await unlisten;
      unlisten = null;
      await stop?.();
    },
  };
}
