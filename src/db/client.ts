import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { cleanText, parseTags } from '../bookmarks/validation.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/**
 * The app's text rules as SQL functions, for a data migration that restates stored rows by
 * them (0009). Registered on every connection that migrates: a fresh database runs it too.
 */
export function registerMigrationFunctions(sqlite: Database.Database): void {
  sqlite.function('fold_tags', { deterministic: true }, (tags: unknown) => parseTags(String(tags ?? '')).join(' '));
  sqlite.function('clean_title', { deterministic: true }, (title: unknown, url: unknown) => {
    const cleaned = cleanText(String(title ?? ''));
    if (cleaned) return cleaned;
    // As validateBookmark does: a title with nothing left to read becomes the host.
    return URL.canParse(String(url)) ? new URL(String(url)).hostname : String(title ?? '');
  });
}

/** Opens (creating if needed) the database, sets pragmas and applies every migration. */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  // WAL lets searches read while a write commits; NORMAL is durable across
  // process crashes in WAL mode (only an OS crash can lose the last commits).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema }) as Db;
  registerMigrationFunctions(sqlite);
  migrate(db, { migrationsFolder });
  return db;
}
