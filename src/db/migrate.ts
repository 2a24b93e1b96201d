import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles, type MigrationMeta } from 'drizzle-orm/migrator';
import type { Db, Engine } from './database.js';
import { PostgresDb } from './postgres.js';
import { SqliteDb } from './sqlite.js';

/** drizzle-kit writes each engine's migrations into its own folder (drizzle.config.ts, drizzle.postgres.config.ts). */
export function migrationsFolder(engine: Engine): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle', engine);
}

/** A migration failed and was rolled back: the database is as it was before this run. */
export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`Migration ${migration} failed, and the database was left as it was: ${(cause as Error).message ?? String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

export interface MigrationReport {
  /** The tags of the migrations this run applied (none when the database was current). */
  applied: string[];
}

/** Tags from the journal, in the order readMigrationFiles returns the migrations. */
function tagsOf(folder: string, migrations: MigrationMeta[]): string[] {
  const journal = JSON.parse(readFileSync(resolve(folder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  return migrations.map((_, index) => journal.entries[index]?.tag ?? `#${index}`);
}

/** drizzle's own bookkeeping table, so drizzle-kit and this runner agree on what was applied. */
const SQLITE_TABLE = '__drizzle_migrations';
const POSTGRES_TABLE = 'drizzle.__drizzle_migrations';
/** How long an SQLite migration waits for another process that holds the file's lock (it may be migrating). */
const MIGRATION_LOCK_WAIT_MS = 10 * 60_000;
/** Any constant: every process migrating this database takes the same advisory lock. */
const POSTGRES_LOCK_KEY = 7_142_026;

/**
 * Applies every migration newer than the last one recorded, all in one
 * transaction, under a lock that makes a second process starting at the same
 * moment wait and then find nothing left to do. Any failure rolls everything
 * back and throws a MigrationError naming the migration.
 */
export async function migrate(db: Db, folder = migrationsFolder(db.engine)): Promise<MigrationReport> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const tags = tagsOf(folder, migrations);
  if (db instanceof SqliteDb) return migrateSqlite(db, migrations, tags);
  if (db instanceof PostgresDb) return migratePostgres(db, migrations, tags);
  throw new Error('migrate: unknown database engine');
}

async function migrateSqlite(db: SqliteDb, migrations: MigrationMeta[], tags: string[]): Promise<MigrationReport> {
  // Another process may be applying a long migration: wait for it rather than fail the start.
  return db.transaction(async () => {
    // BEGIN IMMEDIATE (in transaction) holds the write lock: a second process waits here, then sees these rows.
    const connection = db.writer;
    connection.exec(`CREATE TABLE IF NOT EXISTS ${SQLITE_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL, created_at numeric)`);
    const last = connection.prepare(`SELECT created_at FROM ${SQLITE_TABLE} ORDER BY created_at DESC LIMIT 1`).pluck().get() as number | undefined;
    const record = connection.prepare(`INSERT INTO ${SQLITE_TABLE} (hash, created_at) VALUES (?, ?)`);
    const applied: string[] = [];
    migrations.forEach((migration, index) => {
      if (last !== undefined && Number(last) >= migration.folderMillis) return;
      try {
        for (const statement of migration.sql) if (statement.trim()) connection.exec(statement);
      } catch (error) {
        throw new MigrationError(tags[index]!, error);
      }
      record.run(migration.hash, migration.folderMillis);
      applied.push(tags[index]!);
    });
    return { applied };
  }, { beginWaitMs: MIGRATION_LOCK_WAIT_MS });
}

async function migratePostgres(db: PostgresDb, migrations: MigrationMeta[], tags: string[]): Promise<MigrationReport> {
  const client = await db.pool.connect();
  // A server lost mid-migration fails the next query (and the start); unheard, its 'error' would crash first.
  const lost = (): void => {};
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    // A migration may rewrite a large table, and wait for requests that hold it: no timeouts for this transaction.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SET LOCAL lock_timeout = 0');
    // Held until COMMIT or ROLLBACK: a second process starting now waits here.
    await client.query('SELECT pg_advisory_xact_lock($1)', [POSTGRES_LOCK_KEY]);
    await client.query('CREATE SCHEMA IF NOT EXISTS drizzle');
    await client.query(`CREATE TABLE IF NOT EXISTS ${POSTGRES_TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    const { rows } = await client.query<{ created_at: string }>(`SELECT created_at FROM ${POSTGRES_TABLE} ORDER BY created_at DESC LIMIT 1`);
    const last = rows[0] ? Number(rows[0].created_at) : undefined;
    const applied: string[] = [];
    for (const [index, migration] of migrations.entries()) {
      if (last !== undefined && last >= migration.folderMillis) continue;
      try {
        for (const statement of migration.sql) if (statement.trim()) await client.query(statement);
      } catch (error) {
        throw new MigrationError(tags[index]!, error);
      }
      await client.query(`INSERT INTO ${POSTGRES_TABLE} (hash, created_at) VALUES ($1, $2)`, [migration.hash, migration.folderMillis]);
      applied.push(tags[index]!);
    }
    await client.query('COMMIT');
    return { applied };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.off('error', lost);
    client.release();
  }
}
