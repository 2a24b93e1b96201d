import type { Statement } from 'better-sqlite3';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tagCounts, type Bookmark } from '../db/schema.js';
import { rememberedCount } from '../db/remembered-counts.js';
import { tokenize, toFtsMatch, toTextMatch, type SearchQuery } from './search.js';

/*
 * The search box's query against the owner's bookmarks: which plan reads a
 * page (by how many rows match), the statements behind them, and totals that
 * are remembered until the database changes.
 */

export const PAGE_SIZE = 50;

/** Keyset position: the (created_at, id) of the last bookmark already shown. */
export interface Cursor {
  createdAt: number;
  id: number;
}

export interface BookmarkPage {
  items: Bookmark[];
  total: number;
  next: Cursor | null;
}

export function encodeCursor(cursor: Cursor): string {
  return `${cursor.createdAt}.${cursor.id}`;
}

/** A malformed cursor reads as "from the start", never as an error. */
export function decodeCursor(text: string | undefined): Cursor | null {
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(text ?? '');
  return match ? { createdAt: Number(match[1]), id: Number(match[2]) } : null;
}

const hasTextTerms = (query: SearchQuery): boolean => query.words.length + query.phrases.length + query.excludedWords.length > 0;

/**
 * Up to this many matches, reading them all and sorting them by date is
 * cheaper than any walk newest first (about 2 µs a row, so at most ~0.6 ms).
 */
const READ_ALL_MAX = 300;

/**
 * The hot statements of a search, prepared once per connection: preparing one
 * costs about as much as running it. Every statement that reads bookmarks
 * checks owner_sub itself, whatever the MATCH expression says. CROSS JOIN
 * keeps the index as the outer loop: left to itself, SQLite may walk the
 * owner's bookmarks and run the MATCH once per row.
 */
const COLUMNS = 'bookmarks.id, bookmarks.owner_sub AS ownerSub, bookmarks.url, bookmarks.title, bookmarks.tags, bookmarks.created_at AS createdAt';
// Tag filters as JSON arrays, so one statement serves any number of tags.
const TAG_FILTERS = `
  AND NOT EXISTS (SELECT 1 FROM json_each(@tags) WHERE instr(' ' || bookmarks.tags || ' ', ' ' || value || ' ') = 0)
  AND NOT EXISTS (SELECT 1 FROM json_each(@excludedTags) WHERE instr(' ' || bookmarks.tags || ' ', ' ' || value || ' ') > 0)`;
