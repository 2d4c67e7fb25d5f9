/** Runs `task` while holding the lock called `name`; whoever asks next waits until it settles. */
export type SharedLock = <T>(name: string, task: () => Promise<T>) => Promise<T>;

/** A lock held within this realm only: one queue per name. */
export function inProcessLock(): SharedLock {
  // The tail of each queue never rejects, so the next task runs whatever the last one did.
  const tails = new Map<string, Promise<void>>();
  return <T>(name: string, task: () => Promise<T>) => {
    const result = (tails.get(name) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return result;
  };
}

// One for every client of this realm, so two clients over one token store (two tabs in a test)
// queue behind each other as two tabs do behind Web Locks.
const realmLock = inProcessLock();

/**
 * The Web Locks of the page where it has them — held across every tab of the origin — and else
 * (Node in tests, an old browser) one lock for the whole realm.
 */
export const tabsLock: SharedLock = <T>(name: string, task: () => Promise<T>) => {
  const locks = globalThis.navigator?.locks;
  // request() resolves with what the task's promise resolves to (its DOM type nests the promise).
  return locks ? locks.request(name, task).then((result) => result) : realmLock(name, task);
};
