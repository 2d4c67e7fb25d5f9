import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of the tables the migrations create; one interface per table. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: Generated<string>;
  site_id: string;
  nickname: string;
  password_hash: string;
  role: Generated<'player' | 'admin'>;
  tier: Generated<'bronze' | 'silver' | 'gold' | 'platinum' | 'diamond'>;
  level: Generated<number>;
  exp: Generated<number>;
  state_version: Generated<number>;
  created_at: Timestamp;
}

export interface AuthSessionsTable {
  id: string;
  user_id: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_reason: 'logout' | 'reuse_detected' | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  issued_at: Timestamp;
  expires_at: Timestamp;
  spent_at: Timestamp | null;
}

export interface SchemaMigrationsTable {
  name: string;
  applied_at: Timestamp;
}

export interface DB {
  users: UsersTable;
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  schema_migrations: SchemaMigrationsTable;
}
