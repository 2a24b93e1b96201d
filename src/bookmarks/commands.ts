import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { bookmarks, type Bookmark } from '../db/schema.js';
import type { ValidBookmark } from './validation.js';

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

/** Puts a deleted bookmark back exactly as it was: same id, tags and dates. */
export function restoreBookmark(db: Db, bookmark: Bookmark): Bookmark | undefined {
  return db.insert(bookmarks).values(bookmark).onConflictDoNothing().returning().get();
}
