import type { ColumnType, Generated } from 'kysely';

/** Kysely's view of the tables the migrations create; one interface per table. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: written as a JSON string (pg and PGlite both accept it), read back parsed. */
export type Json = ColumnType<unknown, string, string>;

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

export interface AccountsTable {
  owner: string;
  currency: 'soft' | 'premium';
  kind: 'player' | 'system';
  balance: number | null;
  created_at: Generated<Date>;
}

export interface LedgerTransactionsTable {
  id: string;
  kind: 'grant' | 'purchase';
  reference: string;
  created_at: Timestamp;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  transaction_id: string;
  owner: string;
  currency: 'soft' | 'premium';
  amount: number;
  created_at: Timestamp;
}

export interface RewardGrantsTable {
  id: string;
  grant_key: string;
  user_id: string;
  source: 'signup' | 'event' | 'mission' | 'game' | 'shop' | 'item' | 'operator';
  source_id: string | null;
  title: string | null;
  bundle: Json;
  reward_items: Json;
  ledger_transaction_id: string | null;
  granted_at: Timestamp;
}

export interface ItemsTable {
  item_id: string;
  name: string;
  kind: 'cosmetic' | 'consumable';
  opens: Json | null;
  created_at: Generated<Date>;
}

export interface InventoryTable {
  user_id: string;
  item_id: string;
  quantity: number;
  updated_at: Timestamp;
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
  accounts: AccountsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  reward_grants: RewardGrantsTable;
  items: ItemsTable;
  inventory: InventoryTable;
}
