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

/** Database and table names go into SQL text, so only plain identifiers are accepted. */
export function assertIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new Error(`not a plain identifier: "${name}"`);
  return name;
}