// No cursor is a cursor after everything, so each plan needs one statement and always range-scans.
const BEFORE_CURSOR = '(bookmarks.created_at, bookmarks.id) < (@beforeCreatedAt, @beforeId)';
const NO_CURSOR: Cursor = { createdAt: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
/** The owner's bookmarks newest first, after the cursor, with any further conditions. */
const byDate = (conditions: string): string => `SELECT ${COLUMNS} FROM bookmarks
  WHERE bookmarks.owner_sub = @owner AND ${BEFORE_CURSOR} ${conditions}
  ORDER BY bookmarks.created_at DESC, bookmarks.id DESC LIMIT @limit`;

interface SearchStatements {
  countOwned: Statement;
  countOwnedTagged: Statement;
  countMatches: Statement;
  countMatchesTagged: Statement;
  countMatchesUpTo: Statement;
  newest: Statement;
  newestTagged: Statement;
  newestMatching: Statement;
  allMatches: Statement;
  highestIds: Statement;
  datedAmong: Statement;
}
const statements = new WeakMap<Db['$client'], SearchStatements>();

function statementsFor(db: Db): SearchStatements {
  let prepared = statements.get(db.$client);
  if (!prepared) {
    const client = db.$client;
    prepared = {
      countOwned: client.prepare('SELECT count(*) FROM bookmarks WHERE owner_sub = ?').pluck(),
      countOwnedTagged: client.prepare(`SELECT count(*) FROM bookmarks WHERE bookmarks.owner_sub = @owner ${TAG_FILTERS}`).pluck(),
      countMatches: client.prepare('SELECT count(*) FROM bookmarks_fts WHERE bookmarks_fts MATCH ?').pluck(),
      countMatchesTagged: client.prepare(`SELECT count(*) FROM bookmarks_fts CROSS JOIN bookmarks ON bookmarks.id = bookmarks_fts.rowid
        WHERE bookmarks_fts MATCH @match AND bookmarks.owner_sub = @owner ${TAG_FILTERS}`).pluck(),
      // Stops reading the index after `limit` matches.
      countMatchesUpTo: client.prepare('SELECT count(*) FROM (SELECT rowid FROM bookmarks_fts WHERE bookmarks_fts MATCH ? LIMIT ?)').pluck(),
      // The empty search, the most frequent of all, skips the tag filters' subqueries.
      newest: client.prepare(byDate('')),
      newestTagged: client.prepare(byDate(TAG_FILTERS)),
      // The walk by date for many matches whose ids are out of date order (after imports).
      newestMatching: client.prepare(byDate(`AND bookmarks.id IN (SELECT rowid FROM bookmarks_fts WHERE bookmarks_fts MATCH @match) ${TAG_FILTERS}`)),
      allMatches: client.prepare(`SELECT ${COLUMNS} FROM bookmarks_fts CROSS JOIN bookmarks ON bookmarks.id = bookmarks_fts.rowid
        WHERE bookmarks_fts MATCH @match AND bookmarks.owner_sub = @owner ${TAG_FILTERS}`),
      // FTS5 yields matches lazily in rowid order, so this reads little more than `limit` rows.
      highestIds: client.prepare(`SELECT ${COLUMNS} FROM bookmarks_fts CROSS JOIN bookmarks ON bookmarks.id = bookmarks_fts.rowid
        WHERE bookmarks_fts MATCH @match AND bookmarks.owner_sub = @owner AND ${BEFORE_CURSOR} ${TAG_FILTERS}
        ORDER BY bookmarks_fts.rowid DESC LIMIT @limit`),
      datedAmong: client.prepare(`SELECT 1 FROM bookmarks
        WHERE bookmarks.owner_sub = @owner AND bookmarks.id < @lowestId
          AND (bookmarks.created_at, bookmarks.id) > (@oldestCreatedAt, @oldestId) AND ${BEFORE_CURSOR}
        LIMIT 1`).pluck(),
    };
    statements.set(db.$client, prepared);
  }
  return prepared;
}

interface BookmarkRow extends Omit<Bookmark, 'createdAt'> {
  createdAt: number;
}
const toBookmark = (row: BookmarkRow): Bookmark => ({ ...row, createdAt: new Date(row.createdAt) });

const newestFirst = (a: BookmarkRow, b: BookmarkRow): number => b.createdAt - a.createdAt || b.id - a.id;
const isBefore = (row: BookmarkRow, cursor: Cursor): boolean => row.createdAt < cursor.createdAt || (row.createdAt === cursor.createdAt && row.id < cursor.id);

const cursorParams = (after: Cursor | null) => ({ beforeCreatedAt: (after ?? NO_CURSOR).createdAt, beforeId: (after ?? NO_CURSOR).id });
const tagParams = (query: SearchQuery) => ({ tags: JSON.stringify(query.tags), excludedTags: JSON.stringify(query.excludedTags) });

/** For few matches: all of them, sorted by date here; the page is cut after the cursor. */
function pageFromAllMatches(db: Db, ownerSub: string, match: string, query: SearchQuery, after: Cursor | null, limit: number) {
  const rows = statementsFor(db).allMatches.all({ match, owner: ownerSub, ...tagParams(query) }) as BookmarkRow[];
  rows.sort(newestFirst);
  const page = after ? rows.filter((row) => isBefore(row, after)) : rows;
  return { total: rows.length, rows: page.slice(0, limit + 1) };
}

/**
 * For many matches. Bookmarks are nearly always saved in date order, so the
 * newest matches are nearly always the highest ids, which FTS5 yields lazily
 * in rowid order: take limit + 1 of those and sort them by date. They are the
 * right page unless some lower id of the owner's is dated among them (as after
 * an import of older bookmarks); then this returns null and the caller walks
 * the owner's bookmarks by date instead.
 */
function pageFromHighestIds(db: Db, ownerSub: string, match: string, query: SearchQuery, after: Cursor | null, limit: number): BookmarkRow[] | null {
  const prepared = statementsFor(db);
  const cursor = cursorParams(after);
  const rows = prepared.highestIds.all({
    match,
    owner: ownerSub,
    limit: limit + 1,
    ...cursor,
    ...tagParams(query),
  }) as BookmarkRow[];
  if (rows.length > limit) {
    const lowestId = rows.at(-1)!.id;
    const oldest = rows.reduce((a, b) => (newestFirst(a, b) < 0 ? b : a));
    const datedAmong = prepared.datedAmong.get({ owner: ownerSub, lowestId, oldestCreatedAt: oldest.createdAt, oldestId: oldest.id, ...cursor });
    if (datedAmong !== undefined) return null;
  }
  return rows.sort(newestFirst);
}

/**
 * A #tag also searches the index for its words (a tag's text sits in the tags
 * column), so tag searches get the same fast plans as words; the exact tag test
 * on bookmarks.tags still decides. "#web" finds "web-dev" in the index only.
 */
function withTagWords(query: SearchQuery): SearchQuery {
  // The raw tag goes to FTS5, whose tokenizer splits it exactly as it split the stored tags.
  const tagWords = query.tags.filter((tag) => tokenize(tag).length > 0).map((tag) => [tag]);
  return tagWords.length === 0 ? query : { ...query, phrases: [...query.phrases, ...tagWords] };
}

function onlyOneTag(query: SearchQuery): string | null {
  const others = query.words.length + query.phrases.length + query.excludedWords.length + query.excludedTags.length;
  return query.tags.length === 1 && others === 0 ? query.tags[0]! : null;
}

/** tag_counts is kept by triggers (migration 0005): one row per owner and tag. */
function countTagged(db: Db, ownerSub: string, tag: string): number {
  const row = db
    .select({ count: tagCounts.count })
    .from(tagCounts)
    .where(and(eq(tagCounts.ownerSub, ownerSub), eq(tagCounts.tag, tag)))
    .get();
  return row?.count ?? 0;
}

function toPage(rows: BookmarkRow[], total: number, limit: number): BookmarkPage {
  const items = rows.slice(0, limit).map(toBookmark);
  const last = items.at(-1);
  const next = rows.length > limit && last ? { createdAt: last.createdAt.getTime(), id: last.id } : null;
  return { items, total, next };
}

const EMPTY_PAGE: BookmarkPage = Object.freeze({ items: [], total: 0, next: null }) as BookmarkPage;

/**
 * The owner's bookmarks matching the query, newest first (by created_at, then
 * id), one page after the cursor. The plan depends on how many bookmarks match:
 *  - no text: the owner's bookmarks by date;
 *  - few matches in the whole index (a rare word): read them all and sort;
 *  - few of the owner's: the same, through the owner's part of the index;
 *  - many: the highest ids from the index, or the walk by date after imports.
 */
export function searchBookmarks(
  db: Db,
  ownerSub: string,
  query: SearchQuery,
  after: Cursor | null = null,
  limit = PAGE_SIZE,
): BookmarkPage {
  const prepared = statementsFor(db);
  const onlyTag = onlyOneTag(query);
  const tagFiltered = query.tags.length + query.excludedTags.length > 0;
  query = withTagWords(query);

  if (!hasTextTerms(query)) {
    const page = { owner: ownerSub, limit: limit + 1, ...cursorParams(after) };
    if (tagFiltered) {
      // Only tags that hold no word the index knows ("#++"): the owner's bookmarks by date, filtered.
      const total =
        onlyTag !== null ? countTagged(db, ownerSub, onlyTag)
        : rememberedCount(db, `ownedTagged\0${ownerSub}\0${JSON.stringify([query.tags, query.excludedTags])}`, () =>
            prepared.countOwnedTagged.get({ owner: ownerSub, ...tagParams(query) }) as number);
      return total === 0 ? EMPTY_PAGE : toPage(prepared.newestTagged.all({ ...page, ...tagParams(query) }) as BookmarkRow[], total, limit);
    }
    const total = rememberedCount(db, `owned\0${ownerSub}`, () => prepared.countOwned.get(ownerSub) as number);
    return total === 0 ? EMPTY_PAGE : toPage(prepared.newest.all(page) as BookmarkRow[], total, limit);
  }

  const textMatch = toTextMatch(query);
  if (textMatch !== null) {
    // Counted over everyone's bookmarks, but only to choose a plan (at most a few µs apart):
    // the rows and the total below are the owner's alone.
    const anyone = rememberedCount(db, `anyone\0${textMatch}`, () => prepared.countMatchesUpTo.get(textMatch, READ_ALL_MAX + 1) as number);
    if (anyone <= READ_ALL_MAX) {
      const { total, rows } = pageFromAllMatches(db, ownerSub, textMatch, query, after, limit);
      return total === 0 ? EMPTY_PAGE : toPage(rows, total, limit);
    }
  }

  const ownerMatch = toFtsMatch(ownerSub, query);
  const textMatches = rememberedCount(db, `owner\0${ownerMatch}`, () => prepared.countMatches.get(ownerMatch) as number);
  if (textMatches === 0) return EMPTY_PAGE;
  if (textMatches <= READ_ALL_MAX) {
    const { total, rows } = pageFromAllMatches(db, ownerSub, ownerMatch, query, after, limit);
    return total === 0 ? EMPTY_PAGE : toPage(rows, total, limit);
  }
  const total =
    onlyTag !== null ? countTagged(db, ownerSub, onlyTag)
    : !tagFiltered ? textMatches
    : rememberedCount(db, `tagged\0${ownerMatch}\0${JSON.stringify([query.tags, query.excludedTags])}`, () =>
        prepared.countMatchesTagged.get({ match: ownerMatch, owner: ownerSub, ...tagParams(query) }) as number);
  if (total === 0) return EMPTY_PAGE;
  const rows =
    pageFromHighestIds(db, ownerSub, ownerMatch, query, after, limit) ??
    (prepared.newestMatching.all({ match: ownerMatch, owner: ownerSub, limit: limit + 1, ...cursorParams(after), ...tagParams(query) }) as BookmarkRow[]);
  return toPage(rows, total, limit);
}
