import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { User } from '@playloop/contracts';
import type { Db } from '../../db/database.ts';
import type { UsersTable } from '../../db/schema.ts';

export type UserRow = Selectable<UsersTable>;

/** The public shape of a user row (SPEC `user`). */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    site_id: row.site_id,
    nickname: row.nickname,
    tier: row.tier,
    role: row.role,
    created_at: row.created_at.toISOString(),
  };
}

/** Inserts a user unless the handle is taken; undefined means taken. */
export function insertUser(
  db: Db,
  user: { site_id: string; nickname: string; password_hash: string; role?: 'player' | 'admin'; created_at: Date },
): Promise<UserRow | undefined> {
  return db
    .insertInto('users')
    .values(user)
    .onConflict((oc) => oc.column('site_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function findUserBySiteId(db: Db, siteId: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('site_id', '=', siteId).executeTakeFirst();
}

export function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Makes sure the operator account exists with this password and the admin role. */
/** Creates an operator account unless the handle is taken (never promotes an existing player). */
export function insertAdminIfAbsent(db: Db, admin: { site_id: string; password_hash: string; created_at: Date }) {
  return db
    .insertInto('users')
    .values({ ...admin, nickname: admin.site_id, role: 'admin' })
    .onConflict((oc) => oc.column('site_id').doNothing())
    .returning('id')
    .executeTakeFirst();
}

export function upsertAdmin(db: Db, admin: { site_id: string; password_hash: string; created_at: Date }) {
  return db
    .insertInto('users')
    .values({ ...admin, nickname: admin.site_id, role: 'admin' })
    .onConflict((oc) =>
      oc.column('site_id').doUpdateSet({ role: 'admin', password_hash: admin.password_hash }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface PlayerSearchRow extends UserRow {
  soft: number | null;
  premium: number | null;
  /** The handle of the operator who suspended the user, while suspended. */
  suspended_by_site_id: string | null;
}

/** `%`, `_` and `\` stand for themselves in a LIKE pattern made from what an operator typed. */
const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Users whose handle or nickname starts with `q` (case-insensitive), or whose id it is, with their
 * balances; the exact handle first, then the newest. Without `q`, the newest signups. Each match
 * is an index range (migration 0020), so a search costs the same on a million players.
 */
const playerRows = (where: RawBuilder<unknown>, orderBy: RawBuilder<unknown>, limit: number) => sql<PlayerSearchRow>`
    SELECT u.*, s.balance AS soft, g.balance AS premium, op.site_id AS suspended_by_site_id
    FROM users u
    LEFT JOIN accounts s ON s.owner = 'user:' || u.id::text AND s.currency = 'soft'
    LEFT JOIN accounts g ON g.owner = 'user:' || u.id::text AND g.currency = 'premium'
    LEFT JOIN users op ON op.id = u.suspended_by
    WHERE ${where}
    ORDER BY ${orderBy}
    LIMIT ${limit}`;

/**
 * One page of a search, `limit` rows. The first page puts the exact handle first; a later page
 * (after `before`, the id of the last row shown) leaves it out, as the first page showed it, and
 * lists the matches older than that user. A cursor that is the exact handle itself (a first page
 * of one row) starts the rest from the newest.
 *
 * After a cursor the page hangs off the cursor's row in one read: a cursor that is no user gives
 * no row at all, one with nothing after it a single row of nulls (the outer join's, an empty page).
 */
export function searchUsersQuery(p: { q: string | undefined; id: string | undefined; limit: number; before?: string | undefined }) {
  const q = p.q?.toLowerCase();
  const match = q
    ? sql`(u.site_id LIKE ${likePrefix(q)} OR lower(u.nickname) LIKE ${likePrefix(q)}${p.id ? sql` OR u.id = ${p.id}` : sql``})`
    : sql`true`;
  if (!p.before) return playerRows(match, sql`${q ? sql`u.site_id = ${q} DESC, ` : sql``}u.created_at DESC, u.id DESC`, p.limit);
  const notExact = q ? sql` AND u.site_id <> ${q}` : sql``;
  // Compared with the cursor's row as stored: a timestamp read into JS would lose its microseconds.
  const older = sql`(u.created_at, u.id) < (c.created_at, c.id)`;
  const after = q ? sql` AND (c.site_id = ${q} OR ${older})` : sql` AND ${older}`;
  return sql<PlayerSearchRow>`
    SELECT page.* FROM users c
    LEFT JOIN LATERAL (${playerRows(sql`${match}${notExact}${after}`, sql`u.created_at DESC, u.id DESC`, p.limit)}) page ON true
    WHERE c.id = ${p.before}
    ORDER BY page.created_at DESC, page.id DESC`;
}

/** One page of a search; undefined when `before` is no user. */
export async function searchUsers(db: Db, p: Parameters<typeof searchUsersQuery>[0]): Promise<PlayerSearchRow[] | undefined> {
  const rows = (await searchUsersQuery(p).execute(db)).rows;
  if (!p.before) return rows;
  return rows.length === 0 ? undefined : rows.filter((row) => row.id !== null);
}

/** One user with their balances, as a search lists them; undefined when there is no such user. */
export async function findPlayerRow(db: Db, id: string): Promise<PlayerSearchRow | undefined> {
  return (await playerRows(sql`u.id = ${id}`, sql`u.id`, 1).execute(db)).rows[0];
}

export type SuspensionRow = Pick<PlayerSearchRow, 'suspended_at' | 'suspended_reason' | 'suspended_by' | 'suspended_by_site_id'>;

/** The user's suspension with the suspending operator's handle; undefined when there is no such user. */
export function findSuspension(db: Db, id: string): Promise<SuspensionRow | undefined> {
  return db
    .selectFrom('users as u')
    .leftJoin('users as op', 'op.id', 'u.suspended_by')
    .select(['u.suspended_at', 'u.suspended_reason', 'u.suspended_by', 'op.site_id as suspended_by_site_id'])
    .where('u.id', '=', id)
    .executeTakeFirst();
}

/** The user's role and suspension, locked until the transaction ends (a suspension decides on it). */
export function lockUserForSuspension(trx: Db, id: string) {
  return trx.selectFrom('users').select(['role', 'suspended_at']).where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Suspends the user and revokes every live session of theirs, so their refresh tokens are spent too. */
export async function suspendUser(trx: Db, id: string, s: { reason: string; by: string; now: Date }): Promise<void> {
  await trx.updateTable('users').set({ suspended_at: s.now, suspended_reason: s.reason, suspended_by: s.by }).where('id', '=', id).execute();
  await trx
    .updateTable('auth_sessions')
    .set({ revoked_at: s.now, revoked_reason: 'suspended' })
    .where('user_id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Lifts a suspension; undefined when there is no such user. Sessions revoked by it stay revoked. */
export function reinstateUser(db: Db, id: string) {
  return db
    .updateTable('users')
    .set({ suspended_at: null, suspended_reason: null, suspended_by: null })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
}
