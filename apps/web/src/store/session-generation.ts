/**
 * Counts the sessions this page has seen, so an answer to a request made for one session is not
 * kept once another has begun: a logout, a lost session, a login or a signup starts a new
 * generation, and a fetch that began under an older one drops its answer (data, ETag and error).
 */
export interface SessionGeneration {
  /** Starts a new generation: every request in flight now belongs to a session that is over. */
  next(): void;
  /** Called as a request starts; the check it returns is false once that session has ended. */
  begin(): () => boolean;
}

export function createSessionGeneration(): SessionGeneration {
  let generation = 0;
  return {
    next() {
      generation += 1;
    },
    begin() {
      const startedUnder = generation;
      return () => startedUnder === generation;
    },
  };
}
