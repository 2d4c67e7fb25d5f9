import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestContext } from '../../../test/build-app.ts';
import { makePlayer } from '../../../test/factories/players.ts';
import { expectLedgerClean } from '../../../test/ledger.ts';
import { getBalances, movesBetween, playerAccount, postTransaction } from './ledger.ts';
import { verifyLedger } from './verify.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await buildTestApp();
});
afterAll(() => ctx?.close());

describe('ledger', () => {
  it('opens both accounts and pays the signup bonus from system:rewards', async () => {
    const player = await makePlayer(ctx.app);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
    const entries = await ctx.db
      .selectFrom('ledger_entries')
      .select(['owner', 'currency', 'amount'])
      .where('transaction_id', '=', (eb) =>
        eb.selectFrom('reward_grants').select('ledger_transaction_id').where('grant_key', '=', `signup:user:${player.user.id}`),
      )
      .orderBy('amount')
      .execute();
    expect(entries).toEqual([
      { owner: 'system:rewards', currency: 'soft', amount: -1000 },
      { owner: playerAccount(player.user.id), currency: 'soft', amount: 1000 },
    ]);
    await expectLedgerClean(ctx.db);
  });

  it('refuses, in the database, a debit past the balance and leaves nothing behind', async () => {
    const player = await makePlayer(ctx.app);
    const attempt = ctx.db.transaction().execute((trx) =>
      postTransaction(trx, {
        kind: 'purchase',
        reference: `test:${player.user.id}`,
        moves: movesBetween(player.user.id, 'system:shop', { soft: 1001 }, 'from_player'),
        now: ctx.clock.now(),
      }),
    );
    await expect(attempt).rejects.toMatchObject({ code: '23514' });
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
    await expectLedgerClean(ctx.db);
  });

  it('refuses an unbalanced transaction', async () => {
    const player = await makePlayer(ctx.app);
    const attempt = ctx.db.transaction().execute((trx) =>
      postTransaction(trx, {
        kind: 'grant',
        reference: `unbalanced:${player.user.id}`,
        moves: [{ owner: playerAccount(player.user.id), currency: 'soft', amount: 5 }],
        now: ctx.clock.now(),
      }),
    );
    await expect(attempt).rejects.toThrow(/does not balance/);
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
  });

  it('checks each transaction a statement touches, including one written before it, once per statement', async () => {
    const player = await makePlayer(ctx.app);
    const posted = await ctx.db.transaction().execute((trx) =>
      postTransaction(trx, {
        kind: 'grant',
        reference: `balanced:${player.user.id}`,
        moves: movesBetween(player.user.id, 'system:operator', { soft: 5, premium: 2 }, 'to_player'),
        now: ctx.clock.now(),
      }),
    );
    // A later statement adding one more entry to that transaction leaves it unbalanced.
    const addOne = sql`INSERT INTO ledger_entries (transaction_id, owner, currency, amount, created_at)
      VALUES (${posted.id}::uuid, 'system:operator', 'premium', 1, now())`.execute(ctx.db);
    await expect(addOne).rejects.toThrow(`ledger transaction ${posted.id} does not balance`);
    // Checked when the statement ends, not at commit: a second statement cannot balance the first.
    const twoSteps = ctx.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO ledger_entries (transaction_id, owner, currency, amount, created_at)
        VALUES (${posted.id}::uuid, 'system:operator', 'soft', 1, now())`.execute(trx);
      await sql`INSERT INTO ledger_entries (transaction_id, owner, currency, amount, created_at)
        VALUES (${posted.id}::uuid, 'system:shop', 'soft', -1, now())`.execute(trx);
    });
    await expect(twoSteps).rejects.toThrow('does not balance');
    // Two entries in one statement that balance each other keep it balanced.
    await sql`INSERT INTO ledger_entries (transaction_id, owner, currency, amount, created_at)
      VALUES (${posted.id}::uuid, 'system:operator', 'premium', 1, now()), (${posted.id}::uuid, 'system:shop', 'premium', -1, now())`.execute(ctx.db);
    await expectLedgerClean(ctx.db);
  });

  it('answers the balances after the move, including a currency it did not move and earlier moves of the same transaction', async () => {
    const player = await makePlayer(ctx.app);
    let answers: unknown[] = [];
    let inside: unknown;
    // Rolled back at the end: a purchase debit without its purchase row would fail the verifier.
    const rolledBack = ctx.db.transaction().execute(async (trx) => {
      const premium = await postTransaction(trx, {
        kind: 'grant',
        reference: `premium:${player.user.id}`,
        moves: movesBetween(player.user.id, 'system:operator', { premium: 7 }, 'to_player'),
        now: ctx.clock.now(),
      });
      const soft = await postTransaction(trx, {
        kind: 'purchase',
        reference: `soft:${player.user.id}`,
        moves: movesBetween(player.user.id, 'system:shop', { soft: 250 }, 'from_player'),
        now: ctx.clock.now(),
      });
      answers = [premium.balances, soft.balances];
      inside = await getBalances(trx, player.user.id);
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(answers).toEqual([
      { soft: 1000, premium: 7 },
      { soft: 750, premium: 7 },
    ]);
    expect(inside).toEqual({ soft: 750, premium: 7 });
    expect(await getBalances(ctx.db, player.user.id)).toEqual({ soft: 1000, premium: 0 });
    await expectLedgerClean(ctx.db);
  });

  it('keeps entries append-only', async () => {
    await expect(sql`UPDATE ledger_entries SET amount = amount + 1`.execute(ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM ledger_entries`.execute(ctx.db)).rejects.toThrow(/append-only/);
  });

  it('verify reports a cached balance that drifted from its entries', async () => {
    const player = await makePlayer(ctx.app);
    await ctx.db.updateTable('accounts').set({ balance: 5 }).where('owner', '=', playerAccount(player.user.id)).where('currency', '=', 'soft').execute();
    const violations = await verifyLedger(ctx.db);
    expect(violations.map((v) => v.rule)).toContain('player balance equals the sum of its entries');
    await ctx.db.updateTable('accounts').set({ balance: 1000 }).where('owner', '=', playerAccount(player.user.id)).where('currency', '=', 'soft').execute();
    await expectLedgerClean(ctx.db);
  });
});
