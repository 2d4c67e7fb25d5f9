import DataLoader from 'dataloader';
import type { Db } from '../../db/database.ts';
import { findLiveSessions } from './repo.ts';
import type { AccessClaims } from './tokens.ts';

/** A live session as one check reads it: its user, role and the dashboard versions. */
export interface LiveSession {
  userId: string;
  role: AccessClaims['role'];
  versions: { state: number; content: number };
}

export type SessionChecker = (sessionId: string) => Promise<LiveSession | undefined>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks sessions against the database, one query for many checks: under load each authenticated
 * request would otherwise spend a round trip of its own on the same one-row lookup, and that round
 * trip is most of a 304's cost.
 *
 * Checks gather until the end of the event loop turn (`setImmediate`); while `maxInFlight` such
 * queries are already out, they keep gathering until one returns. So the busier the node, the
 * larger the batch, and a quiet node answers at once.
 *
 * Nothing is cached: a query is sent after every request it answers has arrived, so it sees every
 * commit that finished before any of them arrived — a revoked session or a player's own write is
 * never answered stale, on any node.
 */
export function createSessionChecker(db: Db, options: { maxBatchSize?: number; maxInFlight?: number } = {}): SessionChecker {
  const { maxBatchSize = 500, maxInFlight = 2 } = options;
  let inFlight = 0;
  const held: (() => void)[] = [];
  const send = (dispatch: () => void) => {
    inFlight += 1;
    dispatch();
  };
  const loader = new DataLoader<string, LiveSession | undefined>(
    async (ids) => {
      try {
        const rows = await findLiveSessions(db, [...new Set(ids)]);
        const byId = new Map(
          rows.map((r) => [
            r.id,
            { userId: r.user_id, role: r.role, versions: { state: Number(r.state_version), content: Number(r.content_version) } },
          ]),
        );
        return ids.map((id) => byId.get(id));
      } finally {
        inFlight -= 1;
        const next = held.shift();
        if (next) send(next);
      }
    },
    {
      cache: false,
      maxBatchSize,
      // A batch whose dispatch is held stays open: later checks join it (up to maxBatchSize).
      batchScheduleFn: (dispatch) => setImmediate(() => (inFlight < maxInFlight ? send(dispatch) : held.push(dispatch))),
    },
  );
  return (sessionId) => (UUID.test(sessionId) ? loader.load(sessionId) : Promise.resolve(undefined));
}
