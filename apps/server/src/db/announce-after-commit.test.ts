import { AbortedTransactionError, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.ts';
import type { Db } from './database.ts';

// Migration 0017 and announce-after-commit.ts: on PostgreSQL the app's transactions collect their
// live-update announcements and NOTIFY them after COMMIT, in the same round trip.
describe.runIf(process.env.DATABASE_URL)('announcements after commit (PostgreSQL)', () => {
  let t: TestDatabase;
  let db: Db;
  const heard: string[] = [];
  const states: string[] = [];
  const checks = new Set<() => void>();
  const unlisten: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    db = t.database.db;
    const hear = (list: string[]) => (payload: string) => {
      list.push(payload);
      for (const check of checks) check();
    };
    unlisten.push(await t.database.listen('t_chan', hear(heard)), await t.database.listen('playloop_user', hear(states)));
  });
  afterAll(async () => {
    for (const stop of unlisten) await stop();
    await t?.drop();
  });

  /** Resolves once `done()` holds, checked as each notification arrives (fails after 10 s). */
  const until = (done: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        checks.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(new Error(`${what}; heard ${JSON.stringify(heard)} and ${JSON.stringify(states)}`));
      }, 10_000);
      checks.add(check);
      check();
    });
  const heardAtLeast = (n: number) => until(() => heard.length >= n, `expected ${n} on t_chan`);
  const announce = (on: Db, payload: string) => sql`SELECT playloop_announce('t_chan', ${payload})`.execute(on);
  const pending = async (on: Db) => (await sql<{ c: string | null }>`SELECT current_setting('playloop.changes', true) AS c`.execute(on)).rows[0]!.c;
  /**
   * What was heard from `from` on, up to a marker NOTIFYed outside any transaction: notifications
   * arrive in commit order, so anything committed before the marker has arrived by then.
   */
  async function heardUpToMarker(from: number): Promise<string[]> {
    const marker = `marker-${heard.length}-${Math.random()}`;
    await announce(db, marker);
    await until(() => heard.includes(marker), `expected ${marker}`);
    return heard.slice(from, heard.indexOf(marker));
  }

  it('keeps a transaction’s announcements until it commits, then NOTIFYs them in order', async () => {
    const from = heard.length;
    const inside = await db.transaction().execute(async (trx) => {
      await announce(trx, 'a');
      await announce(trx, 'b');
      return pending(trx);
    });
    // Collected, not NOTIFYed: a NOTIFY here would make the COMMIT take the database-wide lock.
    expect(inside).toBe('t_chan\ta\nt_chan\tb\n');
    await heardAtLeast(from + 2);
    expect(heard.slice(from, from + 2)).toEqual(['a', 'b']);
  });

  it('announces nothing of a rollback or of a rolled-back savepoint', async () => {
    const from = heard.length;
    await expect(
      db.transaction().execute(async (trx) => {
        await announce(trx, 'rolled back');
        throw new Error('give up');
      }),
    ).rejects.toThrow('give up');
    await db.transaction().execute(async (trx) => {
      await announce(trx, 'kept');
      await sql`SAVEPOINT sp`.execute(trx);
      await announce(trx, 'dropped');
      await sql`ROLLBACK TO SAVEPOINT sp`.execute(trx);
    });
    expect(await heardUpToMarker(from)).toEqual(['kept']);
  });

  it('still fails the commit of an aborted transaction, announcing nothing, and the pool goes on', async () => {
    const from = heard.length;
    await expect(
      db.transaction().execute(async (trx) => {
        await announce(trx, 'aborted');
        await sql`SELECT 1 / 0`.execute(trx).catch(() => {});
      }),
    ).rejects.toBeInstanceOf(AbortedTransactionError);
    expect(await heardUpToMarker(from)).toEqual([]);
    // Every connection of the pool is still usable and outside any transaction.
    const states = await Promise.all(Array.from({ length: 30 }, () => sql<{ s: string }>`SELECT current_setting('playloop.defer_notify', true) AS s`.execute(db)));
    expect(states.every((r) => (r.rows[0]!.s ?? '') === '')).toBe(true);
  });

  it('NOTIFYs at once outside a transaction', async () => {
    const from = heard.length;
    await announce(db, 'direct');
    await heardAtLeast(from + 1);
    expect(heard[from]).toBe('direct');
  });

  it('delivers every announcement of many parallel transactions exactly once', async () => {
    const from = heard.length;
    const payloads = Array.from({ length: 60 }, (_, i) => `p${i}`);
    await Promise.all(
      payloads.map((p) =>
        db.transaction().execute(async (trx) => {
          await announce(trx, p);
          await announce(trx, `${p}-second`);
        }),
      ),
    );
    const got = await heardUpToMarker(from);
    expect([...got].sort()).toEqual(payloads.flatMap((p) => [p, `${p}-second`]).sort());
    // Each transaction's two arrive in its own order.
    for (const p of payloads) expect(got.indexOf(p)).toBeLessThan(got.indexOf(`${p}-second`));
  });

  it('bounds what one transaction collects: a bulk change NOTIFYs the rest at once, and every announcement arrives once', async () => {
    const from = heard.length;
    const collected = await db.transaction().execute(async (trx) => {
      await sql`SELECT playloop_announce('t_chan', 'bulk-' || g) FROM generate_series(1, 5000) g`.execute(trx);
      return (await pending(trx))?.length ?? 0;
    });
    // Appending copies the collected text: unbounded, a bulk change would take quadratic time.
    expect(collected).toBeGreaterThan(60_000);
    expect(collected).toBeLessThan(65_536 + 100);
    const got = await heardUpToMarker(from);
    expect(got).toHaveLength(5000);
    expect(new Set(got).size).toBe(5000);
  });

  it('is how the live-update triggers announce: a state change is collected, then heard on playloop_user', async () => {
    const { id } = await db
      .insertInto('users')
      .values({ site_id: `ann_${Date.now().toString(36)}`, nickname: 'Ann', password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const inside = await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ state_version: sql`state_version + 1` }).where('id', '=', id).execute();
      return pending(trx);
    });
    const [channel, payload] = (inside ?? '').replace(/\n$/, '').split('\t');
    expect(channel).toBe('playloop_user');
    expect(JSON.parse(payload!)).toEqual({ k: 'state', u: id, v: 2 });
    await until(() => states.length > 0, 'expected the state change');
    expect(states.map((s) => JSON.parse(s))).toEqual([{ k: 'state', u: id, v: 2 }]);
  });
});
