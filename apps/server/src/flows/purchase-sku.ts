import { randomUUID } from 'node:crypto';
import { MAX_AMOUNT, type Currency, type EnvelopeEventType, type ErrorCode, type PurchaseResponse, type RewardBundle } from '@playloop/contracts';
import type { Db } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError, notFound } from '../lib/domain-error.ts';
import { errorCodeOf } from '../plugins/errors.ts';
import { advanceProgressForMetric } from '../modules/events/progress.ts';
import { outboxRowsOf, underKey, withOutboxEvents, type OutboxEvent } from '../modules/outbox/service.ts';
import { grantReward } from '../modules/rewards/service.ts';
import { insufficientFunds, purchaseLimitReached, quantityTooLarge, soldOut } from '../modules/shop/errors.ts';
import { findOfferTakeStockAndCount, findPurchaseByKey, insertPaidPurchase, insertPurchase, PURCHASE_KEY_INDEX } from '../modules/shop/repo.ts';
import { multiplyBundle } from '../modules/shop/service.ts';
import { getBalances, lockPlayerAccounts, movesBetween } from '../modules/wallet/ledger.ts';

export interface PurchaseDeps {
  db: Db;
  clock: Clock;
  /** RESET_TIMEZONE: the mission day and week a purchase counts in. */
  resetTimezone: string;
}

export interface PurchaseInput {
  userId: string;
  skuId: string;
  quantity: number;
  /** The request's trace, carried by every analytics event of the purchase. */
  traceId?: string | undefined;
  /**
   * The request's X-Idempotency-Key: one key buys once for the player, ever (migration 0025); every
   * analytics event of the attempt carries it, the refusal's included.
   */
  idempotencyKey?: string | undefined;
}

export interface PurchaseOutcome {
  response: PurchaseResponse;
  /** True when the key had bought before: nothing was bought now, the earlier purchase answers. */
  replayed: boolean;
}

// Refusals that are about the request itself, not the purchase: no attempt is recorded for them.
const NOT_AN_ATTEMPT = new Set<ErrorCode>(['NOT_FOUND', 'VALIDATION_FAILED']);

/** Thrown (and caught) when the first statement read the offer newer than its snapshot: read again. */
const READ_AGAIN = Symbol('read the offer again');

/**
 * Buys `quantity` of a SKU for a player in one transaction: takes stock, counts against the
 * per-player limit, debits the player to system:shop, records the purchase and grants the
 * bundle times the quantity through the reward service, with its `shop.purchase.succeeded`
 * event. Every check is a guarded write, so concurrent purchases cannot oversell, pass a limit
 * or overdraw. On any failure the transaction rolls back (nothing debited, nothing granted) and
 * the failed attempt is recorded afterwards, with its `shop.purchase.failed` event, in a small
 * transaction of its own.
 *
 * Under an idempotency key, the first statement waits for any purchase still running under the
 * same key (its key taken over as stale), so a retry is answered with that purchase once it
 * commits, whatever refuses the retry itself (the offer closed meanwhile, the money spent).
 */
