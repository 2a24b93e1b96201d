import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { bookmarks, tagCounts, type Bookmark } from '../db/schema.js';

export function findBookmark(db: Db, ownerSub: string, id: number): Bookmark | undefined {
  return db
    .select()
    .from(bookmarks)
    .where(and(eq(bookmarks.ownerSub, ownerSub), eq(bookmarks.id, id)))
    .get();
}

/**
 * Two addresses name the same page when their keys are equal. Stored URLs are
 * already normalised by the URL parser (scheme and host lowercased), so the key
 * only drops one slash at the end of the path: never in the query or fragment,
 * where a slash is data ("?a=1/" is not "?a=1").
 */
export function sameUrlKey(url: string): string {
  const pathEnd = pathEndOf(url);
  return url[pathEnd - 1] === '/' ? url.slice(0, pathEnd - 1) + url.slice(pathEnd) : url;
}

const pathEndOf = (url: string): number => {
  const queryOrFragment = url.search(/[?#]/u);
  return queryOrFragment === -1 ? url.length : queryOrFragment;
};

/**
 * Every spelling with the same sameUrlKey as `url` (with and without the slash
 * at the end of the path), so a duplicate is found by exact lookups on the url index.
 */
export function equivalentUrls(url: string): string[] {
  const key = sameUrlKey(url);
  const withSlash = `${key.slice(0, pathEndOf(key))}/${key.slice(pathEndOf(key))}`;
  return [...new Set([url, key, withSlash])].filter((spelling) => sameUrlKey(spelling) === key);
}

/** The owner's existing bookmark for the same page, if any (ignoring `exceptId`, the one being edited). */
export function findDuplicate(db: Db, ownerSub: string, url: string, exceptId?: number): Bookmark | undefined {
  const candidates = db
    .select()
    .from(bookmarks)
    .where(and(eq(bookmarks.ownerSub, ownerSub), inArray(bookmarks.url, equivalentUrls(url))))
    .all();
  return candidates.find((bookmark) => bookmark.id !== exceptId);
}

export interface TagCount {
  tag: string;
  count: number;
}

/** The owner's tags with how many bookmarks carry each, most used first (tag_counts is kept by triggers). */
export function listTags(db: Db, ownerSub: string, limit = 200): TagCount[] {
  return db
    .select({ tag: tagCounts.tag, count: tagCounts.count })
    .from(tagCounts)
    .where(eq(tagCounts.ownerSub, ownerSub))
    .orderBy(desc(tagCounts.count), tagCounts.tag)
    .limit(limit)
    .all();
}

/** Everything the owner saved, oldest first, for export. */
export function exportBookmarks(db: Db, ownerSub: string): { url: string; title: string; tags: string[]; createdAt: Date }[] {
  return db
    .select()
    .from(bookmarks)
    .where(eq(bookmarks.ownerSub, ownerSub))
    .orderBy(bookmarks.createdAt, bookmarks.id)
    .all()
    .map((bookmark) => ({ url: bookmark.url, title: bookmark.title, tags: bookmark.tags ? bookmark.tags.split(' ') : [], createdAt: bookmark.createdAt }));
}
