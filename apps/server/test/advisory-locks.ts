import { sql } from 'kysely';
import type { Db } from '../src/db/database.ts';

/**
 * How many sessions hold, in this database, the two-key advisory lock (key1, key2), or any lock
 * whose first key is key1 when key2 is left out: what another node sees of a relay's presence.
 */
export async function advisoryLocksHeld(db: Db, key1: number, key2?: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = ${key1}::int::oid
      AND (${key2 ?? null}::int IS NULL OR objid = ${key2 ?? null}::int::oid)
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
  return rows[0]!.n;
}
