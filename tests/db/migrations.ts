import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { openDb } from '../../src/db/client.js';
import type { Db } from '../../src/db/database.js';
import { migrate, migrationsFolder, type MigrationReport } from '../../src/db/migrate.js';

/** The SQLite migrations, as the app applies them. */
export const MIGRATIONS = migrationsFolder('sqlite');

/**
 * Runs `use` with an SQLite file migrated only up to (not including) the migration
 * whose tag starts with `tagPrefix`, as an installation from before it would have.
 * `use` gets the file's path and an open connection to fill (close it when done);
 * openMigrated(path) then applies the rest, as `npm run db:migrate` would.
 */
export async function withDatabaseBefore(tagPrefix: string, use: (path: string, old: Database.Database) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `bookmarks-before-${tagPrefix}-`));
  try {
    // The migrations folder as it was before: same files, journal cut short.
    const before = join(dir, 'drizzle');
    cpSync(MIGRATIONS, before, { recursive: true });
    const journalPath = join(before, 'meta/_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
    const cut = journal.entries.findIndex((entry) => entry.tag.startsWith(`${tagPrefix}_`));
    if (cut <= 0) throw new Error(`no migration ${tagPrefix}`);
    writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
    const path = join(dir, 'bookmarks.db');
    const old = await openDb({ engine: 'sqlite', path });
    const { applied } = await migrate(old, before);
    if (applied.length !== cut) throw new Error(`applied ${applied.length} migrations before ${tagPrefix}, expected ${cut}`);
    await old.close();
    await use(path, new Database(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens an SQLite file and applies every migration it has not had yet. */
export async function openMigrated(path: string): Promise<{ db: Db; report: MigrationReport }> {
  const db = await openDb({ engine: 'sqlite', path });
  return { db, report: await migrate(db) };
}

/**
 * Which rows a data migration writes (only those that change, so that a large library is not
 * rewritten): on the old file, every UPDATE of `table` notes the row's created_at, which
 * rowsWritten reads back, in order, once the migration has run.
 */
export function noteRowsWritten(old: Database.Database, table: string): void {
  old.exec('CREATE TABLE written (created_at INTEGER)');
  old.exec(`CREATE TRIGGER note_written AFTER UPDATE ON ${table} BEGIN INSERT INTO written VALUES (new.created_at); END`);
}

export async function rowsWritten(db: Db): Promise<number[]> {
  return (await db.all<{ at: number }>(sql`SELECT created_at AS at FROM written ORDER BY created_at`)).map((row) => row.at);
}
