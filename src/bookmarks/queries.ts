import { sql } from 'drizzle-orm';
import { param, type Db, type Queryable } from '../db/database.js';
import { BOOKMARK_COLUMNS, toBookmark, type Bookmark, type BookmarkRow } from './bookmark.js';
import { equivalentUrls } from './urls.js';

/* Reads of the owner's bookmarks and tags; searches are in search-plans.ts. */

const byId = sql`SELECT ${BOOKMARK_COLUMNS} FROM bookmarks WHERE owner_sub = ${param('owner')} AND id = ${param('id')}`;

export async function findBookmark(db: Queryable, ownerSub: string, id: number): Promise<Bookmark | undefined> {
  const row = await db.get<BookmarkRow>(byId, { owner: ownerSub, id });
  return row && toBookmark(row);
}

// equivalentUrls gives one to three spellings: the list is padded to three so one statement serves all.
const bySpellings = sql`SELECT ${BOOKMARK_COLUMNS} FROM bookmarks
  WHERE owner_sub = ${param('owner')} AND url IN (${param('url1')}, ${param('url2')}, ${param('url3')})
  ORDER BY id`;

/** The owner's existing bookmark for the same page, if any (ignoring `exceptId`, the one being edited). */
export async function findDuplicate(db: Queryable, ownerSub: string, url: string, exceptId?: number): Promise<Bookmark | undefined> {
  const [url1, url2 = url1, url3 = url1] = equivalentUrls(url);
  const rows = await db.all<BookmarkRow>(bySpellings, { owner: ownerSub, url1, url2, url3 });
  const found = rows.find((row) => row.id !== exceptId);
  return found && toBookmark(found);
}

export interface TagCount {
  tag: string;
  count: number;
}

/** The statement listTags runs (exported for the test of its plan). */
export const tagsByUse = sql`SELECT tag, count FROM tag_counts WHERE owner_sub = ${param('owner')}
  ORDER BY count DESC, tag LIMIT ${param('limit')}`;

/** The owner's tags with how many bookmarks carry each, most used first (tag_counts is kept by triggers). */
export async function listTags(db: Db, ownerSub: string, limit: number): Promise<TagCount[]> {
  return db.all<TagCount>(tagsByUse, { owner: ownerSub, limit });
}

const oldestFirstAfter = sql`SELECT ${BOOKMARK_COLUMNS} FROM bookmarks
  WHERE owner_sub = ${param('owner')} AND (created_at, id) > (${param('createdAt')}, ${param('id')})
  ORDER BY created_at, id LIMIT ${param('limit')}`;

/** Rows an export reads at once: about 5 ms of the event loop, read and written, and half a megabyte. */
export const EXPORT_BATCH_ROWS = 1_000;

/**
 * Everything the owner saved, oldest first, a batch at a time through the (owner, date, id)
 * index, so an export of any size never holds the process, or all of itself, at once: reading
 * 100,000 bookmarks in one go blocked everyone for 0.7 s and took 115 MB. Each batch is read
 * as it stands then, not the whole as it stood at the start: a bookmark edited during an
 * export is written as its batch found it, and of an import stored meanwhile only the
 * bookmarks dated after the batches already read are in the file.
 */
export async function* bookmarksOldestFirst(db: Db, ownerSub: string, batchRows = EXPORT_BATCH_ROWS): AsyncGenerator<Bookmark[]> {
  let after = { createdAt: Number.MIN_SAFE_INTEGER, id: 0 };
  for (;;) {
    const rows = await db.all<BookmarkRow>(oldestFirstAfter, { owner: ownerSub, ...after, limit: batchRows });
    if (rows.length > 0) yield rows.map(toBookmark);
    if (rows.length < batchRows) return;
    const last = rows.at(-1)!;
    after = { createdAt: last.createdAt, id: last.id };
  }
}

const versionOf = sql`SELECT version FROM owner_versions WHERE owner_sub = ${param('owner')}`;

/** The owner's data version: moved by triggers on every write to their bookmarks (0 before the first). */
export async function ownerVersion(db: Db, ownerSub: string): Promise<number> {
  return (await db.get<{ version: number }>(versionOf, { owner: ownerSub }))?.version ?? 0;
}
