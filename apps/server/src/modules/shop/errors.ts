import type { Currency } from '@playloop/contracts';
import { DomainError, unprocessable } from '../../lib/domain-error.ts';

export const soldOut = (skuId: string) => new DomainError('SOLD_OUT', `${skuId} has not enough stock left`);
export const purchaseLimitReached = (skuId: string, limit: number) =>
  new DomainError('PURCHASE_LIMIT_REACHED', `${skuId} can be bought at most ${limit} times per player`);
export const insufficientFunds = (currency: Currency, total: number) =>
  new DomainError('INSUFFICIENT_FUNDS', `the ${currency} balance does not cover ${total}`);
/** The SKU's price or bundle times this quantity passes the largest amount the API speaks. */
export const quantityTooLarge = () => unprocessable('body.quantity', 'too many units of this SKU in one purchase');
