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
  /** Consecutive RESET_TIMEZONE-local days with an ended game session. */
  streak_days: Generated<number>;
  /** The local day of the last ended session; written as 'YYYY-MM-DD', read back as a Date. */
  last_play_date: ColumnType<Date | null, string | null | undefined, string | null>;
  /** Set while an operator has the player suspended (migration 0022), with the operator's reason. */
  suspended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  suspended_reason: ColumnType<string | null, string | null | undefined, string | null>;
  /** The operator who suspended the player. */
  suspended_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuthSessionsTable {
  id: string;
  user_id: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_reason: 'logout' | 'reuse_detected' | 'suspended' | null;
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
  idempotency_key: ColumnType<string | null, string | null | undefined, string | null>;
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

export interface SkusTable {
  sku_id: string;
  name: string;
  description: string;
  price: number;
  currency_type: 'soft' | 'premium';
  bundle: Json;
  segment: 'regular' | 'limited';
  stock: number | null;
  stock_remaining: number | null;
  per_user_limit: number | null;
  available_from: Timestamp | null;
  available_until: Timestamp | null;
  active: Generated<boolean>;
  created_at: Timestamp;
}

export interface SkuPurchaseCountsTable {
  user_id: string;
  sku_id: string;
  purchased: number;
}

export interface PurchasesTable {
  id: string;
  user_id: string;
  sku_id: string;
  quantity: number;
  price: number;
  total_price: number;
  currency_type: 'soft' | 'premium';
  status: 'succeeded' | 'failed';
  failure_code: string | null;
  ledger_transaction_id: string | null;
  /** The X-Idempotency-Key it was made under (succeeded purchases; one per player and key). */
  idempotency_key: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

/** One use of a consumable: the definition snapshot, the roll (tables only) and the grant. */
export interface ItemOpensTable {
  id: string;
  user_id: string;
  item_id: string;
  idempotency_key: string | null;
  opens: Json;
  roll: number | null;
  chosen_index: number | null;
  grant_id: string | null;
  quantity_left: number | null;
  opened_at: Timestamp;
}

/** One play; server-scored types also keep the seed, its commitment and the result rolled at start. */
export interface GameSessionsTable {
  id: string;
  user_id: string;
  game_type: string;
  status: Generated<'active' | 'ended' | 'abandoned'>;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  score: number | null;
  duration_s: number | null;
  meta: Json | null;
  seed: string | null;
  seed_commitment: string | null;
  server_score: number | null;
  server_result: Json | null;
  /** The X-Idempotency-Key of a keyed end, its request's fingerprint and the answer it gave (0028). */
  end_idempotency_key: string | null;
  end_fingerprint: string | null;
  end_response: Json | null;
}

/** An X-Idempotency-Key claim and, once completed, the response it replays. */
export interface IdempotencyKeysTable {
  user_scope: string;
  route: string;
  idempotency_key: string;
  fingerprint: string;
  status: 'in_progress' | 'completed';
  lock_token: string;
  locked_at: Timestamp;
  response_status: number | null;
  response_content_type: string | null;
  response_body: string | null;
  created_at: Timestamp;
  completed_at: Timestamp | null;
  expires_at: Timestamp;
}

/** A live event; rules and reward_bundle follow EventRulesSchema and RewardBundleSchema. */
export interface EventsTable {
  id: Generated<string>;
  key: string;
  title: string;
  description: string;
  type: 'daily' | 'limited' | 'progression';
  starts_at: Timestamp;
  ends_at: Timestamp;
  rules: Json;
  reward_bundle: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One player's participation in one event (status machine: modules/events/state.ts). */
export interface EventParticipationsTable {
  user_id: string;
  event_id: string;
  status: 'active' | 'claimable' | 'claimed' | 'expired';
  progress: number;
  target: number;
  progress_version: number;
  joined_at: Timestamp;
  last_progress_at: Timestamp | null;
  claimed_at: Timestamp | null;
  expired_at: Timestamp | null;
}

export interface MissionsTable {
  id: Generated<string>;
  key: string;
  title: string;
  description: string;
  period: 'daily' | 'weekly';
  rules: Json;
  reward_bundle: Json;
  active: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One player's progress in one period of one mission (status machine: modules/missions/state.ts). */
export interface MissionProgressTable {
  user_id: string;
  mission_id: string;
  period_key: string;
  period_ends_at: Timestamp;
  status: 'active' | 'claimable' | 'claimed';
  progress: number;
  target: number;
  progress_version: number;
  last_progress_at: Timestamp | null;
  claimed_at: Timestamp | null;
  created_at: Timestamp;
}

/** One row (id 1): the version of the operator's content, bumped by triggers; part of the dashboard ETag. */
export interface ContentVersionTable {
  id: number;
  version: number;
}

/** A RESET_TIMEZONE-local day a player signed in (0029): the `logins` metric counts these. */
export interface SignInDaysTable {
  user_id: string;
  /** Written as 'YYYY-MM-DD', read back as a Date. */
  day: ColumnType<Date, string, never>;
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
  idempotency_keys: IdempotencyKeysTable;
  item_opens: ItemOpensTable;
  skus: SkusTable;
  sku_purchase_counts: SkuPurchaseCountsTable;
  purchases: PurchasesTable;
  game_sessions: GameSessionsTable;
  events: EventsTable;
  event_participations: EventParticipationsTable;
  missions: MissionsTable;
  mission_progress: MissionProgressTable;
  content_version: ContentVersionTable;
  sign_in_days: SignInDaysTable;
}
