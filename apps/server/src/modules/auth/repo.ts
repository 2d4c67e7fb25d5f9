import { CompiledQuery, sql } from 'kysely';
import type { Db } from '../../db/database.ts';

export function insertSession(db: Db, session: { id: string; user_id: string; created_at: Date }) {
  return db.insertInto('auth_sessions').values(session).execute();
}

/**
 * The user's suspension, read under a share lock held until the transaction ends: a suspension
 * (which locks the row FOR UPDATE) either committed before this read and is seen, or waits for
 * the transaction, and so for any session it opens.
 */
export function lockUserSuspension(trx: Db, userId: string) {
  return trx.selectFrom('users').select('suspended_at').where('id', '=', userId).forShare().executeTakeFirst();
}

export function insertRefreshToken(
  db: Db,
  token: { token_hash: string; session_id: string; issued_at: Date; expires_at: Date },
) {
  return db.insertInto('refresh_tokens').values(token).execute();
}

/**
 * Spends a refresh token in one statement: only an unspent, unexpired token of a live session
 * is marked, so of two concurrent refreshes with one token exactly one wins.
 */
export function spendRefreshToken(db: Db, tokenHash: string, now: Date) {
  return db
    .updateTable('refresh_tokens as t')
    .set({ spent_at: now })
    .from('auth_sessions as s')
    .whereRef('s.id', '=', 't.session_id')
    .where('t.token_hash', '=', tokenHash)
    .where('t.spent_at', 'is', null)
    .where('t.expires_at', '>', now)
    .where('s.revoked_at', 'is', null)
    .returning(['t.session_id', 's.user_id'])
    .executeTakeFirst();
}

export function findRefreshToken(db: Db, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens')
    .select(['session_id', 'spent_at', 'expires_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export function revokeSession(db: Db, sessionId: string, reason: 'logout' | 'reuse_detected', now: Date) {
  return db
    .updateTable('auth_sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * The live sessions among `sessionIds`, each with its user's role and, in the same read, the two
 * versions the player's dashboard is tagged with (users.state_version, content_version): a
 * revalidation then costs this one query. Many concurrent requests share one such read (see
 * `createSessionChecker`). Revoked and unknown sessions are simply absent, and so is every
 * session of a suspended user: a login that raced the suspension opens a session that is dead.
 */
// Plain SQL, built once: this read runs for every authenticated request (in batches), and
// building and compiling it with the query builder each time was a tenth of a 304's CPU.
const LIVE_SESSIONS = CompiledQuery.raw(
  `SELECT s.id, s.user_id, u.role, u.state_version, c.version AS content_version
   FROM auth_sessions s JOIN users u ON u.id = s.user_id CROSS JOIN content_version c
   WHERE s.id = any($1::uuid[]) AND s.revoked_at IS NULL AND u.suspended_at IS NULL AND c.id = 1`,
);

export interface LiveSessionRow {
  id: string;
  user_id: string;
  role: 'player' | 'admin';
  state_version: number;
  content_version: number;
}

export async function findLiveSessions(db: Db, sessionIds: readonly string[]): Promise<LiveSessionRow[]> {
  const { rows } = await db.executeQuery<LiveSessionRow>({ ...LIVE_SESSIONS, parameters: [[...sessionIds]] });
  return rows;
}
