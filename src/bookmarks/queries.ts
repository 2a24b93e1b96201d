import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { bookmarks, tagCounts, type Bookmark } from '../db/schema.js';
import { tokenize, toFtsMatch, type SearchQuery } from './search.js';

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

const tagsColumnHas = (tag: string): SQL => sql`instr(' ' || ${bookmarks.tags} || ' ', ${` ${tag} `}) > 0`;

const hasTextTerms = (query: SearchQuery): boolean => query.words.length + query.phrases.length + query.excludedWords.length > 0;

/**
 * Up to this many matches, reading them out of the index and sorting them by
 * date is cheaper than walking the owner's bookmarks newest first until a page
 * of matches turns up (about 5 µs per match against 0.1 µs per bookmark walked:
 * the two meet near 300 matches at 100k bookmarks).
 */
const MATCH_DRIVEN_MAX = 300;

/**
 * `matchDriven` scopes the owner with a unary `+`, which keeps SQLite from
 * walking bookmarks_owner_created_idx and makes it start from the FTS matches.
 */
function searchConditions(ownerSub: string, query: SearchQuery, matchDriven = false): SQL[] {
  const conditions: SQL[] = [matchDriven ? sql`+${bookmarks.ownerSub} = ${ownerSub}` : eq(bookmarks.ownerSub, ownerSub)];
  if (hasTextTerms(query)) {
    const match = toFtsMatch(ownerSub, query);
    conditions.push(sql`${bookmarks.id} IN (SELECT rowid FROM bookmarks_fts WHERE bookmarks_fts MATCH ${match})`);
  }
  for (const tag of query.tags) conditions.push(tagsColumnHas(tag));
  for (const tag of query.excludedTags) conditions.push(sql`NOT ${tagsColumnHas(tag)}`);
  return conditions;
}

/**
 * Totals cost most of a search at 100k bookmarks (every match is read), and the
 * same total is asked for again by every dashboard load and every "Load more".
 * So totals are remembered per connection until the database changes: this
 * connection's total_changes() or, for other connections, PRAGMA data_version.
 */
interface TotalsMemo {
  version: string;
  totals: Map<string, number>;
  readVersion: () => string;
}
const MEMO_MAX_ENTRIES = 500;
const memos = new WeakMap<Db['$client'], TotalsMemo>();

function memoFor(db: Db): TotalsMemo {
  let memo = memos.get(db.$client);
  if (!memo) {
    const changes = db.$client.prepare('SELECT total_changes()').pluck();
    const dataVersion = db.$client.prepare('PRAGMA data_version').pluck();
    memo = { version: '', totals: new Map(), readVersion: () => `${changes.get()}.${dataVersion.get()}` };
    memos.set(db.$client, memo);
  }
  return memo;
}

function rememberedTotal(db: Db, key: string, count: () => number): number {
  // Inside a transaction a total could include writes that are later rolled back.
  if (db.$client.inTransaction) return count();
  const memo = memoFor(db);
  const version = memo.readVersion();
  if (version !== memo.version || memo.totals.size >= MEMO_MAX_ENTRIES) {
    memo.version = version;
    memo.totals.clear();
  }
  let total = memo.totals.get(key);
  if (total === undefined) {
    total = count();
    memo.totals.set(key, total);
  }
  return total;
}

/** How many of the owner's bookmarks the text terms alone match, counted inside the index (which holds the owner). */
function countTextMatches(db: Db, ownerSub: string, query: SearchQuery): number {
  const match = toFtsMatch(ownerSub, query);
  return rememberedTotal(db, `fts\0${match}`, () =>
    db.get<{ total: number }>(sql`SELECT count(*) AS total FROM bookmarks_fts WHERE bookmarks_fts MATCH ${match}`).total,
  );
}

function countRows(db: Db, ownerSub: string, query: SearchQuery, conditions: SQL[]): number {
  return rememberedTotal(db, `rows\0${ownerSub}\0${JSON.stringify(query)}`, () => {
    const [row] = db.select({ total: sql<number>`count(*)` }).from(bookmarks).where(and(...conditions)).all();
    return row?.total ?? 0;
  });
}

const tagFilters = (query: SearchQuery): SQL[] => [
  ...query.tags.map(tagsColumnHas),
  ...query.excludedTags.map((tag) => sql`NOT ${tagsColumnHas(tag)}`),
];

