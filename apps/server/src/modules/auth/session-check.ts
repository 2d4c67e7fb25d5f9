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
 * Checks sessions against the database, one query for every check asked in the same turn of the
 * event loop: under load each authenticated request would otherwise spend a round trip of its own
 * on the same one-row lookup, and that round trip is most of a 304's cost.
 *
 * Nothing is cached: the shared query is sent after every request it answers has arrived (at the
 * end of the loop turn, `setImmediate`), so it sees every commit that finished before any of them
 * arrived — a revoked session or a player's own write is never answered stale, on any node.
 */
export function createSessionChecker(db: Db, maxBatchSize = 500): SessionChecker {
  const loader = new DataLoader<string, LiveSession | undefined>(
    async (ids) => {
      const rows = await findLiveSessions(db, [...new Set(ids)]);
      const byId = new Map(
        rows.map((r) => [
          r.id,
          { userId: r.user_id, role: r.role, versions: { state: Number(r.state_version), content: Number(r.content_version) } },
        ]),
      );
      return ids.map((id) => byId.get(id));
    },
    { cache: false, maxBatchSize, batchScheduleFn: (dispatch) => setImmediate(dispatch) },
  );
  return (sessionId) => (UUID.test(sessionId) ? loader.load(sessionId) : Promise.resolve(undefined));
}
