import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';
import { RecentlyUsedCache } from '../recently-used-cache.js';
import { QUALIFIED_BOOKMARK_COLUMNS, toBookmark, type Bookmark, type BookmarkRow } from './bookmark.js';

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
 * The version is read in the same statement as the page's ids (PAGE_KEYS and highestIdsAlone in search-plans.ts), so
 * the kept bookmarks taken are those of the snapshot the ids come from. The bookmarks missing are
 * read by a second statement: when a write commits between the two (another request may end the
 * snapshot in between), they show that write, or are left out if it deleted them, as in any answer
 * that raced a write. Kept under the version read with the ids, they can then reach a later request
 * whose snapshot also predates that write: a write newer than its snapshot, never an older state.
 */

/** As many as the card cache keeps (CARD_CACHE_ENTRIES), sharing their strings with the kept cards. */
export const KEPT_BOOKMARKS = 5_000;
/**
 * And at most this many characters of text (10 MB at most, 2 bytes each): about 300 each as
 * usual, but 5,000 bookmarks with every field at its limit held 67 MB.
 */
export const KEPT_BOOKMARK_CHARACTERS = 5_000_000;

interface KeptBookmark {
  ownerSub: string;
  version: number;
  bookmark: Bookmark;
}

const charactersOf = (bookmark: Bookmark): number =>
  bookmark.url.length + bookmark.title.length + bookmark.description.length + bookmark.tags.reduce((sum, tag) => sum + tag.length, 0);

/** One database's kept bookmarks, by id. */
class KeptBookmarks {
  private readonly entries = new RecentlyUsedCache<number, KeptBookmark>(KEPT_BOOKMARKS, KEPT_BOOKMARK_CHARACTERS);

  /** The bookmark of this id if it was kept for this owner at this version, marked recently used. */
  take(id: number, ownerSub: string, version: number): Bookmark | undefined {
    const entry = this.entries.get(id);
    return entry && entry.ownerSub === ownerSub && entry.version === version ? entry.bookmark : undefined;
  }

  keep(ownerSub: string, version: number, bookmark: Bookmark): void {
    this.entries.set(bookmark.id, { ownerSub, version, bookmark }, charactersOf(bookmark));
  }
}

const keptByDb = new WeakMap<Db, KeptBookmarks>();

// json_each first (CROSS JOIN): a lookup by primary key per id, whatever their number.
const byIds = sql`SELECT ${QUALIFIED_BOOKMARK_COLUMNS} FROM json_each(${param('ids')}) AS wanted
  CROSS JOIN bookmarks ON bookmarks.id = wanted.value WHERE bookmarks.owner_sub = ${param('owner')}`;

/**
 * The owner's bookmarks of these ids, in their order, at `version` (the owner's data version,
 * read with the ids). Ids that are not the owner's are left out.
 * The bookmarks may be shared with other requests: callers must not change them.
 */
export async function ownedBookmarksByIds(db: Db, ownerSub: string, ids: readonly number[], version: number): Promise<Bookmark[]> {
  if (ids.length === 0) return [];
  let kept = keptByDb.get(db);
  if (!kept) keptByDb.set(db, (kept = new KeptBookmarks()));
  const found = new Map<number, Bookmark>();
  const missing: number[] = [];
  for (const id of ids) {
    const bookmark = kept.take(id, ownerSub, version);
    if (bookmark) found.set(id, bookmark);
    else missing.push(id);
  }
  if (missing.length > 0) {
    for (const row of await db.all<BookmarkRow>(byIds, { ids: JSON.stringify(missing), owner: ownerSub })) {
      // Frozen: kept ones are shared by every request that lists them.
      const bookmark = Object.freeze(toBookmark(row));
      Object.freeze(bookmark.tags);
      found.set(bookmark.id, bookmark);
    }
    // Kept in the order asked, whatever order the rows came in.
    for (const id of missing) {
      const bookmark = found.get(id);
      if (bookmark) kept.keep(ownerSub, version, bookmark);
    }
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}
