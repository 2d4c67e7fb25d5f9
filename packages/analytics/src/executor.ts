/**
 * The few operations the analytics store needs from a ClickHouse engine. Both engines run the same
 * SQL text; only how it reaches them differs (in-process chDB, or a server over HTTP).
 */
export interface ClickHouseExecutor {
  readonly kind: 'chdb' | 'clickhouse';
  /** A statement that returns no rows (DDL). */
  command(sql: string): Promise<void>;
  /** A SELECT; rows as plain objects. 64-bit integers may come back as strings: use Number(). */
  select<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Appends rows in JSONEachRow format, one INSERT. */
  insert(table: string, rows: readonly object[]): Promise<void>;
  /** Appends rows already encoded as JSONEachRow text (one JSON object per line), one INSERT. */
  insertJsonLines(table: string, body: string): Promise<void>;
  /** Whether the engine answers (for health and the pipeline endpoint). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** What a database or table name may be, in words, for the messages that refuse one. */
export const PLAIN_IDENTIFIER_RULE = 'a plain identifier (letters, digits and _, not starting with a digit, at most 64 characters)';

/** Whether `name` can go into SQL text as it is. */
export const isPlainIdentifier = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name);

/** Database and table names go into SQL text, so only plain identifiers are accepted. */
export function assertIdentifier(name: string): string {
  if (!isPlainIdentifier(name)) throw new Error(`not a plain identifier: "${name}"`);
  return name;
}

/**
 * `CLICKHOUSE_DATABASE` as the server and the sink read it: `playloop` when unset, else a plain
 * identifier (it goes into SQL text), refused at start in one line otherwise.
 */
export function clickhouseDatabaseFrom(value: string | undefined): string {
  if (value === undefined || value === '') return 'playloop';
  if (!isPlainIdentifier(value)) throw new Error(`CLICKHOUSE_DATABASE must be ${PLAIN_IDENTIFIER_RULE}, got "${value}"`);
  return value;
}
