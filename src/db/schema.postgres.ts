/*
 * The PostgreSQL tables, the twin of schema.ts (SQLite): same names, same
 * columns, same meaning, so one SQL text serves both engines wherever their
 * dialects agree. drizzle-kit generates drizzle/postgres from this file; the
 * text search configuration, and the triggers that keep tag_counts, are
 * custom SQL there. Times are milliseconds since the epoch (bigint), as on
 * SQLite, so keyset cursors compare the same values on both.
 */
import { sql } from 'drizzle-orm';
import { bigint, customType, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * A field's words, split at punctuation the way SQLite's unicode61 tokenizer splits them, and
 * after every 250 characters of one word (a regular expression repeats at most 255 times):
 * PostgreSQL leaves out of the vector a word of more than 2,047 bytes, which a description of
 * Japanese without punctuation reaches at 683 characters. Only a field that long is searched
 * for such words: run on every field, the expression made building a vector 30 % slower.
 */
function fieldWords(field: string): string {
  const split = `translate(${field}, '/.:-_?=&#%+~@!,;()[]{}<>|*^$''"\`', '                                ')`;
  const cut = `regexp_replace(${split}, '([[:alnum:]]{250})', '\\1 ', 'g')`;
  return `to_tsvector('bookmarks_search'::regconfig, CASE WHEN length(${field}) > 250 THEN ${cut} ELSE ${split} END)`;
}

/**
 * The words search looks in: title, address, tags and description, split at punctuation the
 * way SQLite's unicode61 tokenizer splits them ('orm.drizzle.team/docs' gives
 * orm, drizzle, team, docs; 'web-dev' gives web, dev), in the bookmarks_search
 * configuration (simple, without accents) that queries use too; and a lexeme
 * for the owner ('~' and the MD5 of the sub: no word has a '~'), so the GIN
 * index finds one owner's matches by itself, as the owner token does in
 * SQLite's FTS5 index. Queries still check owner_sub on every row. Each field has its own
 * weight (title A, address B, tags C, description D), by which a phrase is matched within one
 * field, as FTS5 matches it within one column (search-plans.ts, toTsquery).
 */
export const SEARCH_VECTOR = sql.raw(
  `setweight(${fieldWords('title')}, 'A') || setweight(${fieldWords('url')}, 'B') || setweight(${fieldWords('tags')}, 'C') || ${fieldWords('description')} || array_to_tsvector(ARRAY['~' || md5(owner_sub)])`,
);

export const bookmarks = pgTable(
  'bookmarks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    ownerSub: text('owner_sub').notNull(),
    url: text('url').notNull(),
    title: text('title').notNull(),
    tags: text('tags').notNull().default(''),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    description: text('description').notNull().default(''),
    searchVector: tsvector('search_vector').notNull().generatedAlwaysAs(SEARCH_VECTOR),
  },
  (table) => [
    index('bookmarks_owner_created_idx').on(table.ownerSub, table.createdAt, table.id),
    index('bookmarks_owner_url_idx').on(table.ownerSub, table.url),
    index('bookmarks_search_idx').using('gin', table.searchVector),
    index('bookmarks_tags_idx').using('gin', sql`string_to_array(${table.tags}, ' ')`),
  ],
);

export const tagCounts = pgTable(
  'tag_counts',
  {
    ownerSub: text('owner_sub').notNull(),
    tag: text('tag').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.ownerSub, table.tag] }),
    // In the tag list's order (most used first, then by name), holding all it reads: no sort, no row lookups.
    index('tag_counts_owner_count_tag_idx').on(table.ownerSub, table.count.desc().nullsFirst(), table.tag),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    ownerSub: text('owner_sub').notNull(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    lastUsedAt: bigint('last_used_at', { mode: 'number' }),
    expiresAt: bigint('expires_at', { mode: 'number' }),
  },
  (table) => [index('api_tokens_owner_idx').on(table.ownerSub)],
);

export const endedSessions = pgTable(
  'ended_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
  },
  // Every sign-out deletes the rows past their expiry: through this index, not a scan of them all.
  (table) => [index('ended_sessions_expires_idx').on(table.expiresAt)],
);

export const pendingUndos = pgTable(
  'pending_undos',
  {
    token: text('token').primaryKey(),
    ownerSub: text('owner_sub').notNull(),
    bookmarkId: bigint('bookmark_id', { mode: 'number' }).notNull(),
    url: text('url').notNull(),
    title: text('title').notNull(),
    tags: text('tags').notNull(),
    createdAt: bigint('created_at', { mode: 'number' }).notNull(),
    expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
    description: text('description').notNull().default(''),
  },
  (table) => [index('pending_undos_owner_idx').on(table.ownerSub, table.expiresAt), index('pending_undos_expires_idx').on(table.expiresAt)],
);

export const rateLimitHits = pgTable(
  'rate_limit_hits',
  {
    key: text('key').primaryKey(),
    hits: bigint('hits', { mode: 'number' }).notNull(),
    resetsAt: bigint('resets_at', { mode: 'number' }).notNull(),
  },
  (table) => [index('rate_limit_hits_resets_idx').on(table.resetsAt)],
);

export const ownerVersions = pgTable('owner_versions', {
  ownerSub: text('owner_sub').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
});

export const favicons = pgTable(
  'favicons',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    ownerSub: text('owner_sub').notNull(),
    host: text('host').notNull(),
    contentType: text('content_type'),
    bytes: bytea('bytes'),
    fetchedAt: bigint('fetched_at', { mode: 'number' }).notNull(),
  },
  (table) => [uniqueIndex('favicons_owner_host_idx').on(table.ownerSub, table.host)],
);
