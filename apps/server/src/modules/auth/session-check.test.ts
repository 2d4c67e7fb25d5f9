import { decodeJwt } from 'jose';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/database.ts';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makePlayer, type TestPlayer } from '../../../test/factories/players.ts';
import { revokeSession } from './repo.ts';
import { createSessionChecker } from './session-check.ts';

let ctx: TestContext;
let players: TestPlayer[];
beforeAll(async () => {
  ctx = await buildTestApp();
  players = [];
  for (let i = 0; i < 5; i++) players.push(await makePlayer(ctx.app));
});
afterAll(() => ctx?.close());

const sessionOf = (p: TestPlayer) => decodeJwt(p.access_token).sid as string;

/**
 * A checker on a db that counts the queries it runs (as their results come back: the check's
 * query is compiled once, so no query node passes through a plugin); while `gate` is set, each
 * query's answer waits for it (a query in flight for as long as the test wants).
 */
function countedChecker(options?: Parameters<typeof createSessionChecker>[1]) {
  const counted = { queries: 0, sizes: [] as number[], gate: null as Promise<void> | null };
  const counter: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      counted.queries += 1;
      counted.sizes.push(args.result.rows.length);
      if (counted.gate) await counted.gate;
      return args.result;
    },
  };
  return { counted, check: createSessionChecker(ctx.db.withPlugin(counter) as Db, options) };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('session checks', () => {
  it('answers every check asked in one turn with one query, each with its own user and versions', async () => {
    const { counted, check } = countedChecker();
    const ids = players.map(sessionOf);
    const answers = await Promise.all([...ids, ids[0]!, '00000000-0000-4000-8000-000000000000'].map((id) => check(id)));
    expect(counted.queries).toBe(1);
    expect(answers.slice(0, 5).map((a) => a?.userId)).toEqual(players.map((p) => p.user.id));
    expect(answers[5]?.userId).toBe(players[0]!.user.id);
    expect(answers[6]).toBeUndefined();
    expect(answers[0]).toMatchObject({ role: 'player', versions: { state: expect.any(Number), content: expect.any(Number) } });
  });

  it('splits a crowd into batches of at most maxBatchSize', async () => {
    const { counted, check } = countedChecker({ maxBatchSize: 2 });
    const answers = await Promise.all(players.map((p) => check(sessionOf(p))));
    expect(answers.every(Boolean)).toBe(true);
    expect(counted.queries).toBe(3);
  });

  it('gathers the checks of many turns into one query while the earlier ones are in flight', async () => {
    const { counted, check } = countedChecker({ maxInFlight: 1 });
    let open!: () => void;
    counted.gate = new Promise((r) => (open = r));
    const first = check(sessionOf(players[0]!));
    // The first query is out (and held); the next checks arrive over several turns.
    while (counted.queries === 0) await nextTurn();
    const later: Promise<unknown>[] = [];
    for (const p of players.slice(1)) {
      later.push(check(sessionOf(p)));
      await nextTurn();
    }
    expect(counted.queries).toBe(1);
    counted.gate = null;
    open();
    const answers = await Promise.all([first, ...later]);
    expect(answers.map((a) => (a as { userId: string } | undefined)?.userId)).toEqual(players.map((p) => p.user.id));
    // One query for the first check, one for the four that gathered behind it.
    expect(counted.queries).toBe(2);
    expect(counted.sizes).toEqual([1, 4]);
  });

  it('keeps nothing: a session revoked after one check is refused by the next', async () => {
    const player = await makePlayer(ctx.app);
    const { counted, check } = countedChecker();
    expect(await check(sessionOf(player))).toBeDefined();
    await revokeSession(ctx.db, sessionOf(player), 'logout', ctx.clock.now());
    expect(await check(sessionOf(player))).toBeUndefined();
    expect(counted.queries).toBe(2);
  });

  it('sees a version bump committed before the check', async () => {
    const [player] = players;
    const { check } = countedChecker();
    const before = (await check(sessionOf(player!)))!.versions.state;
    await ctx.db.updateTable('users').set((eb) => ({ state_version: eb('state_version', '+', 1) })).where('id', '=', player!.user.id).execute();
    expect((await check(sessionOf(player!)))!.versions.state).toBe(before + 1);
  });

  it('answers an id that is not a UUID as no session, without a query that would fail its batch', async () => {
    const { counted, check } = countedChecker();
    const [bad, good] = await Promise.all([check('not-a-uuid'), check(sessionOf(players[1]!))]);
    expect(bad).toBeUndefined();
    expect(good?.userId).toBe(players[1]!.user.id);
    expect(counted.queries).toBe(1);
  });
});
