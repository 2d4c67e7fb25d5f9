export * from './executor.ts';
export { openChdbExecutor } from './chdb-executor.ts';
export { openClickHouseExecutor, type ClickHouseServerOptions } from './clickhouse-executor.ts';
export { migrateAnalytics, splitStatements, ANALYTICS_MIGRATIONS_DIR } from './migrate.ts';
export { queryKpis, daysBetween, assertDay, MAX_KPI_DAYS } from './kpis.ts';
export { toEventsLogRow, toEventsLogJsonLine, type EventsLogRow } from './rows.ts';
export * from './store.ts';
