import { sql } from 'drizzle-orm';

/** A bookmark as the app works with it: tags as a list, the date as a Date. */
export interface Bookmark {
  id: number;
  ownerSub: string;
  url: string;
  title: string;
  /** Empty when there is none. */
  description: string;
  tags: string[];
  createdAt: Date;
}

/**
 * The stored tags column: normalised tags joined by single spaces (a tag never
 * holds a space or a comma). These two functions are the only readers and
 * writers of that format; the triggers that keep tag_counts split it the same way.
 */
export const tagsToColumn = (tags: readonly string[]): string => tags.join(' ');
export const tagsFromColumn = (column: string): string[] => (column ? column.split(' ') : []);

/** A bookmarks row as selected by BOOKMARK_COLUMNS: created_at is milliseconds since the epoch on both engines. */
export interface BookmarkRow {
  id: number;
  ownerSub: string;
  url: string;
  title: string;
  description: string;
  tags: string;
  createdAt: number;
}

/** Quoted aliases: PostgreSQL would fold unquoted ones to lower case. Unqualified, so RETURNING can use them too. */
export const BOOKMARK_COLUMNS = sql.raw('id, owner_sub AS "ownerSub", url, title, description, tags, created_at AS "createdAt"');

/** The same columns named by table, for statements that join bookmarks to another. */
export const QUALIFIED_BOOKMARK_COLUMNS = sql.raw(
  'bookmarks.id, bookmarks.owner_sub AS "ownerSub", bookmarks.url, bookmarks.title, bookmarks.description, bookmarks.tags, bookmarks.created_at AS "createdAt"',
);

export function toBookmark(row: BookmarkRow): Bookmark {
  return { ...row, tags: tagsFromColumn(row.tags), createdAt: new Date(row.createdAt) };
}
