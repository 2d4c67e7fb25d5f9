import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './database.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

// Any constant works; it only has to be the same on every node that migrates this database.
const MIGRATION_LOCK = 7_041_977;

export function listMigrations(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Applies every migration not yet recorded, each in its own transaction, in file-name order.
 * A session advisory lock makes concurrent starts of several nodes take turns.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = listMigrations(dir);
  return database.session(async (run) => {
    await run(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await run(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const applied = new Set((await run('SELECT name FROM schema_migrations')).map((r) => String(r.name)));
      const done: string[] = [];
      for (const file of files) {
        if (applied.has(file)) continue;
        const script = readFileSync(path.join(dir, file), 'utf8');
        await run(`BEGIN;\n${script}\n;INSERT INTO schema_migrations (name) VALUES (${quote(file)});\nCOMMIT;`).catch(
          async (err: unknown) => {
            await run('ROLLBACK').catch(() => {});
            throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
          },
        );
        done.push(file);
      }
      return done;
    } finally {
      await run(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}

/** True when every migration file is recorded as applied (used by /readyz). */
export async function migrationsApplied(database: Database, dir = MIGRATIONS_DIR): Promise<boolean> {
  const files = listMigrations(dir);
  const rows = await database.db
    .selectFrom('schema_migrations')
    .select('name')
    .execute()
    .catch(() => []);
  const applied = new Set(rows.map((r) => r.name));
  return files.every((f) => applied.has(f));
}

/**
 * The migration files not applied to `database` yet (every one, on a database never migrated).
 * Unlike migrationsApplied, a database that does not answer is an error, not "not migrated".
 */
export async function pendingMigrations(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = listMigrations(dir);
  const { rows } = await sql<{ present: boolean }>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`.execute(database.db);
  if (!rows[0]?.present) return files;
  const applied = new Set((await database.db.selectFrom('schema_migrations').select('name').execute()).map((r) => r.name));
  return files.filter((f) => !applied.has(f));
}
