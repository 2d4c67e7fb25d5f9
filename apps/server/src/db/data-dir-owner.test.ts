import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/database.ts';
import { StartupError } from '../startup.ts';
import { claimDataDir, INSTANCE_FILE, serverUsesDataDir, type DataDirClaim } from './data-dir-owner.ts';
import { listMigrations, migrate, MIGRATIONS_DIR } from './migrate.ts';

// The claims stand for server starts on PostgreSQL (the databases are this run's test databases:
// in-memory PGlite, or fresh ones on DATABASE_URL's server); the URL only names them in messages.
const AT = { databaseUrl: 'postgres://db.test:5432/db2' };

const dirs: string[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'playloop-owner-'));
  dirs.push(dir);
  return dir;
};
const testDatabase = async (options?: { migrated?: boolean }) => {
  const database = await createTestDatabase(options);
  databases.push(database);
  return database.database;
};
const instanceIdOf = async (database: TestDatabase['database']) =>
  (await sql<{ id: string }>`SELECT instance_id AS id FROM database_instance`.execute(database.db)).rows[0]?.id;
const tablesOf = async (database: TestDatabase['database']) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`.execute(database.db)).rows[0]?.n;

/** One start: claims DATA_DIR, runs `use` on the claim, gives DATA_DIR up whatever happens. */
async function withClaim<T>(dir: string, use: (claim: DataDirClaim) => Promise<T>): Promise<T> {
  const claim = claimDataDir({ dataDir: dir, ...AT });
  try {
    return await use(claim);
  } finally {
    claim.release();
  }
}
const refusalOf = (run: Promise<unknown>) =>
  run.then(
    () => undefined,
    (err: unknown) => {
      expect(err).toBeInstanceOf(StartupError);
      return (err as Error).message;
    },
  );

describe('a DATA_DIR serves one database', () => {
  it('a fresh DATA_DIR adopts the database it is first used with, and refuses any other after', async () => {
    const dir = dataDir();
    const first = await testDatabase();
    await withClaim(dir, async (claim) => {
      await claim.assertServes(first);
      await claim.adopt(first);
    });
    const id = await instanceIdOf(first);
    expect(readFileSync(path.join(dir, INSTANCE_FILE), 'utf8')).toBe(`${id}\nthe database at db.test:5432/db2\n`);
    await withClaim(dir, (claim) => claim.assertServes(first));

    // A new database is refused before it is migrated: it stays empty.
    const fresh = await testDatabase({ migrated: false });
    const refused = await refusalOf(withClaim(dir, (claim) => claim.assertServes(fresh)));
    expect(refused).toBe(
      `cannot use DATA_DIR (${dir}) for the database at DATABASE_URL (db.test:5432/db2): DATA_DIR serves another database (the database at db.test:5432/db2, instance ${id}); give each database its own DATA_DIR (e.g. DATA_DIR=./data-db2)`,
    );
    expect(await tablesOf(fresh)).toBe(0);
    // And so is another migrated one.
    const other = await testDatabase();
    expect(await refusalOf(withClaim(dir, (claim) => claim.assertServes(other)))).toContain(`serves another database (the database at db.test:5432/db2, instance ${id})`);
  });

  it("names what DATA_DIR keeps of its database; an embedded one is not made beside another's analytics", async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, INSTANCE_FILE), `${randomUUID()}\nthe embedded database in DATA_DIR/pglite\n`);
    mkdirSync(path.join(dir, 'chdb', 'store'), { recursive: true });
    writeFileSync(path.join(dir, 'demo-operator.txt'), 'site_id: operator\npassword: x\n');
    const fresh = await testDatabase({ migrated: false });
    const refused = await refusalOf(withClaim(dir, (claim) => claim.assertServes(fresh)));
    expect(refused).toContain('DATA_DIR serves another database (the embedded database in DATA_DIR/pglite, instance ');
    expect(refused).toContain('and keeps its analytics (chdb/) and demo operator password (demo-operator.txt); give each database its own DATA_DIR');

    const embedded = claimDataDir({ dataDir: dir, databaseUrl: undefined });
    try {
      expect(() => embedded.assertMayCreateEmbedded()).toThrow(StartupError);
    } finally {
      embedded.release();
    }
  });

  it('a DATA_DIR from before instance ids adopts a database from before them too, but not a brand-new one', async () => {
    const dir = dataDir();
    // What a pre-upgrade install keeps: chDB's files, the demo operator's password, no instance-id.
    mkdirSync(path.join(dir, 'chdb', 'store'), { recursive: true });
    writeFileSync(path.join(dir, 'demo-operator.txt'), 'site_id: operator\npassword: x\n');

    const fresh = await testDatabase({ migrated: false });
    expect(await refusalOf(withClaim(dir, (claim) => claim.assertServes(fresh)))).toBe(
      `cannot use DATA_DIR (${dir}) for the database at DATABASE_URL (db.test:5432/db2), never migrated: DATA_DIR keeps the analytics (chdb/) and demo operator password (demo-operator.txt) of another database it served before; give each database its own DATA_DIR (e.g. DATA_DIR=./data-db2)`,
    );

    const old = await testDatabase({ migrated: false });
    const before = mkdtempSync(path.join(tmpdir(), 'playloop-migrations-'));
    dirs.push(before);
    for (const file of listMigrations().filter((f) => !f.endsWith('_database_instance_id.sql'))) symlinkSync(path.join(MIGRATIONS_DIR, file), path.join(before, file));
    await migrate(old, before);
    await withClaim(dir, async (claim) => {
      await claim.assertServes(old);
      await migrate(old);
      await claim.adopt(old);
    });
    expect(readFileSync(path.join(dir, INSTANCE_FILE), 'utf8')).toMatch(new RegExp(`^${await instanceIdOf(old)}\n`));
  });

  it('an instance-id file that holds no id is refused, not replaced', () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, INSTANCE_FILE), 'not an id\n');
    expect(() => claimDataDir({ dataDir: dir, ...AT })).toThrow(/instance-id does not hold a database instance id/);
    expect(readFileSync(path.join(dir, INSTANCE_FILE), 'utf8')).toBe('not an id\n');
  });
});

describe('serverUsesDataDir', () => {
  const elsewhere = { databaseUrl: 'postgres://db/x', clickhouseUrl: 'http://ch:8123', jwtSecretSource: 'env', seedDemo: false, adminSiteId: undefined } as const;
  it.each([
    ['everything elsewhere', {}, false],
    ['an operator of its own instead of the demo one', { seedDemo: true, adminSiteId: 'ops' }, false],
    ['the embedded database', { databaseUrl: undefined }, true],
    ['chDB', { clickhouseUrl: undefined }, true],
    ['a generated JWT secret', { jwtSecretSource: 'new' }, true],
    ['a JWT secret kept there', { jwtSecretSource: 'file' }, true],
    ['the demo operator password', { seedDemo: true }, true],
  ] as const)('%s', (_name, change, uses) => {
    expect(serverUsesDataDir({ ...elsewhere, ...change })).toBe(uses);
  });
});
