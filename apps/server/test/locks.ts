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

/**
 * Resolves once `n` backends of this database wait on a lock (a test has made requests queue
 * behind a row it holds), or `settled` turns true first; gives up after about ten seconds.
 */
export async function untilLockWaiters(db: Db, n: number, settled: () => boolean = () => false): Promise<void> {
  for (let i = 0; i < 1000 && !settled(); i++) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
    if (rows[0]!.n >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Takes `lock` in a transaction of its own on `db` and keeps it until the returned release is
 * called (which then waits for that transaction to end): a test's way to make requests queue
 * behind a row it holds.
 */
export async function holdLock(db: Db, lock: (trx: Db) => Promise<unknown>): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const taken = new Promise<void>((resolve) => (locked = resolve));
  const held = db.transaction().execute(async (trx) => {
    await lock(trx);
    locked();
    await released;
  });
  await Promise.race([taken, held]);
  return async () => {
    release();
    await held;
  };
}
