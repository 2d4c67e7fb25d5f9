import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { rewardHistory } from '../src/modules/rewards/history.ts';
import { grantReward } from '../src/modules/rewards/service.ts';
import { searchPlayers } from '../src/modules/users/service.ts';
import { buildTestApp, type TestContext } from './build-app.ts';
import { makePlayer, uniqueSiteId } from './factories/players.ts';

// A page after a cursor (`before`) reads the cursor's row and the page in one statement: the
// cursor is not looked up first and then again inside the page query. An unknown cursor is still
// 404 NOT_FOUND, found out by that same statement.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

/**
 * The database, counting the statements it runs. Counted by their results: a plugin transforms a
 * builder's subquery on its own too, though it runs inside its statement.
 */
function countedDb() {
  let queries = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      queries += 1;
      return args.result;
    },
  };
  return {
    db: ctx.db.withPlugin(counter) as Db,
    /** Runs `read` and returns what it gave (or threw) with the number of statements it ran. */
    async count<T>(read: () => Promise<T>): Promise<{ queries: number; result: T | undefined; error: unknown }> {
      queries = 0;
      try {
        const result = await read();
        return { queries, result, error: undefined };
      } catch (error) {
        return { queries, result: undefined, error };
      }
    },
  };
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('grant history after a cursor', () => {
  it('is one statement for a page, an empty page and an unknown cursor (still 404)', async () => {
    const player = await makePlayer(ctx.app);
    const other = await makePlayer(ctx.app);
    for (let i = 0; i < 3; i += 1) {
      ctx.clock.advance(1_000);
      await ctx.db.transaction().execute((trx) =>
        grantReward(trx, { userId: player.user.id, grantKey: `test:cursor:${player.user.id}:${i}`, source: 'game', bundle: { exp: i + 1 }, now: ctx.clock.now() }),
      );
    }
    const { db, count } = countedDb();
    const whole = await rewardHistory(db, player.user.id, { limit: 10 });
    expect(whole.items).toHaveLength(4);

    const first = await count(() => rewardHistory(db, player.user.id, { limit: 2 }));
    expect(first.queries).toBe(1);
    const next = await count(() => rewardHistory(db, player.user.id, { limit: 2, before: first.result!.next_before! }));
    expect(next.queries).toBe(1);
    expect([...first.result!.items, ...next.result!.items]).toEqual(whole.items);

    // After the oldest grant: an empty page, not a 404.
    const empty = await count(() => rewardHistory(db, player.user.id, { limit: 2, before: whole.items.at(-1)!.grant_id }));
    expect(empty).toMatchObject({ queries: 1, result: { items: [], next_before: null } });

    const theirs = (await rewardHistory(db, other.user.id, { limit: 1 })).items[0]!.grant_id;
    for (const before of [UNKNOWN, theirs]) {
      const refused = await count(() => rewardHistory(db, player.user.id, { limit: 2, before }));
      expect(refused.queries, before).toBe(1);
      expect(refused.error, before).toMatchObject({ name: 'DomainError', code: 'NOT_FOUND' });
    }
  });
});

describe('operator player search after a cursor', () => {
  it('is one statement for a page, an empty page and an unknown cursor (still 404)', async () => {
    const prefix = `${uniqueSiteId('c').replace(/_/g, '')}_`.slice(0, 20);
    for (const name of ['kim', 'kim1', 'kim2']) {
      ctx.clock.advance(1_000);
      await makePlayer(ctx.app, { site_id: `${prefix}${name}` });
    }
    const { db, count } = countedDb();
    const handles = (items: { user: { site_id: string } }[]) => items.map((i) => i.user.site_id);
    const q = `${prefix}kim`;

    // The exact handle first, then the newest: kim, kim2, kim1; a cursor on the exact handle
    // starts the rest from the newest.
    const first = await count(() => searchPlayers(db, { q, limit: 1 }));
    expect(first.queries).toBe(1);
    expect(handles(first.result!.items)).toEqual([q]);
    const second = await count(() => searchPlayers(db, { q, limit: 1, before: first.result!.next_before! }));
    expect(second.queries).toBe(1);
    expect(handles(second.result!.items)).toEqual([`${q}2`]);
    const third = await count(() => searchPlayers(db, { q, limit: 1, before: second.result!.next_before! }));
    expect(third.queries).toBe(1);
    expect(handles(third.result!.items)).toEqual([`${q}1`]);

    // After the last match: an empty page, not a 404.
    const empty = await count(() => searchPlayers(db, { q, limit: 1, before: third.result!.items[0]!.user.id }));
    expect(empty).toMatchObject({ queries: 1, result: { items: [], next_before: null } });

    for (const query of [{ q, limit: 1, before: UNKNOWN }, { limit: 5, before: UNKNOWN }]) {
      const refused = await count(() => searchPlayers(db, query));
      expect(refused.queries).toBe(1);
      expect(refused.error).toMatchObject({ name: 'DomainError', code: 'NOT_FOUND' });
    }
  });
});
