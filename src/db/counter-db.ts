import { sql } from 'drizzle-orm';
import type { DatabaseTarget } from './client.js';
import type { Db } from './database.js';
import { SqliteDb } from './sqlite.js';

/*
 * The rate limits' counters (src/http/rate-limit-store.ts) are written by requests that
 * otherwise only read: an API GET, the sign-in page. On SQLite every write waits for the one
 * writer, which an import holds while it stores (seconds, for a large file), so there the
 * counters live in a file of their own beside the database, which every process shares as it
 * shares the database. On PostgreSQL they stay in the database: an import's locks are on its
 * own rows, never on the counters'. The file holds nothing worth a backup: without it, every
 * limit starts counting afresh. (Migration 0009 made the table in the SQLite database too;
 * 0020 dropped it there.)
 */
const CREATE_COUNTERS = [
  // One row per key (a user's writes, an address's sign-ins, a token's requests) and fixed window, as in schema.postgres.ts.
  sql`CREATE TABLE IF NOT EXISTS rate_limit_hits (key TEXT PRIMARY KEY NOT NULL, hits INTEGER NOT NULL, resets_at INTEGER NOT NULL)`,
  sql`CREATE INDEX IF NOT EXISTS rate_limit_hits_resets_idx ON rate_limit_hits (resets_at)`,
];

/** The counters' file beside an SQLite database (in memory beside one in memory). */
export function counterFilePath(databasePath: string): string {
  return databasePath === ':memory:' ? ':memory:' : `${databasePath}-rate-limits`;
}

/** Where the rate limits count: `db` itself on PostgreSQL, a file of their own on SQLite. */
export async function openCounterDb(target: DatabaseTarget, db: Db): Promise<Db> {
  if (target.engine === 'postgres') return db;
  const path = counterFilePath(target.path);
  let counters: SqliteDb | undefined;
  try {
    counters = new SqliteDb(path);
    for (const statement of CREATE_COUNTERS) await counters.run(statement);
    return counters;
  } catch (error) {
    await counters?.close().catch(() => {});
    // Named, so that a folder the app may not write in points at the right file.
    const { code, message } = error as { code?: string; message?: string };
    throw new Error(`Cannot open the rate limits' file ${path}: ${[code, message].filter(Boolean).join(' ') || String(error)}`, { cause: error });
  }
}
