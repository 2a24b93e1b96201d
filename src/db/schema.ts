import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const bookmarks = sqliteTable(
  'bookmarks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ownerSub: text('owner_sub').notNull(),
    url: text('url').notNull(),
    title: text('title').notNull(),
    // Normalised tags joined by single spaces: tags never contain spaces or commas.
    tags: text('tags').notNull().default(''),
    createdAt: integer('created_at', { mode: 'timestamp_ms' })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
  },
  (table) => [
    index('bookmarks_owner_created_idx').on(table.ownerSub, table.createdAt, table.id),
    index('bookmarks_owner_url_idx').on(table.ownerSub, table.url),
  ],
);

export type Bookmark = typeof bookmarks.$inferSelect;
export type NewBookmark = typeof bookmarks.$inferInsert;