/** (created_at, id) < cursor, as a row value so SQLite can range-scan bookmarks_owner_created_idx. */
const beforeCursor = (after: Cursor): SQL => sql`(${bookmarks.createdAt}, ${bookmarks.id}) < (${after.createdAt}, ${after.id})`;

type PageRows = Bookmark[];

/**
 * For many matches. Bookmarks are nearly always saved in date order, so the
 * newest matches are nearly always the highest ids, which FTS5 yields lazily
 * in rowid order: take limit + 1 of those and sort them by date. They are the
 * right page unless some lower id of the owner's is dated among them (as after
 * an import of older bookmarks); then this returns null and the caller walks
 * the owner's bookmarks by date instead.
 */
function pageFromHighestIds(db: Db, ownerSub: string, query: SearchQuery, after: Cursor | null, limit: number): PageRows | null {
  const filters = [sql`bookmarks_fts MATCH ${toFtsMatch(ownerSub, query)}`, ...tagFilters(query)];
  if (after) filters.push(beforeCursor(after));
  const candidates = db.all<{ id: number; createdAt: number }>(sql`
    SELECT ${bookmarks.id} AS id, ${bookmarks.createdAt} AS createdAt
    FROM bookmarks_fts JOIN ${bookmarks} ON ${bookmarks.id} = bookmarks_fts.rowid
    WHERE ${and(...filters)} ORDER BY bookmarks_fts.rowid DESC LIMIT ${limit + 1}`);
  if (candidates.length === 0) return [];
  if (candidates.length > limit) {
    const lowestId = candidates.at(-1)!.id;
    const oldest = candidates.reduce((a, b) => (b.createdAt < a.createdAt || (b.createdAt === a.createdAt && b.id < a.id) ? b : a));
    const outOfOrder = [
      eq(bookmarks.ownerSub, ownerSub),
      lt(bookmarks.id, lowestId),
      sql`(${bookmarks.createdAt}, ${bookmarks.id}) > (${oldest.createdAt}, ${oldest.id})`,
    ];
    if (after) outOfOrder.push(beforeCursor(after));
    if (db.select({ id: bookmarks.id }).from(bookmarks).where(and(...outOfOrder)).limit(1).get()) return null;
  }
  return db
    .select()
    .from(bookmarks)
    .where(inArray(bookmarks.id, candidates.map((candidate) => candidate.id)))
    .orderBy(desc(bookmarks.createdAt), desc(bookmarks.id))
    .all();
}

/** The general plan: the owner's bookmarks newest first, filtered by every condition. */
function pageByDate(db: Db, conditions: SQL[], after: Cursor | null, limit: number): PageRows {
  return db
    .select()
    .from(bookmarks)
    .where(and(...conditions, ...(after ? [beforeCursor(after)] : [])))
    .orderBy(desc(bookmarks.createdAt), desc(bookmarks.id))
    .limit(limit + 1)
    .all();
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

/**
 * The owner's bookmarks matching the query, newest first (by created_at, then
 * id), one page after the cursor. Text terms are counted in the index first:
 * that count is the total when there are no tag filters, and it picks the
 * cheapest way to read the page.
 */
export function searchBookmarks(
  db: Db,
  ownerSub: string,
  query: SearchQuery,
  after: Cursor | null = null,
  limit = PAGE_SIZE,
): BookmarkPage {
  const onlyTag = onlyOneTag(query);
  query = withTagWords(query);
  const textMatches = hasTextTerms(query) ? countTextMatches(db, ownerSub, query) : null;
  if (textMatches === 0) return { items: [], total: 0, next: null };
  const matchDriven = textMatches !== null && textMatches <= MATCH_DRIVEN_MAX;
  const conditions = searchConditions(ownerSub, query, matchDriven);
  const tagFiltered = query.tags.length + query.excludedTags.length > 0;
  const total =
    onlyTag !== null ? countTagged(db, ownerSub, onlyTag)
    : textMatches !== null && !tagFiltered ? textMatches
    : countRows(db, ownerSub, query, conditions);
  if (total === 0) return { items: [], total, next: null };
  const rows =
    (textMatches !== null && !matchDriven ? pageFromHighestIds(db, ownerSub, query, after, limit) : null) ??
    pageByDate(db, conditions, after, limit);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const next = rows.length > limit && last ? { createdAt: last.createdAt.getTime(), id: last.id } : null;
  return { items, total, next };
}

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
