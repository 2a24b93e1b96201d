import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { bookmarks, type Bookmark } from '../db/schema.js';
import { sameUrlKey } from './queries.js';
import { LIMITS, parseTags, validateBookmark, type ValidBookmark } from './validation.js';

export function createBookmark(db: Db, ownerSub: string, input: ValidBookmark, createdAt = new Date()): Bookmark {
  return db
    .insert(bookmarks)
    .values({ ownerSub, url: input.url, title: input.title, tags: input.tags.join(' '), createdAt })
    .returning()
    .get();
}

/** Returns the deleted bookmark, or undefined when the owner has no such bookmark (missing or someone else's). */
export function deleteBookmark(db: Db, ownerSub: string, id: number): Bookmark | undefined {
  return db
    .delete(bookmarks)
    .where(and(eq(bookmarks.ownerSub, ownerSub), eq(bookmarks.id, id)))
    .returning()
    .get();
}

/** Replaces url, title and tags; returns undefined when the owner has no such bookmark. */
export function updateBookmark(db: Db, ownerSub: string, id: number, input: ValidBookmark): Bookmark | undefined {
  return db
    .update(bookmarks)
    .set({ url: input.url, title: input.title, tags: input.tags.join(' ') })
    .where(and(eq(bookmarks.ownerSub, ownerSub), eq(bookmarks.id, id)))
    .returning()
    .get();
}

/** Puts the owner's deleted bookmark back exactly as it was: same id, tags and dates. Someone else's is refused. */
export function restoreBookmark(db: Db, ownerSub: string, bookmark: Bookmark): Bookmark | undefined {
  if (bookmark.ownerSub !== ownerSub) return undefined;
  return db.insert(bookmarks).values({ ...bookmark, ownerSub }).onConflictDoNothing().returning().get();
}

export interface ImportCandidate {
  url: string;
  title: string;
  tags: string[];
  createdAt: Date | null;
}

export interface ImportReport {
  imported: number;
  duplicates: number;
  skipped: { reason: string; count: number }[];
}

/**
 * Stores many bookmarks in one transaction: all or nothing. Entries are
 * checked with the same rules as the form; duplicates (already saved, or
 * twice in the file) are counted and skipped. Over-long titles are cut and
 * extra tags dropped rather than losing the whole bookmark.
 */
export function importBookmarks(db: Db, ownerSub: string, candidates: ImportCandidate[], now = new Date()): ImportReport {
  const skipped = new Map<string, number>();
  const skip = (reason: string): void => {
    skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  };
  let duplicates = 0;
  const rows: BookmarkRowValues[] = [];
  db.transaction((tx) => {
    const known = new Set(
      tx.select({ url: bookmarks.url }).from(bookmarks).where(eq(bookmarks.ownerSub, ownerSub)).all().map((row) => sameUrlKey(row.url)),
    );
    for (const candidate of candidates) {
      if (/^javascript:/i.test(candidate.url.trim())) {
        skip('bookmarklet');
        continue;
      }
      const tags = parseTags(candidate.tags.join(' '))
        .filter((tag) => [...tag].length <= LIMITS.tagLength)
        .slice(0, LIMITS.tagCount);
      const title = [...candidate.title.trim()].slice(0, LIMITS.titleLength).join('');
      const result = validateBookmark({ url: candidate.url, title, tags: tags.join(' ') });
      if (!result.ok) {
        skip(/^[a-z][a-z0-9+.-]*:/i.test(candidate.url.trim()) && !/^https?:/i.test(candidate.url.trim()) ? 'not a web address' : 'invalid address');
        continue;
      }
      const key = sameUrlKey(result.value.url);
      if (known.has(key)) {
        duplicates++;
        continue;
      }
      known.add(key);
      rows.push([ownerSub, result.value.url, result.value.title, result.value.tags.join(' '), (candidate.createdAt ?? now).getTime()]);
    }
    insertBookmarkRows(db, rows);
  });
  return { imported: rows.length, duplicates, skipped: [...skipped].map(([reason, count]) => ({ reason, count })) };
}

export type BookmarkRowValues = [ownerSub: string, url: string, title: string, tags: string, createdAt: number];
const ROWS_PER_INSERT = 200;
const insertSql = (count: number): string =>
  `INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES ${Array(count).fill('(?, ?, ?, ?, ?)').join(', ')}`;

/**
 * Inserts many already-validated rows, ROWS_PER_INSERT to a statement: FTS5
 * flushes its pending terms at the end of every statement that fires its
 * trigger, so one row per statement makes a large import about five times
 * slower. Each row names its owner; the import and the benchmark's seed use it.
 */
export function insertBookmarkRows(db: Db, rows: BookmarkRowValues[]): void {
  const full = rows.length >= ROWS_PER_INSERT ? db.$client.prepare(insertSql(ROWS_PER_INSERT)) : null;
  let start = 0;
  for (; full && start + ROWS_PER_INSERT <= rows.length; start += ROWS_PER_INSERT) full.run(rows.slice(start, start + ROWS_PER_INSERT).flat());
  if (start < rows.length) db.$client.prepare(insertSql(rows.length - start)).run(rows.slice(start).flat());
}
