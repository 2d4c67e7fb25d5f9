import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertIdentifier, type ClickHouseExecutor } from './executor.ts';

export const ANALYTICS_MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

/** The statements of one migration file: comments dropped, split on `;` at line ends. */
export function splitStatements(script: string): string[] {
  return script
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Creates the database and applies every migration file not yet recorded, in name order. Every
 * statement is `IF NOT EXISTS`, so two processes migrating at once (server and sink) do no harm.
 */
export async function migrateAnalytics(
  exec: ClickHouseExecutor,
  database: string,
  dir = ANALYTICS_MIGRATIONS_DIR,
): Promise<string[]> {
  const db = assertIdentifier(database);
  await exec.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await exec.command(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (name String, applied_at DateTime('UTC') DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY name`,
  );
  const applied = new Set(
    (await exec.select<{ name: string }>(`SELECT DISTINCT name FROM ${db}.schema_migrations`)).map((r) => r.name),
  );
  const done: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    if (applied.has(file)) continue;
    const script = readFileSync(path.join(dir, file), 'utf8').replaceAll('{db}', db);
    for (const statement of splitStatements(script)) {
      await exec.command(statement).catch((err: unknown) => {
        throw new Error(`analytics migration ${file} failed: ${(err as Error).message}`, { cause: err });
      });
    }
    const appliedAt = new Date().toISOString().slice(0, 19).replace('T', ' ');
    await exec.insert(`${db}.schema_migrations`, [{ name: file, applied_at: appliedAt }]);
    done.push(file);
  }
  return done;
}
