import { readPostgresUrl } from '../config.js';
import { openCounterDb } from './counter-db.js';
import type { Db } from './database.js';
import { migrate, MigrationError } from './migrate.js';
import { PostgresDb } from './postgres.js';
import { SqliteDb } from './sqlite.js';

/** Where the data lives: an SQLite file (the default, nothing to install) or a PostgreSQL server. */
export type DatabaseTarget = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

/**
 * Opens the database; migrations are their own step (npm run db:migrate, run
 * by npm start before it listens). A fresh in-memory database is the
 * exception: it starts empty and no other process can reach it, so it is
 * migrated here.
 */
export async function openDb(target: DatabaseTarget, onIdleError?: (error: Error) => void): Promise<Db> {
  if (target.engine === 'postgres') return new PostgresDb(target.url, onIdleError);
  const db = new SqliteDb(target.path);
  if (target.path === ':memory:') await migrate(db);
  return db;
}

/** Where the database is, for messages and logs: never the password of a DATABASE_URL. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.engine === 'sqlite') return `SQLite at ${target.path}`;
  // Scheme, user, host, port and database only: a password may also sit in the query (?password=).
  const { url, username } = readPostgresUrl(target.url);
  const user = username ? `${username}@` : '';
  const socket = url.host ? '' : ` (socket in ${url.searchParams.get('host')})`;
  return `PostgreSQL at ${url.protocol}//${user}${url.host}${url.pathname}${socket}`;
}

/**
 * Applies pending migrations (under the lock in migrate.ts) and closes the
 * connection. Resolves to a message for the log; rejects with one line that
 * says what went wrong, never a password.
 */
export async function migrateDatabase(target: DatabaseTarget): Promise<string> {
  let db: Db | undefined;
  try {
    db = await openDb(target);
    const { applied } = await migrate(db);
    // On SQLite the rate limits' own file (src/db/counter-db.ts) is made here too, before the
    // workers start: several processes creating one file at once could find it locked.
    if (target.engine === 'sqlite') await (await openCounterDb(target, db)).close();
    return applied.length === 0 ? `${describeDatabase(target)} is up to date` : `${describeDatabase(target)}: applied ${applied.join(', ')}`;
  } catch (error) {
    if (error instanceof MigrationError) throw new Error(error.message);
    const { code, message } = error as { code?: string; message?: string };
    throw new Error(`Cannot open ${describeDatabase(target)}: ${[code, message].filter(Boolean).join(' ') || String(error)}`);
  } finally {
    await db?.close().catch(() => {});
  }
}
