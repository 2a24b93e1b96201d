import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';
import { QUALIFIED_BOOKMARK_COLUMNS, toBookmark, type Bookmark, type BookmarkRow } from './bookmark.js';
import { ownerVersion as readOwnerVersion } from './queries.js';

/**
 * Where a SQLite search plan has found a page, by id and date, its bookmarks come from here.
 * Reading a row's columns and making it an object cost more than finding it: about 30 of the
 * 80 µs of a page of 21 matches, then toBookmark and the card's view of it on top
 * (docs/PERFORMANCE.md). The same bookmarks come back on every keystroke, every "Load more"
 * and every dashboard load, so the bookmarks of recent pages are kept by id, with the owner
 * and the owner's data version they were read at. The version moves on every write to the
 * owner's bookmarks, by any process (triggers, migration 0015), and never comes back to a value
 * it had, so a bookmark kept at the version a request reads is the bookmark as it stands.
 *
 * The version must be one read no later than the rows it keeps (a row read after it may be newer,
 * never older): the request's own (read at its start, src/auth/ended-sessions.ts, where on SQLite
 * every snapshot open since is at least as new), or one read here in the same snapshot.
 */

/** As many as the card cache keeps (CARD_CACHE_ENTRIES): about 1 kB each, sharing their strings with the kept cards. */
export const KEPT_BOOKMARKS = 5_000;

interface KeptBookmark {
  ownerSub: string;
  version: number;
  bookmark: Bookmark;
}

const keptByDb = new WeakMap<Db, Map<number, KeptBookmark>>();

// json_each first (CROSS JOIN): a lookup by primary key per id, whatever their number.
const byIds = sql`SELECT ${QUALIFIED_BOOKMARK_COLUMNS} FROM json_each(${param('ids')}) AS wanted
  CROSS JOIN bookmarks ON bookmarks.id = wanted.value WHERE bookmarks.owner_sub = ${param('owner')}`;

/**
 * The owner's bookmarks of these ids, in their order, at `ownerVersion` (the owner's data
 * version as the request read it, or null: read here). Ids that are not the owner's are left out.
 * The bookmarks may be shared with other requests: callers must not change them.
 */
export async function ownedBookmarksByIds(db: Db, ownerSub: string, ids: readonly number[], ownerVersion: number | null): Promise<Bookmark[]> {
  if (ids.length === 0) return [];
  const version = ownerVersion ?? (await readOwnerVersion(db, ownerSub));
  let kept = keptByDb.get(db);
  if (!kept) keptByDb.set(db, (kept = new Map()));
  const found = new Map<number, Bookmark>();
  const missing: number[] = [];
  for (const id of ids) {
    const entry = kept.get(id);
    if (entry && entry.ownerSub === ownerSub && entry.version === version) {
      // Map order is insertion order: re-inserting marks it recently used.
      kept.delete(id);
      kept.set(id, entry);
      found.set(id, entry.bookmark);
    } else missing.push(id);
  }
  if (missing.length > 0) {
    for (const row of await db.all<BookmarkRow>(byIds, { ids: JSON.stringify(missing), owner: ownerSub })) {
      // Frozen: kept ones are shared by every request that lists them.
      const bookmark = Object.freeze(toBookmark(row));
      Object.freeze(bookmark.tags);
      found.set(bookmark.id, bookmark);
      kept.delete(bookmark.id);
      kept.set(bookmark.id, { ownerSub, version, bookmark });
    }
    while (kept.size > KEPT_BOOKMARKS) kept.delete(kept.keys().next().value!);
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}
