import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { registerMigrationFunctions } from '../../src/db/client.js';
import * as schema from '../../src/db/schema.js';

export const MIGRATIONS = resolve(import.meta.dirname, '../../drizzle');

/**
 * Runs `use` with a database file migrated only up to (not including) the migration
 * whose tag starts with `tagPrefix`, as an installation from before it would have.
 * `use` gets the file's path and an open connection to fill; openDb(path) then applies the rest.
 */
export function withDatabaseBefore(tagPrefix: string, use: (path: string, old: Database.Database) => void): void {
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
    const old = drizzle(new Database(path), { schema });
    registerMigrationFunctions(old.$client);
    migrate(old, { migrationsFolder: before });
    use(path, old.$client);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
