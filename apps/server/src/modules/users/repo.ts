import type { Selectable } from 'kysely';
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
