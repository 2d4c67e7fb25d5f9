import type pg from 'pg';

// What Kysely's PostgresDriver sends to open and close a transaction (no isolation level or
// access mode is set anywhere in the app), as simple-protocol statements without parameters.
const KYSELY_BEGIN = 'begin';
const KYSELY_COMMIT = 'commit';

// Each still one round trip: pg sends a text without parameters as one simple-protocol query,
// which may hold several statements. COMMIT comes first so that its outcome is the query's: a
// failed commit fails it, an aborted transaction still answers with its ROLLBACK tag.
export const BEGIN_DEFERRING = 'BEGIN; SET LOCAL playloop.defer_notify = on';
export const COMMIT_AND_PUBLISH = 'COMMIT; SELECT playloop_publish_changes()';

type Query = (config: unknown, values?: unknown) => unknown;

/**
 * Makes a pool client's transactions announce their changes after commit (migration 0017): the
 * BEGIN also sets `playloop.defer_notify`, so the live-update triggers collect their payloads
 * instead of NOTIFYing, and the COMMIT is followed, in the same round trip, by the statement that
 * NOTIFYs what committed. A NOTIFY inside the transaction would make its commit take the one
 * database-wide lock that orders notifications, and hold it across the flush of its commit record.
 */
export function announceAfterCommit(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Query;
  client.query = ((config: unknown, values?: unknown) => {
    if (Array.isArray(values) && values.length === 0) {
      if (config === KYSELY_BEGIN) return firstResult(query(BEGIN_DEFERRING));
      if (config === KYSELY_COMMIT) return firstResult(query(COMMIT_AND_PUBLISH));
    }
    return query(config, values);
  }) as typeof client.query;
}

/** Kysely reads one result per query (COMMIT's tag included); a multi-statement query gives a list. */
async function firstResult(pending: unknown): Promise<pg.QueryResult> {
  const result = (await pending) as pg.QueryResult | pg.QueryResult[];
  return Array.isArray(result) ? result[0]! : result;
}
