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
 * The URL forms that count as "the same page": stored URLs are already
 * normalised by the URL parser (scheme and host lowercased), so only a
 * trailing slash is left to ignore.
 */
export function equivalentUrls(url: string): string[] {
  const withoutSlash = url.replace(/\/+$/u, '');
  return [...new Set([url, withoutSlash, `${withoutSlash}/`])];
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
