import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';
import { countOnce, currentTotals, REMEMBERED_TOTALS_MAX } from '../db/remembered-counts.js';
import { QUALIFIED_BOOKMARK_COLUMNS, tagsToColumn, toBookmark, type Bookmark, type BookmarkRow } from './bookmark.js';
import { ownedBookmarksByIds } from './kept-bookmarks.js';
import { ownerVersion } from './queries.js';
import { tagIndexWords, tagNarrowingWords, type SearchTerms } from './search-syntax.js';

/*
 * The search plans: how the terms of a search read one page of the owner's
 * bookmarks, newest first, with the total, on each engine. SQLite uses its
 * FTS5 index and picks a plan by how many rows match; PostgreSQL uses a
 * tsvector column kept by the database, GIN-indexed, and its own planner.
 */

export const PAGE_SIZE = 50;

/** Keyset position: the (created_at, id) of the last bookmark already shown. */
export interface Cursor {
  createdAt: number;
  id: number;
}

export interface BookmarkPage {
  items: Bookmark[];
  /** How many match in all; with `countUpTo`, at most that many. */
  total: number;
  /** Counting stopped at `countUpTo`: more than `total` match. */
  moreThanTotal: boolean;
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

/**
 * The owner's bookmarks matching the terms, newest first (by created_at, then
 * id), one page after the cursor, with how many match in all.
 */
export async function searchBookmarks(
  db: Db,
  ownerSub: string,
  terms: SearchTerms,
  after: Cursor | null = null,
  limit = PAGE_SIZE,
  { ownerVersion: knownVersion, countUpTo }: SearchOptions = {},
): Promise<BookmarkPage> {
  const counting = countingUpTo(countUpTo);
  return db.engine === 'sqlite' ? searchSqlite(db, ownerSub, terms, after, limit, counting) : searchPostgres(db, ownerSub, terms, after, limit, knownVersion, counting);
}

export interface SearchOptions {
  /** The owner's data version if the request has read it already (for the ETag): PostgreSQL's remembered totals are keyed by it. */
  ownerVersion?: number | null;
  /**
   * Stop counting a search's matches (of words, of several tags, with tags left out) past this
   * many: the page says "more than". Counting every match is most of a new search's cost when
   * the words are common: 61,564 of "p". A single tag's count (kept in tag_counts by triggers)
   * and the collection's size (counted whole, remembered until a write) stay exact.
   */
  countUpTo?: number;
}

/** How far a count of matches reads: `limit` is the statements' LIMIT (one past the cap, or no limit). */
interface Counting {
  countUpTo: number | undefined;
  limit: number | null;
}

function countingUpTo(countUpTo: number | undefined): Counting {
  // The plans are chosen by counts up to READ_ALL_MAX and PG_FEW_MAX: those must stay exact.
  const least = Math.max(READ_ALL_MAX, PG_FEW_MAX);
  if (countUpTo !== undefined && !(Number.isInteger(countUpTo) && countUpTo >= least)) throw new RangeError(`countUpTo must be a whole number of at least ${least}`);
  return { countUpTo, limit: countUpTo === undefined ? null : countUpTo + 1 };
}

/** A page's total: how many match, or that more than `total` do. */
type Total = Pick<BookmarkPage, 'total' | 'moreThanTotal'>;
const exactly = (total: number): Total => ({ total, moreThanTotal: false });

/** A count read with the counting's limit, as the page's total. */
function countedMatches(count: number, { countUpTo }: Counting): Total {
  return countUpTo !== undefined && count > countUpTo ? { total: countUpTo, moreThanTotal: true } : exactly(count);
}

const EMPTY_PAGE: BookmarkPage = Object.freeze({ items: [], total: 0, moreThanTotal: false, next: null }) as BookmarkPage;

/** No cursor is a cursor after everything, so each plan needs one statement and always range-scans. */
const NO_CURSOR: Cursor = { createdAt: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
const cursorParams = (after: Cursor | null) => ({ beforeCreatedAt: (after ?? NO_CURSOR).createdAt, beforeId: (after ?? NO_CURSOR).id });

/** Where a bookmark sits in the order of a list: what SQLite's plans read, the rest coming from kept-bookmarks.ts. */
type PageKey = Pick<BookmarkRow, 'id' | 'createdAt'>;
/** With the owner's data version, read in the same statement (PAGE_KEYS), and the bookmark where a plan has it already. */
type VersionedKey = PageKey & { ownerVersion: number | null; bookmark?: Bookmark };

const newestFirst = (a: PageKey, b: PageKey): number => b.createdAt - a.createdAt || b.id - a.id;
const isBefore = (row: PageKey, cursor: Cursor): boolean => row.createdAt < cursor.createdAt || (row.createdAt === cursor.createdAt && row.id < cursor.id);

/** Where the next page begins, when a plan read more than `limit`: after the last one shown. */
function nextCursor(rows: PageKey[], limit: number): Cursor | null {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return last ? { createdAt: last.createdAt, id: last.id } : null;
}

function toPage(rows: BookmarkRow[], { total, moreThanTotal }: Total, limit: number): BookmarkPage {
  return { items: rows.slice(0, limit).map(toBookmark), total, moreThanTotal, next: nextCursor(rows, limit) };
}

/**
 * The same from a plan's keys: the page's bookmarks are read by id, or kept ones taken
 * (kept-bookmarks.ts) at the owner's version that the keys' statement read with them,
 * unless the plan took them already.
 */
async function toPageOfKeys(db: Db, ownerSub: string, keys: VersionedKey[], { total, moreThanTotal }: Total, limit: number): Promise<BookmarkPage> {
  const shown = keys.slice(0, limit);
  const items = shown.every((key) => key.bookmark)
    ? shown.map((key) => key.bookmark!)
    : await ownedBookmarksByIds(db, ownerSub, shown.map((key) => key.id), shown[0]?.ownerVersion ?? 0);
  return { items, total, moreThanTotal, next: nextCursor(keys, limit) };
}

/** The terms the text index decides: every kind but tags. */
const textTermCount = (terms: SearchTerms): number =>
  terms.words.length + terms.phrases.length + terms.excludedWords.length + terms.excludedPhrases.length;

const hasTextTerms = (terms: SearchTerms): boolean => textTermCount(terms) > 0;

function onlyOneTag(terms: SearchTerms): string | null {
  return terms.tags.length === 1 && textTermCount(terms) + terms.excludedTags.length === 0 ? terms.tags[0]! : null;
}

/* The statements both engines run as written, and the columns SQLite's read. */
/**
 * What SQLite's plans read of each bookmark: its place in the order, and the owner's data version
 * in the same snapshot (a subquery SQLite runs once a statement), which says which kept bookmarks
 * are those of that snapshot (kept-bookmarks.ts).
 */
const PAGE_KEYS = sql`bookmarks.id, bookmarks.created_at AS "createdAt",
  (SELECT version FROM owner_versions WHERE owner_versions.owner_sub = ${param('owner')}) AS "ownerVersion"`;
const BEFORE_CURSOR = sql`(bookmarks.created_at, bookmarks.id) < (${param('beforeCreatedAt')}, ${param('beforeId')})`;
/** The owner's bookmarks newest first, after the cursor, with any further conditions. */
const byDate = (conditions: ReturnType<typeof sql>, columns = QUALIFIED_BOOKMARK_COLUMNS) => sql`SELECT ${columns} FROM bookmarks
  WHERE bookmarks.owner_sub = ${param('owner')} AND ${BEFORE_CURSOR} ${conditions}
  ORDER BY bookmarks.created_at DESC, bookmarks.id DESC LIMIT ${param('limit')}`;
const newest = byDate(sql``);
const newestKeys = byDate(sql``, PAGE_KEYS);
const countOwned = sql`SELECT count(*) AS total FROM bookmarks WHERE owner_sub = ${param('owner')}`;

/** tag_counts is kept by triggers on both engines: one row per owner and tag. */
const taggedCount = sql`SELECT count FROM tag_counts WHERE owner_sub = ${param('owner')} AND tag = ${param('tag')}`;

async function countTagged(db: Db, ownerSub: string, tag: string): Promise<number> {
  return (await db.get<{ count: number }>(taggedCount, { owner: ownerSub, tag }))?.count ?? 0;
}

// ---------------------------------------------------------------------------
// SQLite: FTS5 (migrations 0001, 0006, 0014, 0017 and 0021), plans chosen by how many rows match.
// The index holds each bookmark under the negative of its id (0021), so its own order is newest first.
// ---------------------------------------------------------------------------

const quote = (token: string): string => `"${token.replaceAll('"', '""')}"`;
const quotePhrase = (tokens: string[]): string => quote(tokens.join(' '));
const TEXT_COLUMNS = '{title url tags description}';

/** The owner's token in the index: 'o' + hex of the UTF-8 sub, as the migration's triggers write it. */
export function ownerToken(ownerSub: string): string {
  return `o${Buffer.from(ownerSub, 'utf8').toString('hex').toUpperCase()}`;
}

/** The required and excluded parts of a MATCH expression; every user token is quoted, so FTS operators typed by the user are only ever text. */
function textTerms(terms: SearchTerms): { required: string[]; excluded: string | null } {
  const required = [
    ...terms.words.map((word) => `${TEXT_COLUMNS} : ${quote(word)}*`),
    ...terms.phrases.map((tokens) => `${TEXT_COLUMNS} : ${quotePhrase(tokens)}`),
    // A #tag narrows candidates through the index by its first words; the exact tag is checked in SQL.
    ...terms.tags.map(tagNarrowingWords).filter((tokens) => tokens.length > 0).map((tokens) => `tags : ${quotePhrase(tokens)}`),
  ];
  const left = [...terms.excludedWords.map((group) => `(${group.map((word) => `${quote(word)}*`).join(' AND ')})`), ...terms.excludedPhrases.map(quotePhrase)];
  const excluded = left.length > 0 ? ` NOT ${TEXT_COLUMNS} : (${left.join(' OR ')})` : null;
  return { required, excluded };
}

/** Builds an FTS5 MATCH expression scoped to the owner inside the index. */
export function toFtsMatch(ownerSub: string, terms: SearchTerms): string {
  const { required, excluded } = textTerms(terms);
  return `(${[`owner : ${quote(ownerToken(ownerSub))}`, ...required].join(' AND ')})${excluded ?? ''}`;
}

/**
 * The same expression without the owner term, matching everyone's bookmarks:
 * only for a plan that joins bookmarks and checks owner_sub itself. Null when
 * the terms hold no word that must match (FTS5 cannot start from NOT).
 */
export function toTextMatch(terms: SearchTerms): string | null {
  const { required, excluded } = textTerms(terms);
  return required.length === 0 ? null : `(${required.join(' AND ')})${excluded ?? ''}`;
}

/**
 * Up to this many matches, reading them all and sorting them by date is
 * cheaper than any walk newest first (about 2 µs a row, so at most ~0.6 ms),
 * while their rows are in SQLite's cache: for a search never asked before they
 * mostly are not (about 20 µs a row), so where a page of the highest ids is
 * known to be right, that is read instead (searchSqlite).
 */
const READ_ALL_MAX = 300;

/*
 * Every statement that reads bookmarks checks owner_sub itself, whatever the
 * MATCH expression says. CROSS JOIN keeps the index as the outer loop: left to
 * itself, SQLite may walk the owner's bookmarks and run the MATCH once per row.
 * Statements are compiled once and prepared once per connection (src/db/sqlite.ts).
 */
// Tag filters as JSON arrays, so one statement serves any number of tags.
// A searched tag holding a space (NFKC makes ' ̈' of '¨') is none a bookmark can carry, where the
// stored tags' spaces are between tags: it must not be found across two of them.
const SQLITE_TAG_FILTERS = sql`
  AND NOT EXISTS (SELECT 1 FROM json_each(${param('tags')}) WHERE instr(value, ' ') > 0 OR instr(' ' || bookmarks.tags || ' ', ' ' || value || ' ') = 0)
  AND NOT EXISTS (SELECT 1 FROM json_each(${param('excludedTags')}) WHERE instr(value, ' ') = 0 AND instr(' ' || bookmarks.tags || ' ', ' ' || value || ' ') > 0)`;

/** The plans that read matches, with the tag filters or without: json_each runs twice for every candidate row, so only tag searches pay for it. */
const matchPlans = (tagFilters: ReturnType<typeof sql>) => ({
  // The walk by date for many matches whose ids are out of date order (after imports).
  newestMatching: byDate(sql`AND bookmarks.id IN (SELECT -rowid FROM bookmarks_fts WHERE bookmarks_fts MATCH ${param('match')}) ${tagFilters}`, PAGE_KEYS),
  allMatches: sql`SELECT ${PAGE_KEYS} FROM bookmarks_fts CROSS JOIN bookmarks ON bookmarks.id = -bookmarks_fts.rowid
    WHERE bookmarks_fts MATCH ${param('match')} AND bookmarks.owner_sub = ${param('owner')} ${tagFilters}`,
  // FTS5 yields matches lazily in its rowid order, the highest ids first (0021), so this reads
  // little more than `limit` rows; the other way round it reads each doclist backwards, at twice the cost.
  highestIds: sql`SELECT ${PAGE_KEYS} FROM bookmarks_fts CROSS JOIN bookmarks ON bookmarks.id = -bookmarks_fts.rowid
    WHERE bookmarks_fts MATCH ${param('match')} AND bookmarks.owner_sub = ${param('owner')} AND ${BEFORE_CURSOR} ${tagFilters}
    ORDER BY bookmarks_fts.rowid LIMIT ${param('limit')}`,
});
const taggedMatchPlans = matchPlans(SQLITE_TAG_FILTERS);
const untaggedMatchPlans = matchPlans(sql``);

/*
 * The counts stop reading after `limit` rows (-1: no limit). FTS5 yields matches lazily, so
 * a count of a common word stops early: "p" reads 1,001 of its 61,564 matches.
 */
const sqlite = {
  countOwnedTagged: sql`SELECT count(*) AS total FROM (SELECT 1 FROM bookmarks WHERE bookmarks.owner_sub = ${param('owner')} ${SQLITE_TAG_FILTERS}
    LIMIT ${param('limit')})`,
  countMatchesTagged: sql`SELECT count(*) AS total FROM (SELECT 1 FROM bookmarks_fts CROSS JOIN bookmarks ON bookmarks.id = -bookmarks_fts.rowid
    WHERE bookmarks_fts MATCH ${param('match')} AND bookmarks.owner_sub = ${param('owner')} ${SQLITE_TAG_FILTERS} LIMIT ${param('limit')})`,
  countMatchesUpTo: sql`SELECT count(*) AS total FROM (SELECT rowid FROM bookmarks_fts WHERE bookmarks_fts MATCH ${param('match')} LIMIT ${param('limit')})`,
  // The highest ids alone, with the owner's data version: for a first page, whose dates and tags
  // come with the bookmarks (kept ones, or read with owner_sub checked: kept-bookmarks.ts).
  highestIdsAlone: sql`SELECT -rowid AS id, (SELECT version FROM owner_versions WHERE owner_versions.owner_sub = ${param('owner')}) AS "ownerVersion"
    FROM bookmarks_fts WHERE bookmarks_fts MATCH ${param('match')} ORDER BY rowid LIMIT ${param('limit')}`,
  // The empty search, the most frequent of all, skips the tag filters' subqueries.
  newestTagged: byDate(SQLITE_TAG_FILTERS, PAGE_KEYS),
  // Only for owners whose dates are out of their ids' order somewhere (migration 0019): for the others none can be.
  // A scalar subquery of the marked row: SQLite would run an EXISTS first, marked or not.
  datedAmong: sql`SELECT 1 AS found FROM owner_dates_out_of_order AS marked WHERE marked.owner_sub = ${param('owner')} AND (SELECT 1 FROM bookmarks
    WHERE bookmarks.owner_sub = marked.owner_sub AND bookmarks.id < ${param('lowestId')}
      AND (bookmarks.created_at, bookmarks.id) > (${param('oldestCreatedAt')}, ${param('oldestId')}) AND ${BEFORE_CURSOR}
    LIMIT 1) IS NOT NULL`,
};

const isTagged = (terms: SearchTerms): boolean => terms.tags.length + terms.excludedTags.length > 0;
const sqliteTagParams = (terms: SearchTerms) => (isTagged(terms) ? { tags: JSON.stringify(terms.tags), excludedTags: JSON.stringify(terms.excludedTags) } : {});
const plansFor = (terms: SearchTerms) => (isTagged(terms) ? taggedMatchPlans : untaggedMatchPlans);

/** A search's remembered totals (src/db/remembered-counts.ts): the version is read once, at the first total the search asks for. */
function sqliteTotals(db: Db) {
  let totals: Map<string, Promise<number>> | undefined;
  return async (key: string, statement: ReturnType<typeof sql>, params: Record<string, unknown>): Promise<number> => {
    totals ??= await currentTotals(db);
    return countOnce(totals, key, async () => (await db.get<{ total: number }>(statement, params))!.total, REMEMBERED_TOTALS_MAX);
  };
}

/** For few matches: all of them, sorted by date here; the page is cut after the cursor. */
async function pageFromAllMatches(db: Db, ownerSub: string, match: string, terms: SearchTerms, after: Cursor | null, limit: number) {
  const rows = await db.all<VersionedKey>(plansFor(terms).allMatches, { match, owner: ownerSub, ...sqliteTagParams(terms) });
  rows.sort(newestFirst);
  const page = after ? rows.filter((row) => isBefore(row, after)) : rows;
  return { total: rows.length, rows: page.slice(0, limit + 1) };
}

/** The page of a search that read every match: their number is its exact total. */
const everyMatchRead = async (db: Db, ownerSub: string, { total, rows }: { total: number; rows: VersionedKey[] }, limit: number): Promise<BookmarkPage> =>
  total === 0 ? EMPTY_PAGE : toPageOfKeys(db, ownerSub, rows, exactly(total), limit);

/**
 * For many matches. Bookmarks are nearly always saved in date order, so the
 * newest matches are nearly always the highest ids, which FTS5 yields lazily
 * first: take limit + 1 of those and sort them by date. They are the
 * right page unless some lower id of the owner's is dated among them (as after
 * an import of older bookmarks); then this returns null and the caller walks
 * the owner's bookmarks by date instead.
 */
async function pageFromHighestIds(db: Db, ownerSub: string, match: string, terms: SearchTerms, after: Cursor | null, limit: number): Promise<VersionedKey[] | null> {
  const cursor = cursorParams(after);
  const rows =
    (after === null ? await highestKeysOfKeptBookmarks(db, ownerSub, match, terms, limit) : null) ??
    (await db.all<VersionedKey>(plansFor(terms).highestIds, { match, owner: ownerSub, limit: limit + 1, ...cursor, ...sqliteTagParams(terms) }));
  if (rows.length > limit) {
    const lowestId = rows.at(-1)!.id;
    const oldest = rows.reduce((a, b) => (newestFirst(a, b) < 0 ? b : a));
    const datedAmong = await db.get(sqlite.datedAmong, { owner: ownerSub, lowestId, oldestCreatedAt: oldest.createdAt, oldestId: oldest.id, ...cursor });
    if (datedAmong !== undefined) return null;
  }
  return rows.sort(newestFirst);
}

/**
 * A search's tags checked on a bookmark exactly as SQLITE_TAG_FILTERS checks its column (the tags
 * joined by spaces): every tag asked for, none left out, and a tag that holds a space (folded by
 * NFKC from "a¨b") neither found nor left out.
 */
function hasTheTags(bookmark: Bookmark, terms: SearchTerms): boolean {
  const column = ` ${tagsToColumn(bookmark.tags)} `;
  const carries = (tag: string): boolean => !tag.includes(' ') && column.includes(` ${tag} `);
  return terms.tags.every(carries) && !terms.excludedTags.some(carries);
}

/**
 * The keys of a first page from the index alone: the join to bookmarks that gives their dates
 * (and tags) was a quarter of the page's statement, and the same bookmarks are asked for next
 * (toPageOfKeys), mostly kept, so they are taken here, with their dates, and tags are checked on
 * them. Null, for the joined statement, when one of them is not the owner's bookmark (gone by a
 * delete committed between the two statements, or an index that says otherwise than the table),
 * or when the tags turned one down and the index may have more.
 */
async function highestKeysOfKeptBookmarks(db: Db, ownerSub: string, match: string, terms: SearchTerms, limit: number): Promise<VersionedKey[] | null> {
  const ids = await db.all<{ id: number; ownerVersion: number | null }>(sqlite.highestIdsAlone, { match, owner: ownerSub, limit: limit + 1 });
  const ownerVersion = ids[0]?.ownerVersion ?? null;
  const bookmarks = await ownedBookmarksByIds(db, ownerSub, ids.map((row) => row.id), ownerVersion ?? 0);
  if (bookmarks.length !== ids.length) return null;
  const tagged = isTagged(terms) ? bookmarks.filter((bookmark) => hasTheTags(bookmark, terms)) : bookmarks;
  if (tagged.length < bookmarks.length && ids.length > limit) return null;
  return tagged.map((bookmark) => ({ id: bookmark.id, createdAt: bookmark.createdAt.getTime(), ownerVersion, bookmark }));
}

/**
 * A #tag of up to TAG_INDEX_WORDS words also searches the index for its words (a
 * tag's text sits in the tags column), so tag searches get the same fast plans as
 * words; the exact tag test on bookmarks.tags still decides. "#web" finds "web-dev"
 * in the index only. A longer tag alone is left to that test (MAX_SEARCH_TERMS); beside
 * words, a phrase of its first words in the tags column (textTerms) still narrows what they find.
 */
function withTagWords(terms: SearchTerms): SearchTerms {
  // The raw tag goes to FTS5, whose tokenizer splits it exactly as it split the stored tags.
  const tagWords = terms.tags.filter((tag) => tagIndexWords(tag) > 0).map((tag) => [tag]);
  return tagWords.length === 0 ? terms : { ...terms, phrases: [...terms.phrases, ...tagWords] };
}

/**
 * The plan depends on how many bookmarks match:
 *  - no text: the owner's bookmarks by date;
 *  - few matches in the whole index (a rare word): read them all and sort;
 *  - few of the owner's, with tags: the same, through the owner's part of the index;
 *  - otherwise: the highest ids from the index, or after imports the walk by date
 *    (reading all of them for few).
 */
async function searchSqlite(db: Db, ownerSub: string, terms: SearchTerms, after: Cursor | null, limit: number, counting: Counting): Promise<BookmarkPage> {
  const onlyTag = onlyOneTag(terms);
  const tagFiltered = isTagged(terms);
  const sqliteTotal = sqliteTotals(db);
  // Counts read up to the limit are remembered under it.
  const countLimit = counting.limit ?? -1;
  terms = withTagWords(terms);

  if (!hasTextTerms(terms)) {
    const page = { owner: ownerSub, limit: limit + 1, ...cursorParams(after) };
    if (tagFiltered) {
      // Only tags that hold no word the index knows ("#++"): the owner's bookmarks by date, filtered.
      const total =
        onlyTag !== null ? exactly(await countTagged(db, ownerSub, onlyTag))
        : countedMatches(
            await sqliteTotal(`ownedTagged\0${countLimit}\0${ownerSub}\0${JSON.stringify([terms.tags, terms.excludedTags])}`, sqlite.countOwnedTagged, {
              owner: ownerSub,
              limit: countLimit,
              ...sqliteTagParams(terms),
            }),
            counting,
          );
      if (total.total === 0) return EMPTY_PAGE;
      return toPageOfKeys(db, ownerSub, await db.all<VersionedKey>(sqlite.newestTagged, { ...page, ...sqliteTagParams(terms) }), total, limit);
    }
    const total = await sqliteTotal(`owned\0${ownerSub}`, countOwned, { owner: ownerSub });
    return total === 0 ? EMPTY_PAGE : toPageOfKeys(db, ownerSub, await db.all<VersionedKey>(newestKeys, page), exactly(total), limit);
  }

  const textMatch = toTextMatch(terms);
  if (textMatch !== null) {
    // Counted over everyone's bookmarks, but only to choose a plan (at most a few µs apart):
    // the rows and the total below are the owner's alone.
    const anyone = await sqliteTotal(`anyone\0${textMatch}`, sqlite.countMatchesUpTo, { match: textMatch, limit: READ_ALL_MAX + 1 });
    if (anyone <= READ_ALL_MAX) return everyMatchRead(db, ownerSub, await pageFromAllMatches(db, ownerSub, textMatch, terms, after, limit), limit);
  }

  const ownerMatch = toFtsMatch(ownerSub, terms);
  // With tags the total is counted apart (below): the words' matches only pick the plan.
  const wordsLimit = tagFiltered ? READ_ALL_MAX + 1 : countLimit;
  const textMatches = await sqliteTotal(`owner\0${wordsLimit}\0${ownerMatch}`, sqlite.countMatchesUpTo, { match: ownerMatch, limit: wordsLimit });
  if (textMatches === 0) return EMPTY_PAGE;
  const fewMatches = textMatches <= READ_ALL_MAX;
  // The tag filters decide the total, so every match is read anyway.
  if (fewMatches && tagFiltered) return everyMatchRead(db, ownerSub, await pageFromAllMatches(db, ownerSub, ownerMatch, terms, after, limit), limit);
  const total =
    onlyTag !== null ? exactly(await countTagged(db, ownerSub, onlyTag))
    : !tagFiltered ? countedMatches(textMatches, counting)
    : countedMatches(
        await sqliteTotal(`tagged\0${countLimit}\0${ownerMatch}\0${JSON.stringify([terms.tags, terms.excludedTags])}`, sqlite.countMatchesTagged, {
          match: ownerMatch,
          owner: ownerSub,
          limit: countLimit,
          ...sqliteTagParams(terms),
        }),
        counting,
      );
  if (total.total === 0) return EMPTY_PAGE;
  // Even for few matches the highest ids come first: reading all of them touched a page of the
  // table for each, mostly uncached for a search never asked before (5–7 ms for 280 matches).
  const rows =
    (await pageFromHighestIds(db, ownerSub, ownerMatch, terms, after, limit)) ??
    (fewMatches ? (await pageFromAllMatches(db, ownerSub, ownerMatch, terms, after, limit)).rows
    : await db.all<VersionedKey>(plansFor(terms).newestMatching, { match: ownerMatch, owner: ownerSub, limit: limit + 1, ...cursorParams(after), ...sqliteTagParams(terms) }));
  return toPageOfKeys(db, ownerSub, rows, total, limit);
}

// ---------------------------------------------------------------------------
// PostgreSQL: bookmarks.search_vector, a generated tsvector with a GIN index
// (drizzle/postgres), holding the words and a lexeme for the owner, queried
// with to_tsquery in the same text search configuration that built it.
// ---------------------------------------------------------------------------

/** A lexeme for to_tsquery: quoted, so nothing the user typed is read as an operator. */
const lexeme = (token: string): string => `'${token.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

/**
 * The text terms as a tsquery: every word a prefix, phrases as <-> chains,
 * exclusions negated. Null when there are none (tags alone are checked on the
 * tags column). A #tag is matched exactly on the tags array, not here.
 */
export function toTsquery(terms: SearchTerms): string | null {
  const required = [...terms.words.map(prefixQuery), ...terms.phrases.map(phraseQuery)];
  const excluded = [...terms.excludedWords.map((group) => `!(${group.map(prefixQuery).join(' & ')})`), ...terms.excludedPhrases.map((tokens) => `!${phraseQuery(tokens)}`)];
  const parts = [...required, ...excluded];
  return parts.length === 0 ? null : parts.join(' & ');
}

/** Each field's weight in search_vector (schema.postgres.ts). */
const FIELD_WEIGHTS = ['A', 'B', 'C', 'D'];

/**
 * A token as the index may hold it. PostgreSQL lowercases a capital sigma to σ wherever it is
 * (ΟΔΟΣ is 'οδοσ', ΤΥΠΟΣ2 'τυποσ2'), where JavaScript, which lowercases the search's words, and
 * people typing small letters write ς where no letter follows: a word with σ or ς is searched as
 * typed, with σ throughout, and with a last σ as ς. Each spelling is a lexeme with `suffix` (':*', ':A').
 */
function tokenQuery(token: string, suffix: string): string {
  if (!/[σς]/u.test(token)) return `${lexeme(token)}${suffix}`;
  const allSigma = token.replaceAll('ς', 'σ');
  const spellings = [...new Set([token, allSigma, allSigma.replace(/σ$/u, 'ς')])];
  return `(${spellings.map((spelling) => `${lexeme(spelling)}${suffix}`).join(' | ')})`;
}

/** A word of the search: a prefix. */
const prefixQuery = (word: string): string => tokenQuery(word, ':*');

/** A phrase within one field, as FTS5 matches it within one column: its words in a row, all of one field's weight. */
function phraseQuery(tokens: string[]): string {
  if (tokens.length === 1) return tokenQuery(tokens[0]!, '');
  return `(${FIELD_WEIGHTS.map((weight) => `(${tokens.map((token) => tokenQuery(token, `:${weight}`)).join(' <-> ')})`).join(' | ')})`;
}

/** The owner's lexeme in search_vector (schema.postgres.ts): '~' and the MD5 of the sub's UTF-8, as PostgreSQL's md5() computes it. */
export function ownerLexeme(ownerSub: string): string {
  return `'~${createHash('md5').update(ownerSub, 'utf8').digest('hex')}'`;
}

/*
 * Which rows to read depends on how many match, as on SQLite, and the
 * statements say so themselves, since prepared statements run on a generic
 * plan that cannot see the search. Few matches are collected from the GIN
 * index, then sorted by date; owner_sub is checked on each row (`IS TRUE`
 * keeping the whole-table owner index out of it). Many are found by walking the
 * owner's bookmarks newest first (here `IS TRUE` keeps the GIN index out),
 * stopping after a page. At 100,000 bookmarks: 11 matches take 0.25 ms
 * collected against 37 ms walked; 26,000 take 0.1 ms walked against 25 ms
 * collected; they cross near 300.
 *
 * Few are collected through the words alone when few of anyone's match them
 * too. Only when others' matches are many, or the query has no word that must
 * match, does the owner's lexeme narrow them in the index, and that costs a descent of the owner's long posting tree for
 * each match: 11 matches of 100,000 bookmarks take 0.16 ms that way against
 * 0.03 ms through the words alone.
 *
 * These plans read the pages after the first, and the first page of a search asked again:
 * the first time a search is asked, its page comes with its count (countAndPage).
 */
const PG_FEW_MAX = 300;
const PG_FEW_MAX_SQL = sql.raw(String(PG_FEW_MAX));
/**
 * Up to this many of the owner's matches, once collected (ids and dates) to be counted, are
 * sorted for a page rather than walked by date: 1,000 sort in about 0.2 ms, and the API's exact
 * counts of 60,000 would take a few ms to sort where the walk takes 0.1.
 */
const PG_SORT_OWNED_MAX_SQL = sql.raw('1000');

/** Tag filters for a search by tags alone, through the GIN index on the tags array. */
const PG_TAG_FILTERS = sql`
  AND string_to_array(bookmarks.tags, ' ') @> ${param('tags')}::text[]
  AND NOT (string_to_array(bookmarks.tags, ' ') && ${param('excludedTags')}::text[])`;
/** The same beside words: checked on the rows the words found (`IS TRUE` keeps the tags index out of it). */
const PG_TAG_FILTERS_ON_ROWS = sql`
  AND (string_to_array(bookmarks.tags, ' ') @> ${param('tags')}::text[]) IS TRUE
  AND NOT (string_to_array(bookmarks.tags, ' ') && ${param('excludedTags')}::text[])`;
/*
 * The tsqueries are scalar subqueries, so each statement builds them once (an InitPlan): the
 * generic plan of a prepared statement cannot fold to_tsquery of a parameter, and written inline
 * it ran again for every row a walk by date checked (4.9 ms for the 2,552 rows read to find a page
 * of "backup", 1.2 ms built once).
 */
const PG_OWNER_AND_WORDS = sql`(SELECT ${param('ownerLexeme')}::tsquery && to_tsquery('bookmarks_search', ${param('tsquery')}))`;
const PG_WORDS = sql`(SELECT to_tsquery('bookmarks_search', ${param('tsquery')}))`;
/** The owner's matches through the GIN index: their lexeme and the search, owner_sub checked on each row found. */
const PG_OWNED_MATCHES = sql`bookmarks.search_vector @@ ${PG_OWNER_AND_WORDS}
  AND (bookmarks.owner_sub = ${param('owner')}) IS TRUE`;
/** Anyone's matches through the GIN index, by the words alone, owner_sub checked on each row found. */
const PG_WORD_MATCHES = sql`bookmarks.search_vector @@ ${PG_WORDS}
  AND (bookmarks.owner_sub = ${param('owner')}) IS TRUE`;
/**
 * The owner's matches checked row by row, as the walk by date reads them: the same tsquery as
 * PG_OWNED_MATCHES, so that a search whose every word the parser drops (an empty tsquery, as
 * for "①") finds all of the owner's bookmarks on every page, as collected ones do.
 */
const PG_MATCHES_WITHOUT_INDEX = sql`AND (bookmarks.search_vector @@ ${PG_OWNER_AND_WORDS}) IS TRUE`;

/** Few matches, collected by `matches` and then sorted: one page of them after the cursor. */
const pgFewMatching = (matches: ReturnType<typeof sql>, tagFilters: ReturnType<typeof sql>) => sql`WITH matches AS MATERIALIZED (
      SELECT ${QUALIFIED_BOOKMARK_COLUMNS} FROM bookmarks WHERE ${matches} ${tagFilters})
    SELECT * FROM matches WHERE ("createdAt", id) < (${param('beforeCreatedAt')}, ${param('beforeId')})
    ORDER BY "createdAt" DESC, id DESC LIMIT ${param('limit')}`;

/** The statements that read matches, without tag filters or with them: each has one plan that suits it. */
const pgMatchPlans = (tagFilters: ReturnType<typeof sql>) => ({
  manyMatching: byDate(sql`${PG_MATCHES_WITHOUT_INDEX} ${tagFilters}`),
  fewMatching: pgFewMatching(PG_OWNED_MATCHES, tagFilters),
  fewMatchingByWords: pgFewMatching(PG_WORD_MATCHES, tagFilters),
  /**
   * A search's first count and its first page in one statement, one evaluation of the GIN
   * index and one round trip (a count and then a page statement took two of each): the
   * owner's matches are collected, up to `countLimit` (NULL: no limit), and counted; when
   * that is all of them, and at most PG_SORT_OWNED_MAX_SQL, their page is the newest of those,
   * else it is walked by date. Every row carries the total; when no row is on the page, one
   * row has the total and NULLs.
   */
  countAndPage: sql`WITH owned AS MATERIALIZED (
      SELECT bookmarks.id, bookmarks.created_at FROM bookmarks WHERE ${PG_OWNED_MATCHES} ${tagFilters} LIMIT ${param('countLimit')}),
    counted AS MATERIALIZED (SELECT count(*) AS total,
      (${param('countLimit')}::bigint IS NULL OR count(*) < ${param('countLimit')}::bigint) AND count(*) <= ${PG_SORT_OWNED_MAX_SQL} AS whole FROM owned)
    SELECT counted.total, page.* FROM counted LEFT JOIN LATERAL (
      (SELECT ${QUALIFIED_BOOKMARK_COLUMNS} FROM bookmarks WHERE counted.whole AND bookmarks.id IN (
        SELECT owned.id FROM owned WHERE (owned.created_at, owned.id) < (${param('beforeCreatedAt')}, ${param('beforeId')})
        ORDER BY owned.created_at DESC, owned.id DESC LIMIT ${param('limit')}))
      UNION ALL
      (SELECT ${QUALIFIED_BOOKMARK_COLUMNS} FROM bookmarks WHERE NOT counted.whole AND bookmarks.owner_sub = ${param('owner')} AND ${BEFORE_CURSOR}
        ${PG_MATCHES_WITHOUT_INDEX} ${tagFilters} ORDER BY bookmarks.created_at DESC, bookmarks.id DESC LIMIT ${param('limit')})
    ) AS page ON true
    ORDER BY page."createdAt" DESC, page.id DESC`,
  /**
   * How many of anyone's bookmarks match the words, up to PG_FEW_MAX + 1, when the query
   * PostgreSQL built has a word that must match (querytree: '' when the parser dropped every
   * word, 'T' for exclusions alone); else NULL. GIN is read by bitmap, so this collects all of
   * anyone's matches before the LIMIT: a few ms when others' are many.
   */
  anyoneMatching: sql`SELECT CASE WHEN querytree(to_tsquery('bookmarks_search', ${param('tsquery')})) NOT IN ('', 'T') THEN (
      SELECT count(*) FROM (SELECT 1 FROM bookmarks WHERE bookmarks.search_vector @@ ${PG_WORDS}
        LIMIT ${PG_FEW_MAX_SQL} + 1) AS anyones) END AS anyone`,
});

const postgres = {
  newestTagged: byDate(PG_TAG_FILTERS),
  countTagged: sql`SELECT count(*) AS total FROM (SELECT 1 FROM bookmarks WHERE bookmarks.owner_sub = ${param('owner')} ${PG_TAG_FILTERS}
    LIMIT ${param('countLimit')}) AS matches`,
  untagged: pgMatchPlans(sql``),
  tagged: pgMatchPlans(PG_TAG_FILTERS_ON_ROWS),
};
/** For the tests that check which plan a search took. */
export { postgres as postgresSearchStatements };

/**
 * PostgreSQL totals remembered per owner and data version (owner_versions,
 * moved by a trigger on every write, by any replica): a version read from the
 * database at each search, so no total outlives a write made anywhere (totals of
 * older versions are never asked for again, and leave as the map fills).
 */
const pgTotals = new WeakMap<Db, Map<string, Promise<PgCounted>>>();

interface PgCounted {
  total: number;
  /**
   * Anyone's matches of the words (anyoneMatching), asked once, by the first request that reads
   * a page of the owner's few matches by itself: null when the words cannot be collected alone.
   * It only picks a plan, and both plans give the same rows: when others' writes (which do not
   * move the owner's version) leave it stale, that can cost time, never a wrong answer.
   */
  anyone?: Promise<number | null>;
}

/** Anyone's matches of the search's words, counted once for its remembered total (a count that failed is asked again). */
function anyoneMatching(db: Db, counted: PgCounted, statement: ReturnType<typeof sql>, tsquery: string): Promise<number | null> {
  if (!counted.anyone) {
    const anyone = db.get<{ anyone: number | null }>(statement, { tsquery }).then((row) => row!.anyone);
    counted.anyone = anyone;
    anyone.catch(() => {
      if (counted.anyone === anyone) delete counted.anyone;
    });
  }
  return counted.anyone;
}

/** `version`: the owner's data version if the request has read it already. */
async function postgresTotal(db: Db, ownerSub: string, version: number | null | undefined, key: string, count: () => Promise<PgCounted>): Promise<PgCounted> {
  let totals = pgTotals.get(db);
  if (!totals) pgTotals.set(db, (totals = new Map()));
  return countOnce(totals, `${ownerSub}\0${version ?? (await ownerVersion(db, ownerSub))}\0${key}`, count, REMEMBERED_TOTALS_MAX);
}

async function searchPostgres(
  db: Db,
  ownerSub: string,
  terms: SearchTerms,
  after: Cursor | null,
  limit: number,
  knownVersion: number | null | undefined,
  counting: Counting,
): Promise<BookmarkPage> {
  const tsquery = toTsquery(terms);
  const tagged = isTagged(terms);
  const tags = tagged ? { tags: terms.tags, excludedTags: terms.excludedTags } : {};
  const matching = { owner: ownerSub, ...tags, tsquery, ownerLexeme: ownerLexeme(ownerSub) };
  const plans = tagged ? postgres.tagged : postgres.untagged;
  const onlyTag = onlyOneTag(terms);
  const counted = async (statement: ReturnType<typeof sql>, params: Record<string, unknown>): Promise<PgCounted> => ({
    total: (await db.get<{ total: number }>(statement, params))!.total,
  });
  // Only counts of matches stop at the limit (and are remembered under it); the collection's size and a single tag's count are exact.
  const countLimit = counting.limit;
  const countsMatches = onlyTag === null && (tsquery !== null || tagged);
  const key = JSON.stringify([tsquery, terms.tags, terms.excludedTags, countsMatches ? countLimit : null]);
  const page = { limit: limit + 1, ...cursorParams(after) };
  // The request that counts a search's words reads its page in the same statement; the others wait for that count.
  let pageWithCount: BookmarkRow[] | undefined;
  const countWithPage = async (): Promise<PgCounted> => {
    const rows = await db.all<BookmarkRow & { total: number }>(plans.countAndPage, { ...page, ...matching, countLimit });
    // Bookmarks carry their own columns only: the total goes.
    pageWithCount = rows.filter((row) => row.id !== null).map(({ total: _total, ...row }) => row);
    return { total: rows[0]!.total };
  };
  let total: number;
  let words: PgCounted | null = null;
  // A tag's count is one row of tag_counts, but on PostgreSQL a round trip of its own: remembered as the other totals are
  // where the request has read the owner's version already (reading it here would be a round trip too).
  const countTag = async (tag: string): Promise<PgCounted> => ({ total: await countTagged(db, ownerSub, tag) });
  if (onlyTag !== null) ({ total } = typeof knownVersion === 'number' ? await postgresTotal(db, ownerSub, knownVersion, key, () => countTag(onlyTag)) : await countTag(onlyTag));
  else if (tsquery !== null) ({ total } = words = await postgresTotal(db, ownerSub, knownVersion, key, countWithPage));
  else if (tagged) ({ total } = await postgresTotal(db, ownerSub, knownVersion, key, () => counted(postgres.countTagged, { owner: ownerSub, ...tags, countLimit })));
  else ({ total } = await postgresTotal(db, ownerSub, knownVersion, key, () => counted(countOwned, { owner: ownerSub })));
  if (total === 0) return EMPTY_PAGE;
  const pageTotal = countsMatches ? countedMatches(total, counting) : exactly(total);
  if (pageWithCount) return toPage(pageWithCount, pageTotal, limit);
  let rows: BookmarkRow[];
  if (tsquery === null) rows = await db.all<BookmarkRow>(tagged ? postgres.newestTagged : newest, { ...page, owner: ownerSub, ...tags });
  else if (total > PG_FEW_MAX) rows = await db.all<BookmarkRow>(plans.manyMatching, { ...page, ...matching });
  else {
    // A search with words: `words` is its remembered count. Anyone's count only picks between
    // plans that read the same rows: if it fails, the owner's lexeme reads them.
    const anyone = await anyoneMatching(db, words!, plans.anyoneMatching, tsquery).catch(() => null);
    rows = await db.all<BookmarkRow>(anyone !== null && anyone <= PG_FEW_MAX ? plans.fewMatchingByWords : plans.fewMatching, { ...page, ...matching });
  }
  return toPage(rows, pageTotal, limit);
}
