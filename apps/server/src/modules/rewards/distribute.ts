import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { DistributeBodySchema } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';
import { notFound } from '../../lib/domain-error.ts';
import { canonicalJson } from '../../lib/idempotency-fingerprint.ts';
import { userExists } from './repo.ts';
import { grantReward } from './service.ts';

// Keys may be 255 characters; a digest keeps grant keys short and of one length. The body is in
// it too: once the idempotency key's 24 hours are over it is a new key (as on every route), and a
// new body under it must pay, not be answered 201 with the old grant while granting nothing.
const grantDigest = (key: string, body: unknown) => createHash('sha256').update(key).update('\n').update(canonicalJson(body)).digest('hex').slice(0, 32);

/**
 * An operator's grant to one player. The grant key is built from the operator's idempotency
 * key and the body, so the same request can never pay twice, whatever the concurrency.
 */
export async function distributeReward(
  deps: { db: Db; clock: Clock },
  input: { operatorId: string; idempotencyKey: string; body: z.infer<typeof DistributeBodySchema>; traceId?: string | undefined },
) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await userExists(trx, input.body.user_id))) throw notFound('user');
    // The grant's first locks are the player's accounts, both in currency order when it pays both
    // (`ledgerWrites`), as a claim or a pack takes them: the one order, so the two cannot deadlock.
    const grant = await grantReward(trx, {
      userId: input.body.user_id,
      grantKey: `operator:${input.operatorId}:${grantDigest(input.idempotencyKey, input.body)}:user:${input.body.user_id}`,
      source: 'operator',
      sourceId: input.operatorId,
      title: input.body.reason,
      bundle: input.body.bundle,
      now,
      traceId: input.traceId,
      idempotencyKey: input.idempotencyKey,
    });
    return {
      grant_id: grant.grantId,
      user_id: input.body.user_id,
      reward_items: grant.rewardItems,
      balances: grant.balances,
    };
  });
}
