import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { advisoryLocksHeld } from '../../test/locks.ts';
import { createTestDatabase } from '../../test/database.ts';
import type { Db } from './database.ts';

describe.runIf(process.env.DATABASE_URL)('the PostgreSQL pool', () => {
  // Found by the chaos suite (PostgreSQL stopped under load): pg-pool leaves a checked-out client
  // without an error listener, so the server ending it between two queries crashed the process.
  it('survives the server ending a connection that is checked out between queries', async () => {
    const t = await createTestDatabase();
    try {
      const failed = t.database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        await sql`SELECT pg_terminate_backend(${rows[0]!.pid})`.execute(t.database.db);
        // The termination notice arrives while this client runs no query.
        await new Promise((r) => setTimeout(r, 300));
        await sql`SELECT 1`.execute(trx);
      });
      await expect(failed).rejects.toThrow();
      const after = await sql<{ x: number }>`SELECT 1 AS x`.execute(t.database.db);
      expect(after.rows).toEqual([{ x: 1 }]);
    } finally {
      await t.drop();
    }
  });

  it('parses a parameterized statement once per connection and reuses it', async () => {
    const t = await createTestDatabase();
    try {
      const seen = await t.database.db.transaction().execute(async (trx) => {
        const read = (id: string) => trx.selectFrom('users').select('id').where('id', '=', id).execute();
        await read('00000000-0000-4000-8000-000000000001');
        await read('00000000-0000-4000-8000-000000000002');
        // No parameters: sent unnamed, so it does not list itself.
        const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(trx);
        return rows.map((r) => r.statement);
      });
      expect(seen.filter((s) => s.includes('from "users"'))).toHaveLength(1);
    } finally {
      await t.drop();
    }
  });
});

describe('holdAdvisoryLock', () => {
  const holders = (db: Db, key: number) => advisoryLocksHeld(db, 99, key);

  it('holds the lock until released; on a server, refuses a second holder of the key and leaves nothing behind', async () => {
    const t = await createTestDatabase();
    try {
      const db = t.database.db;
      const connections = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`.execute(db)).rows[0]!.n;
      const release = await t.database.holdAdvisoryLock(99, -12345);
      expect(await holders(db, -12345)).toBe(1);
      // PGlite is one session, whose advisory locks nest; only a server has another session to refuse.
      if (t.url) {
        const before = await connections();
        await expect(t.database.holdAdvisoryLock(99, -12345)).rejects.toThrow(/held by another session/);
        // The refused attempt's own connection is gone again, and nothing retries it.
        await expect.poll(connections).toBe(before);
      }
      await release();
      expect(await holders(db, -12345)).toBe(0);
      // Free again: the next holder takes it.
      const again = await t.database.holdAdvisoryLock(99, -12345);
      expect(await holders(db, -12345)).toBe(1);
      await again();
    } finally {
      await t.drop();
    }
  });
});
