import { randomBytes } from 'node:crypto';
import type { Bookmark } from '../db/schema.js';

export const UNDO_SECONDS = 30;

/**
 * Deleted bookmarks kept in memory for a short while so "Undo" can restore
 * them exactly. In memory is enough: the app is one process next to its
 * SQLite file, and an undo that outlives a restart is not expected.
 */
export interface UndoStore {
  remember(bookmark: Bookmark): string;
  /** Takes the bookmark back out; only its owner can, and only once. */
  take(ownerSub: string, token: string): Bookmark | undefined;
  /** The owner's bookmark behind a token, left in place: for the no-JavaScript notice. */
  peek(ownerSub: string, token: string): Bookmark | undefined;
  /** The owner's most recent delete that can still be undone, for the notice that follows an htmx delete. */
  latest(ownerSub: string): { token: string; bookmark: Bookmark } | undefined;
}

export function createUndoStore(now: () => number = Date.now): UndoStore {
  const entries = new Map<string, { bookmark: Bookmark; expiresAt: number }>();
  const sweep = (): void => {
    const time = now();
    for (const [token, entry] of entries) if (entry.expiresAt <= time) entries.delete(token);
  };
  return {
    remember(bookmark) {
      sweep();
      const token = randomBytes(16).toString('base64url');
      entries.set(token, { bookmark, expiresAt: now() + UNDO_SECONDS * 1000 });
      return token;
    },
    take(ownerSub, token) {
      sweep();
      const entry = entries.get(token);
      if (!entry || entry.bookmark.ownerSub !== ownerSub) return undefined;
      entries.delete(token);
      return entry.bookmark;
    },
    peek(ownerSub, token) {
      sweep();
      const entry = entries.get(token);
      return entry && entry.bookmark.ownerSub === ownerSub ? entry.bookmark : undefined;
    },
    latest(ownerSub) {
      sweep();
      let found: { token: string; bookmark: Bookmark } | undefined;
      // Insertion order is time order, so the last match is the newest.
      for (const [token, entry] of entries) if (entry.bookmark.ownerSub === ownerSub) found = { token, bookmark: entry.bookmark };
      return found;
    },
  };
}
