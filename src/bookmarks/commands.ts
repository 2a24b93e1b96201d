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

/** Returns false when the owner has no such bookmark (missing or someone else's). */
export function deleteBookmark(db: Db, ownerSub: string, id: number): boolean {
  const result = db
    .delete(bookmarks)
    .where(and(eq(bookmarks.ownerSub, ownerSub), eq(bookmarks.id, id)))
    .run();
  return result.changes > 0;
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