export async function purchaseSku(deps: PurchaseDeps, input: PurchaseInput): Promise<PurchaseOutcome> {
  const now = deps.clock.now();
  const purchaseId = randomUUID();
  const { userId, skuId, quantity, traceId, idempotencyKey } = input;
  let attempt: { price: number; currency: Currency } | undefined;

  // `readAgain`: whether a first statement that read the offer newer than its snapshot may run the
  // transaction again rather than answer SOLD_OUT.
  const buy = (readAgain: boolean) =>
    deps.db.transaction().execute(async (trx) => {
      const offer = await findOfferTakeStockAndCount(trx, userId, skuId, quantity, now, idempotencyKey);
      if (!offer) throw notFound('sku');
      attempt = { price: offer.price, currency: offer.currency_type };

      const totalPrice = offer.price * quantity;
      const granted = multiplyBundle(offer.bundle, quantity);
      if (!granted || totalPrice > MAX_AMOUNT) throw quantityTooLarge();
      if (offer.stock_remaining !== null && !offer.stock_taken) {
        // The offer has the stock, yet none was taken: the offer was read after waiting for an
        // operator's change (a restock, or unlimited made limited) while the stock UPDATE filtered
        // the row as the statement's snapshot, from before the change, had it. A new transaction
        // reads with a snapshot that holds the change. A buyer who lost the last units to a
        // purchase that committed while this one waited gets here too; its second reading says
        // sold out. Once only: a second miss is answered SOLD_OUT.
        if (readAgain && offer.stock_remaining >= quantity) throw READ_AGAIN;
        throw soldOut(skuId);
      }
      // A buyer past their limit, or who cannot pay, as of the committed state the statement saw
      // is refused before anything of theirs is locked (the statement counted nothing for them):
      // an empty wallet under a storm of attempts then answers its 402s side by side instead of
      // one at a time behind the locks. Only refusals are decided here; the guarded count and the
      // CHECK on the balance, under the locks, stay the guards for purchases racing each other.
      const limit = offer.per_user_limit;
      if (limit !== null && offer.buyer_purchased + quantity > limit) throw purchaseLimitReached(skuId, limit);
      if (offer.buyer_balance < totalPrice) throw insufficientFunds(offer.currency_type, totalPrice);
      // Not counted although nothing above refused it: a concurrent purchase took the limit.
      if (offer.counted === null) throw purchaseLimitReached(skuId, limit ?? 0);

      // A pack paid in one currency that grants the other would lock the player's two accounts
      // in either order: it locks both first, in currency order, as claims do. Any other purchase
      // locks only the account it pays from, with the debit below; the rest of its locks
      // (progress rows in id order, inventory in item order, then the users row) follow the same
      // order as every other flow's, so it cannot deadlock either, and purchases paid in the other
      // currency need not wait for it.
      if (granted.currencies) await lockPlayerAccounts(trx, userId);
      // The debit, the purchase row and its event go in one statement; the CHECK on the player's
      // balance refuses an overdraft inside it.
      const succeeded: OutboxEvent<'shop.purchase.succeeded'> = {
        eventType: 'shop.purchase.succeeded',
        userId,
        payload: { purchase_id: purchaseId, sku_id: skuId, quantity, price: offer.price, total_price: totalPrice, currency_type: offer.currency_type },
        now,
        traceId,
        idempotencyKey,
      };
      await insertPaidPurchase(
        trx,
        { id: purchaseId, userId, skuId, quantity, price: offer.price, currency: offer.currency_type, idempotencyKey, now },
        {
          id: randomUUID(),
          kind: 'purchase',
          reference: purchaseId,
          moves: movesBetween(userId, 'system:shop', { [offer.currency_type]: totalPrice }, 'from_player'),
          now,
        },
        outboxRowsOf([succeeded]),
      );
      // One purchase counts once for `purchases` events and missions, whatever its quantity.
      // After the accounts and before the grant's write of the users row, as a paying game end
      // does; that write bumps the state version and carries the progress events.
      const progressEvents: OutboxEvent<EnvelopeEventType>[] = [];
      await advanceProgressForMetric(trx, { userId, metric: 'purchases', delta: 1, now, resetTimezone: deps.resetTimezone, traceId, carryOutbox: progressEvents });
      const grant = await grantReward(trx, {
        userId,
        grantKey: `shop:purchase:${purchaseId}`,
        source: 'shop',
        sourceId: purchaseId,
        title: offer.name,
        bundle: granted,
        now,
        traceId,
        idempotencyKey,
        record: () => underKey(progressEvents, idempotencyKey),
      });

      return {
        purchase_id: purchaseId,
        status: 'succeeded' as const,
        sku_id: skuId,
        quantity,
        price: offer.price,
        total_price: totalPrice,
        currency_type: offer.currency_type,
        granted_bundle: granted,
        // As the grant's last statement read them: after the debit and any currency it granted.
        balances: grant.balances,
      };
    });

  try {
    const response = await buy(true).catch((error: unknown) => (error === READ_AGAIN ? buy(false) : Promise.reject(error)));
    return { response, replayed: false };
  } catch (caught) {
    // The key bought before (the earlier attempt's answer was lost, or it ran past the key's
    // takeover): whatever refused this attempt — the key's index, or the money or stock the first
    // one spent — the first purchase is the answer. Looked up only on this path, so a purchase
    // that succeeds costs no statement for it.
    if (idempotencyKey) {
      const earlier = await replayPurchase(deps.db, input, idempotencyKey);
      if (earlier) return { response: earlier, replayed: true };
      if (isKeyConflict(caught)) throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'a request with this idempotency key is in progress');
    }
    const error = attempt && isOverdraft(caught) ? insufficientFunds(attempt.currency, attempt.price * quantity) : caught;
    // What the player is answered with, mapped by the error handler itself.
    const code = errorCodeOf(error);
    if (attempt && !NOT_AN_ATTEMPT.has(code)) {
      const failed = attempt;
      // The transaction is over (PGlite's one connection is free again). The failed row and its
      // analytics event go together, in one statement; a failure to record must not replace the
      // player's answer.
      const record = async () => {
        const event: OutboxEvent<'shop.purchase.failed'> = {
          eventType: 'shop.purchase.failed',
          userId,
          payload: { purchase_id: purchaseId, sku_id: skuId, quantity, total_price: failed.price * quantity, currency_type: failed.currency, failure_code: code },
          now,
          traceId,
          idempotencyKey,
        };
        await insertPurchase(withOutboxEvents(deps.db, [event]), {
          id: purchaseId,
          userId,
          skuId,
          quantity,
          price: failed.price,
          currency: failed.currency,
          status: 'failed',
          failureCode: code,
          ledgerTransactionId: null,
          now,
        });
      };
      await record().catch(() => {});
    }
    throw error;
  }
}

/**
 * The answer of the player's purchase made under `key`, with their balances now. A key that
 * bought something else is refused: it buys once, whatever its age.
 */
async function replayPurchase(db: Db, input: PurchaseInput, key: string): Promise<PurchaseResponse | undefined> {
  const row = await findPurchaseByKey(db, input.userId, key);
  if (!row) return undefined;
  if (row.sku_id !== input.skuId || row.quantity !== input.quantity) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used for another purchase');
  }
  return {
    purchase_id: row.id,
    status: 'succeeded',
    sku_id: row.sku_id,
    quantity: row.quantity,
    price: row.price,
    total_price: row.total_price,
    currency_type: row.currency_type,
    granted_bundle: row.bundle as RewardBundle,
    balances: await getBalances(db, input.userId),
  };
}

interface PgError {
  code?: string;
  constraint?: string;
}

function isKeyConflict(error: unknown): boolean {
  const pg = error as PgError;
  return pg?.code === '23505' && pg.constraint === PURCHASE_KEY_INDEX;
}

function isOverdraft(error: unknown): boolean {
  const pg = error as PgError;
  return pg?.code === '23514' && pg.constraint === 'accounts_player_balance_nonnegative';
}
