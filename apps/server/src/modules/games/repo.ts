import { sql, type Selectable } from 'kysely';
import type { GameSession } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { GameSessionsTable } from '../../db/schema.ts';

export type GameSessionRow = Selectable<GameSessionsTable>;

/** The public shape of a session row (SPEC `session`). */
export function toGameSession(row: GameSessionRow): GameSession {
  return {
    session_id: row.id,
    game_type: row.game_type,
    started_at: row.started_at.toISOString(),
    ended_at: row.ended_at?.toISOString() ?? null,
    score: row.score,
    duration: row.duration_s,
    status: row.status,
    seed_commitment: row.seed_commitment,
  };
}

export interface NewSession {
  id: string;
  userId: string;
  gameType: string;
  startedAt: Date;
  seed: string | null;
  seedCommitment: string | null;
  serverScore: number | null;
  serverResult: unknown;
}

/**
 * Inserts an active session unless the player already has one of this type (the partial unique
 * index decides, so of concurrent starts exactly one gets a row); undefined means one is active.
 */
export function insertActiveSession(trx: Db, s: NewSession): Promise<GameSessionRow | undefined> {
  return trx
    .insertInto('game_sessions')
    .values({
      id: s.id,
      user_id: s.userId,
      game_type: s.gameType,
      status: 'active',
      started_at: s.startedAt,
      seed: s.seed,
      seed_commitment: s.seedCommitment,
      server_score: s.serverScore,
      server_result: s.serverResult === null ? null : JSON.stringify(s.serverResult),
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Closes the player's active session of a type as abandoned if it started before `startedBefore`. */
export async function abandonSessionStartedBefore(trx: Db, userId: string, gameType: string, startedBefore: Date, now: Date): Promise<number> {
  const result = await trx
    .updateTable('game_sessions')
    .set({ status: 'abandoned', ended_at: now })
    .where('user_id', '=', userId)
    .where('game_type', '=', gameType)
    .where('status', '=', 'active')
    .where('started_at', '<', startedBefore)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The X-Idempotency-Key an end runs under and its request's fingerprint. */
export interface EndKey {
  key: string;
  fingerprint: string;
}

/**
 * Ends the player's session if it is still active — the one write that decides who ends it. A server-scored session keeps the
 * score rolled at start whatever the client sent; a missing client score is stored as 0 here and
 * refused by the caller's plausibility check (rollback). A keyed end records its key here.
 * Undefined when the session is not this player's or not active.
 */
export function claimSessionEnd(
  trx: Db,
  end: {
    sessionId: string;
    userId: string;
    now: Date;
    score: number | undefined;
    durationS: number;
    meta: unknown;
    endKey: EndKey | undefined;
  },
): Promise<GameSessionRow | undefined> {
  return trx
    .updateTable('game_sessions')
    .set({
      status: 'ended',
      ended_at: end.now,
      score: sql<number>`COALESCE(server_score, ${end.score ?? null}::bigint, 0)`,
      duration_s: end.durationS,
      meta: end.meta === undefined ? null : JSON.stringify(end.meta),
      end_idempotency_key: end.endKey?.key ?? null,
      end_fingerprint: end.endKey?.fingerprint ?? null,
    })
    .where('id', '=', end.sessionId)
    .where('user_id', '=', end.userId)
    .where('status', '=', 'active')
    .returningAll()
    .executeTakeFirst();
}

/** Keeps a keyed end's answer on its session, to answer a retry under the key with. */
export async function keepEndResponse(trx: Db, sessionId: string, response: unknown): Promise<void> {
  await trx.updateTable('game_sessions').set({ end_response: JSON.stringify(response) }).where('id', '=', sessionId).execute();
}

/** Closes one active session as abandoned (it outlived its type's max duration and grace). */
export async function abandonSession(trx: Db, sessionId: string, now: Date): Promise<void> {
  await trx
    .updateTable('game_sessions')
    .set({ status: 'abandoned', ended_at: now })
    .where('id', '=', sessionId)
    .where('status', '=', 'active')
    .execute();
}

/** What an end that did not claim the session needs to know of it, if it is this player's. */
export function findSessionForRetry(db: Db, sessionId: string, userId: string) {
  return db
    .selectFrom('game_sessions')
    .select(['status', 'started_at', 'game_type', 'end_idempotency_key', 'end_fingerprint', 'end_response'])
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** The player's ended sessions, newest end first. */
export function listEndedSessions(db: Db, userId: string, limit: number): Promise<GameSessionRow[]> {
  return db
    .selectFrom('game_sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '=', 'ended')
    .orderBy('ended_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The player's active sessions (at most one per game type), oldest first. */
export function listActiveSessions(db: Db, userId: string): Promise<GameSessionRow[]> {
  return db
    .selectFrom('game_sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('status', '=', 'active')
    .orderBy('started_at')
    .orderBy('id')
    .execute();
}


/** How many plays of the player were paid in [from, to) (their `game` grants). */
export async function countPaidPlays(trx: Db, userId: string, from: Date, to: Date): Promise<number> {
  const row = await trx
    .selectFrom('reward_grants')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('source', '=', 'game')
    .where('granted_at', '>=', from)
    .where('granted_at', '<', to)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
