import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { IdempotencyKeysTable } from '../db/schema.ts';

/** Where one key lives: the caller, the route (method and pattern) and the client's key. */
export interface IdempotencyScope {
  userScope: string;
  route: string;
  key: string;
}

/** A held claim: only the holder of `lockToken` may complete or release the row. */
export interface IdempotencyClaim extends IdempotencyScope {
  lockToken: string;
}

export type IdempotencyRow = Selectable<IdempotencyKeysTable>;

/** The response a completed key replays. */
export interface StoredResponse {
  status: number;
  contentType: string | null;
  body: string;
}

const inScope = (scope: IdempotencyScope) =>
  ({ user_scope: scope.userScope, route: scope.route, idempotency_key: scope.key }) as const;

/**
 * Claims a key by inserting its row first; returns the claim when this request is the one to run
 * the handler, or null when another request holds (or held) the key.
 *
 * The conflict branch only overwrites a row nobody can still be relying on: one past its expiry
 * (not yet purged), or an in-progress claim with the same fingerprint whose holder has not
 * finished within `staleBefore` (a crashed node). PostgreSQL locks the conflicting row and
 * re-checks the WHERE on its latest version, so of many concurrent claimers exactly one gets a row back.
 */
export async function claimIdempotencyKey(
  db: Db,
  scope: IdempotencyScope,
  input: { fingerprint: string; now: Date; expiresAt: Date; staleBefore: Date },
): Promise<IdempotencyClaim | null> {
  const lockToken = randomUUID();
  const row = await db
    .insertInto('idempotency_keys')
    .values({
      ...inScope(scope),
      fingerprint: input.fingerprint,
      status: 'in_progress',
      lock_token: lockToken,
      locked_at: input.now,
      created_at: input.now,
      expires_at: input.expiresAt,
    })
    .onConflict((oc) =>
      oc
        .columns(['user_scope', 'route', 'idempotency_key'])
        .doUpdateSet((eb) => ({
          fingerprint: eb.ref('excluded.fingerprint'),
          status: eb.ref('excluded.status'),
          lock_token: eb.ref('excluded.lock_token'),
          locked_at: eb.ref('excluded.locked_at'),
          response_status: null,
          response_content_type: null,
          response_body: null,
          created_at: eb.ref('excluded.created_at'),
          completed_at: null,
          expires_at: eb.ref('excluded.expires_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<=', input.now),
            eb.and([
              eb('idempotency_keys.status', '=', 'in_progress'),
              eb('idempotency_keys.locked_at', '<=', input.staleBefore),
              eb('idempotency_keys.fingerprint', '=', eb.ref('excluded.fingerprint')),
            ]),
          ]),
        ),
    )
    .returning('lock_token')
    .executeTakeFirst();
  return row?.lock_token === lockToken ? { ...scope, lockToken } : null;
}

/** The row of a key, if any. */
export async function findIdempotencyKey(db: Db, scope: IdempotencyScope): Promise<IdempotencyRow | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('user_scope', '=', scope.userScope)
    .where('route', '=', scope.route)
    .where('idempotency_key', '=', scope.key)
    .executeTakeFirst();
}

/** Stores the response on the held row; false when the claim was lost (taken over as stale). */
export async function completeIdempotencyKey(
  db: Db,
  claim: IdempotencyClaim,
  response: StoredResponse,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set({
      status: 'completed',
      response_status: response.status,
      response_content_type: response.contentType,
      response_body: response.body,
      completed_at: now,
    })
    .where('user_scope', '=', claim.userScope)
    .where('route', '=', claim.route)
    .where('idempotency_key', '=', claim.key)
    .where('lock_token', '=', claim.lockToken)
    .where('status', '=', 'in_progress')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Deletes the held row so a retry with the same key runs the handler again. */
export async function releaseIdempotencyKey(db: Db, claim: IdempotencyClaim): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('user_scope', '=', claim.userScope)
    .where('route', '=', claim.route)
    .where('idempotency_key', '=', claim.key)
    .where('lock_token', '=', claim.lockToken)
    .where('status', '=', 'in_progress')
    .execute();
}

/** Deletes every key whose retention ended at or before `now`; returns how many went. */
export async function purgeExpiredIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
