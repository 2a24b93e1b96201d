import { sql } from 'drizzle-orm';
import { insertAndIndexInBulk } from '../bookmarks/search-index-upkeep.js';
import type { Db, Queryable } from './database.js';

/*
 * Copies everything users have from one database into an empty one, either
 * way between SQLite and PostgreSQL (npm run db:copy): bookmarks with their
 * ids and dates, API tokens (hashes only, as stored), ended sessions,
 * pending undos and site icons. The target's triggers rebuild its search index and tag
 * counts as rows arrive; the counts are then compared with the source's.
 * Rate-limit counters are not copied: they last a minute.
 */

interface CopiedTable {
  name: string;
  /** Columns in copy order; the first is the key the rows are read in order of. */
  columns: string[];
  /** Whether the table has an identity/autoincrement id that must continue after the copied ones. */
  identity?: boolean;
}

const TABLES: CopiedTable[] = [
  { name: 'bookmarks', columns: ['id', 'owner_sub', 'url', 'title', 'description', 'tags', 'created_at'], identity: true },
  { name: 'api_tokens', columns: ['id', 'owner_sub', 'name', 'token_hash', 'created_at', 'last_used_at', 'expires_at'], identity: true },
  { name: 'ended_sessions', columns: ['session_id', 'expires_at'] },
  { name: 'pending_undos', columns: ['token', 'owner_sub', 'bookmark_id', 'url', 'title', 'description', 'tags', 'created_at', 'expires_at'] },
  { name: 'favicons', columns: ['id', 'owner_sub', 'host', 'content_type', 'bytes', 'fetched_at'], identity: true },
];

/** Rows per read and per INSERT: well under both engines' limits on bound parameters. */
const ROWS_PER_BATCH = 1_000;

export interface CopyReport {
  /** Rows copied per table. */
  rows: Record<string, number>;
  /** Owners whose tag counts in the target differ from the source's (none when all is well). */
  tagCountMismatches: string[];
}

export class TargetNotEmptyError extends Error {
  constructor(table: string) {
    super(`The target database already has rows in ${table}; db:copy only fills an empty database, so nothing was copied`);
    this.name = 'TargetNotEmptyError';
  }
}

async function copyTable(from: Db, to: Queryable, table: CopiedTable): Promise<number> {
  const [key] = table.columns;
  const columnList = sql.raw(table.columns.join(', '));
  let copied = 0;
  let after: unknown = null;
  for (;;) {
    const where = after === null ? sql`` : sql`WHERE ${sql.raw(key!)} > ${after}`;
    const rows = await from.all<Record<string, unknown>>(
      sql`SELECT ${columnList} FROM ${sql.raw(table.name)} ${where} ORDER BY ${sql.raw(key!)} LIMIT ${ROWS_PER_BATCH}`,
    );
    if (rows.length === 0) return copied;
    const values = rows.map((row) => sql`(${sql.join(table.columns.map((column) => sql`${row[column] ?? null}`), sql`, `)})`);
    const insert = sql`INSERT INTO ${sql.raw(table.name)} (${columnList}) VALUES ${sql.join(values, sql`, `)}`;
    // In key order, into an empty database: each batch of bookmarks is above every id before it.
    if (table.name === 'bookmarks' && to.engine === 'sqlite') await insertAndIndexInBulk(to, insert);
    else await to.run(insert);
    copied += rows.length;
    after = rows.at(-1)![key!];
  }
}

const continueBookmarkIdsAfterUndos = {
  postgres: sql`SELECT setval(pg_get_serial_sequence('bookmarks', 'id'), (SELECT max(bookmark_id) FROM pending_undos) + 1, false)
    WHERE (SELECT max(bookmark_id) FROM pending_undos) >= (SELECT last_value FROM bookmarks_id_seq)`,
  // AUTOINCREMENT hands out one past the larger of sqlite_sequence's and the highest id.
  sqlite: sql`INSERT OR REPLACE INTO sqlite_sequence (rowid, name, seq)
    SELECT (SELECT rowid FROM sqlite_sequence WHERE name = 'bookmarks'), 'bookmarks', max(bookmark_id) FROM pending_undos
    HAVING max(bookmark_id) > COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'bookmarks'), 0)`,
};

const tagCountsOf = (db: Queryable) => db.all<{ owner: string; tag: string; count: number }>(sql`SELECT owner_sub AS owner, tag, count FROM tag_counts ORDER BY owner_sub, tag`);

export async function copyDatabase(from: Db, to: Db): Promise<CopyReport> {
  for (const table of TABLES) {
    if (await to.get(sql`SELECT 1 AS found FROM ${sql.raw(table.name)} LIMIT 1`)) throw new TargetNotEmptyError(table.name);
  }
  return to.transaction(async (tx) => {
    const rows: Record<string, number> = {};
    for (const table of TABLES) rows[table.name] = await copyTable(from, tx, table);
    if (tx.engine === 'postgres') {
      // Explicit ids leave PostgreSQL's identity sequences behind: new rows must continue after the copied ones.
      for (const table of TABLES.filter((t) => t.identity)) {
        await tx.run(sql`SELECT setval(pg_get_serial_sequence(${table.name}, 'id'), COALESCE((SELECT max(id) FROM ${sql.raw(table.name)}), 0) + 1, false)`);
      }
    }
    // A pending undo keeps its bookmark's id, which no engine hands out again; above the copied
    // bookmarks (the newest one deleted), the next save would take it and the Undo restore nothing.
    await tx.run(continueBookmarkIdsAfterUndos);
    const key = (row: { owner: string; tag: string; count: number }) => `${row.owner}\0${row.tag}\0${row.count}`;
    const source = new Set((await tagCountsOf(from)).map(key));
    const target = await tagCountsOf(tx);
    const mismatched = new Set<string>();
    for (const row of target) if (!source.delete(key(row))) mismatched.add(row.owner);
    for (const rest of source) mismatched.add(rest.split('\0')[0]!);
    return { rows, tagCountMismatches: [...mismatched] };
  });
}
