import { sql } from 'drizzle-orm';
import { param, type Db, type Queryable } from '../db/database.js';
import { BOOKMARK_COLUMNS, toBookmark, type Bookmark, type BookmarkRow } from './bookmark.js';
import { equivalentUrls } from './urls.js';

/* Reads of the owner's bookmarks and tags; searches are in search-plans.ts. */

const byId = sql`SELECT ${BOOKMARK_COLUMNS} FROM bookmarks WHERE owner_sub = ${param('owner')} AND id = ${param('id')}`;

export async function findBookmark(db: Db, ownerSub: string, id: number): Promise<Bookmark | undefined> {
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

const tagsByUse = sql`SELECT tag, count FROM tag_counts WHERE owner_sub = ${param('owner')}
  ORDER BY count DESC, tag LIMIT ${param('limit')}`;

/** The owner's tags with how many bookmarks carry each, most used first (tag_counts is kept by triggers). */
export async function listTags(db: Db, ownerSub: string, limit: number): Promise<TagCount[]> {
  return db.all<TagCount>(tagsByUse, { owner: ownerSub, limit });
}

const oldestFirst = sql`SELECT ${BOOKMARK_COLUMNS} FROM bookmarks WHERE owner_sub = ${param('owner')} ORDER BY created_at, id`;

/** Everything the owner saved, oldest first, for export. */
export async function exportBookmarks(db: Db, ownerSub: string): Promise<Bookmark[]> {
  return (await db.all<BookmarkRow>(oldestFirst, { owner: ownerSub })).map(toBookmark);
}

const versionOf = sql`SELECT version FROM owner_versions WHERE owner_sub = ${param('owner')}`;

/** The owner's data version: moved by triggers on every write to their bookmarks (0 before the first). */
export async function ownerVersion(db: Db, ownerSub: string): Promise<number> {
  return (await db.get<{ version: number }>(versionOf, { owner: ownerSub }))?.version ?? 0;
}
