/*
 * The SQLite tables (drizzle-kit generates drizzle/sqlite from this file; the
 * PostgreSQL twin is schema.postgres.ts). Times are milliseconds since the
 * epoch on both engines, except ended_sessions (seconds, as in the cookie).
 */
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

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
    description: text('description').notNull().default(''),
  },
  (table) => [
    index('bookmarks_owner_created_idx').on(table.ownerSub, table.createdAt, table.id),
    index('bookmarks_owner_url_idx').on(table.ownerSub, table.url),
  ],
);

/**
 * How many of an owner's bookmarks carry each tag. Kept in step by triggers
 * (migration 0005), so the tag list never has to split every bookmark's tags.
 */
export const tagCounts = sqliteTable(
  'tag_counts',
  {
    ownerSub: text('owner_sub').notNull(),
    tag: text('tag').notNull(),
    count: integer('count').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.ownerSub, table.tag] }),
    // In the tag list's order (most used first, then by name), holding all it reads: no sort, no row lookups.
    index('tag_counts_owner_count_tag_idx').on(table.ownerSub, sql`${table.count} DESC`, table.tag),
  ],
);

/** Personal access tokens for the JSON API: only the SHA-256 of the secret is kept. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ownerSub: text('owner_sub').notNull(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' })
      .notNull()
      .default(sql`(unixepoch('subsec') * 1000)`),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
  },
  (table) => [index('api_tokens_owner_idx').on(table.ownerSub)],
);

/**
 * Sessions ended by signing out. The session is a stateless cookie, so a copy taken
 * before sign-out would otherwise stay valid until it expires; each signed-in cookie
 * carries a random id, and an id listed here is refused. Rows go once the cookie
 * could no longer be valid anyway (the absolute lifetime).
 */
export const endedSessions = sqliteTable(
  'ended_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  // Every sign-out deletes the rows past their expiry: through this index, not a scan of them all.
  (table) => [index('ended_sessions_expires_idx').on(table.expiresAt)],
);

/**
 * Deleted bookmarks that can still be undone, kept in the database so an Undo
 * works whichever process serves it and survives a restart. Rows past
 * expires_at (milliseconds) are refused, and purged at the next delete.
 */
export const pendingUndos = sqliteTable(
  'pending_undos',
  {
    token: text('token').primaryKey(),
    ownerSub: text('owner_sub').notNull(),
    bookmarkId: integer('bookmark_id').notNull(),
    url: text('url').notNull(),
    title: text('title').notNull(),
    tags: text('tags').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    description: text('description').notNull().default(''),
  },
  (table) => [index('pending_undos_owner_idx').on(table.ownerSub, table.expiresAt), index('pending_undos_expires_idx').on(table.expiresAt)],
);

/**
 * A counter per owner that moves on every write to their bookmarks (kept by
 * triggers, like tag_counts): pages and fragments derive their ETag from it,
 * and PostgreSQL's remembered totals are keyed by it, in every process alike.
 */
export const ownerVersions = sqliteTable('owner_versions', {
  ownerSub: text('owner_sub').primaryKey(),
  version: integer('version').notNull(),
});

/**
 * Site icons, fetched through the SSRF guard and served from our own origin: one per
 * owner and host (`host` as the URL parser writes it, port included). A row without
 * bytes records that the site had no usable icon, so it is not asked again at once.
 */
export const favicons = sqliteTable(
  'favicons',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ownerSub: text('owner_sub').notNull(),
    host: text('host').notNull(),
    contentType: text('content_type'),
    bytes: blob('bytes', { mode: 'buffer' }),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (table) => [uniqueIndex('favicons_owner_host_idx').on(table.ownerSub, table.host)],
);

/**
 * Owners some of whose bookmarks are dated out of their ids' order: older bookmarks imported
 * after newer ones, a bookmark restored under its old id among later ones. For everyone else
 * the newest matches of a search are its highest ids, and SQLite's search skips checking
 * that they are (datedAmong, src/bookmarks/search-plans.ts). Kept by triggers (migration
 * 0019); a row stays once written, since deleting bookmarks never puts dates out of order.
 */
export const ownerDatesOutOfOrder = sqliteTable('owner_dates_out_of_order', {
  ownerSub: text('owner_sub').primaryKey(),
});
