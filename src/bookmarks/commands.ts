import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql, type SQL } from 'drizzle-orm';
import { param, type Db, type Queryable } from '../db/database.js';
import { oneWriteAtATime } from '../db/owner-writes.js';
import { BOOKMARK_COLUMNS, tagsToColumn, toBookmark, type Bookmark, type BookmarkRow } from './bookmark.js';
import { findBookmark, findDuplicate } from './queries.js';
import { insertAndIndexInBulk } from './search-index-upkeep.js';
import { rememberDeleted, takeDeleted } from './undo.js';
import { sameUrlKey } from './urls.js';
import { keptTags, LIMITS, validateBookmark, type ValidBookmark } from './validation.js';

/* Writes to the owner's bookmarks. The triggers keep the search index and tag_counts in step for every one. */

const insert = sql`INSERT INTO bookmarks (owner_sub, url, title, description, tags, created_at)
  VALUES (${param('owner')}, ${param('url')}, ${param('title')}, ${param('description')}, ${param('tags')}, ${param('createdAt')})
  RETURNING ${BOOKMARK_COLUMNS}`;

/** A save either stores the bookmark or finds the owner's bookmark for the same page. */
export type SaveResult = { saved: Bookmark } | { duplicate: Bookmark };

/** Stores a new bookmark unless the owner has saved the same page. */
export async function saveNewBookmark(db: Db, ownerSub: string, input: ValidBookmark): Promise<SaveResult> {
  return oneWriteAtATime(db, ownerSub, async (tx) => {
    const duplicate = await findDuplicate(tx, ownerSub, input.url);
    return duplicate ? { duplicate } : { saved: await createBookmark(tx, ownerSub, input) };
  });
}

/** Within the owner's write: the bookmark's fields replaced unless its new address is another of the owner's; undefined when there is no such bookmark. */
async function writeChanges(tx: Queryable, ownerSub: string, id: number, input: ValidBookmark): Promise<SaveResult | undefined> {
  const duplicate = await findDuplicate(tx, ownerSub, input.url, id);
  if (duplicate) return { duplicate };
  const saved = await updateBookmark(tx, ownerSub, id, input);
  return saved && { saved };
}

/** Replaces the bookmark's fields unless its new address is another of the owner's; undefined when the owner has no such bookmark. */
export async function saveBookmarkChanges(db: Db, ownerSub: string, id: number, input: ValidBookmark): Promise<SaveResult | undefined> {
  return oneWriteAtATime(db, ownerSub, (tx) => writeChanges(tx, ownerSub, id, input));
}

/**
 * Changes the owner's bookmark `id` to what `change` makes of it as stored, read again inside the
 * owner's write, so that what `change` keeps is what another write stored meanwhile (an API PATCH of
 * the title alone must not put back the tags it read before another worker changed them). `change`
 * may throw to refuse, and nothing is written. Undefined when the bookmark is gone.
 */
export async function changeBookmark(
  db: Db,
  ownerSub: string,
  id: number,
  change: (stored: Bookmark) => ValidBookmark,
): Promise<(SaveResult & { before: Bookmark }) | undefined> {
  return oneWriteAtATime(db, ownerSub, async (tx) => {
    const before = await findBookmark(tx, ownerSub, id);
    if (!before) return undefined;
    const written = await writeChanges(tx, ownerSub, id, change(before));
    return written && { ...written, before };
  });
}

/** Stores the bookmark as given, with no duplicate check: for data known to hold none (tests, the benchmark's seed). Users' saves go through saveNewBookmark. */
export async function createBookmark(db: Queryable, ownerSub: string, input: ValidBookmark, createdAt = new Date()): Promise<Bookmark> {
  const row = await db.get<BookmarkRow>(insert, {
    owner: ownerSub,
    url: input.url,
    title: input.title,
    description: input.description ?? '',
    tags: tagsToColumn(input.tags),
    createdAt,
  });
  return toBookmark(row!);
}

const deleteOwned = sql`DELETE FROM bookmarks WHERE owner_sub = ${param('owner')} AND id = ${param('id')} RETURNING ${BOOKMARK_COLUMNS}`;

/**
 * Returns the deleted bookmark, or undefined when the owner has no such bookmark (missing or someone else's).
 * One of the owner's writes, as saves are: its triggers update the owner's tag counts and data version,
 * and on PostgreSQL two deletes (or a delete and an import) taking those rows in different orders deadlocked.
 */
export async function deleteBookmark(db: Db, ownerSub: string, id: number): Promise<Bookmark | undefined> {
  const row = await oneWriteAtATime(db, ownerSub, (tx) => tx.get<BookmarkRow>(deleteOwned, { owner: ownerSub, id }));
  return row && toBookmark(row);
}

/**
 * Deletes the owner's bookmark and keeps it for Undo in the same write, so a delete whose Undo
 * could not be kept (pending_undos locked, the database lost) deletes nothing: a 503 to try again,
 * never a bookmark gone with no Undo. Undefined when the owner has no such bookmark.
 */
export async function deleteForUndo(db: Db, ownerSub: string, id: number): Promise<{ deleted: Bookmark; token: string } | undefined> {
  return oneWriteAtATime(db, ownerSub, async (tx) => {
    const row = await tx.get<BookmarkRow>(deleteOwned, { owner: ownerSub, id });
    if (!row) return undefined;
    const deleted = toBookmark(row);
    return { deleted, token: await rememberDeleted(tx, deleted) };
  });
}

const updateOwned = sql`UPDATE bookmarks SET url = ${param('url')}, title = ${param('title')}, description = ${param('description')}, tags = ${param('tags')}
  WHERE owner_sub = ${param('owner')} AND id = ${param('id')} RETURNING ${BOOKMARK_COLUMNS}`;

/** Replaces url, title, description and tags, with no duplicate check (saveBookmarkChanges has one); undefined when the owner has no such bookmark. */
export async function updateBookmark(db: Queryable, ownerSub: string, id: number, input: ValidBookmark): Promise<Bookmark | undefined> {
  const row = await db.get<BookmarkRow>(updateOwned, {
    owner: ownerSub,
    id,
    url: input.url,
    title: input.title,
    description: input.description ?? '',
    tags: tagsToColumn(input.tags),
  });
  return row && toBookmark(row);
}

const insertWithId = sql`INSERT INTO bookmarks (id, owner_sub, url, title, description, tags, created_at)
  VALUES (${param('id')}, ${param('owner')}, ${param('url')}, ${param('title')}, ${param('description')}, ${param('tags')}, ${param('createdAt')})
  ON CONFLICT DO NOTHING RETURNING ${BOOKMARK_COLUMNS}`;

export type RestoreResult = { restored: Bookmark } | { duplicate: Bookmark };

/**
 * Puts the owner's deleted bookmark back exactly as it was (same id, tags and
 * dates), unless the owner has saved the same address again since: like every
 * other writer, a restore never makes a second bookmark for one page.
 */
export async function restoreBookmark(db: Db, ownerSub: string, bookmark: Bookmark): Promise<RestoreResult> {
  return oneWriteAtATime(db, ownerSub, (tx) => restoreWithin(tx, ownerSub, bookmark));
}

/**
 * Undo: takes the pending undo behind `token` and restores its bookmark, in one of the owner's
 * writes, so a restore that fails (waiting out another replica's import past the lock timeout,
 * the database lost) leaves the Undo to try again; undefined when there is none to take.
 */
export async function restoreDeleted(db: Db, ownerSub: string, token: string): Promise<RestoreResult | undefined> {
  return oneWriteAtATime(db, ownerSub, async (tx) => {
    const bookmark = await takeDeleted(tx, ownerSub, token);
    return bookmark && restoreWithin(tx, ownerSub, bookmark);
  });
}

async function restoreWithin(tx: Queryable, ownerSub: string, bookmark: Bookmark): Promise<RestoreResult> {
  const duplicate = await findDuplicate(tx, ownerSub, bookmark.url);
  if (duplicate) return { duplicate };
  const row = await tx.get<BookmarkRow>(insertWithId, {
    id: bookmark.id,
    owner: ownerSub,
    url: bookmark.url,
    title: bookmark.title,
    description: bookmark.description,
    tags: tagsToColumn(bookmark.tags),
    createdAt: bookmark.createdAt,
  });
  // The id is taken only if the very same bookmark is already back (a second restore): it is restored.
  return { restored: row ? toBookmark(row) : bookmark };
}

/** A bookmark ready to store: validated, de-duplicated, with its owner. */
export interface BookmarkRowValues {
  ownerSub: string;
  url: string;
  title: string;
  /** Absent is empty. */
  description?: string;
  tags: string[];
  createdAt: Date;
}

/** Why an entry of a file was not imported. */
export type SkipReason = 'bookmarklet' | 'not a web address' | 'invalid address';

export interface ImportReport {
  imported: number;
  duplicates: number;
  skipped: { reason: SkipReason; count: number }[];
}

export interface ImportCandidate {
  url: string;
  title: string;
  /** The file's <DD> text; absent or empty when there is none. */
  description?: string;
  tags: string[];
  createdAt: Date | null;
}

const CANDIDATES_PER_YIELD = 1_000;
/**
 * Text an import checks between turns of the event loop, each bookmark counting 100 characters
 * at least: 1,000 ordinary bookmarks, fewer long ones (twenty long tags of their own, say, which
 * held everyone for 60 ms a turn).
 */
const CHECKED_TEXT_PER_YIELD = 100_000;
/** The owner's addresses an import reads at once: read all in one go, 100,000 of them held everyone for 135 ms. */
const OWNED_URLS_PER_READ = 5_000;

// Through the (owner, url) index, in its own order: the keyset compares as the index sorts, on either engine.
const ownedUrlsAfter = sql`SELECT url FROM bookmarks WHERE owner_sub = ${param('owner')} AND url > ${param('after')} ORDER BY url LIMIT ${param('limit')}`;

/** What every address the owner saved is the same page as (sameUrlKey), read a batch at a time. */
async function ownedUrlKeys(tx: Queryable, ownerSub: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (let after = ''; ; await nextTurn()) {
    const rows = await tx.all<{ url: string }>(ownedUrlsAfter, { owner: ownerSub, after, limit: OWNED_URLS_PER_READ });
    for (const row of rows) keys.add(sameUrlKey(row.url));
    if (rows.length < OWNED_URLS_PER_READ) return keys;
    after = rows.at(-1)!.url;
  }
}

/**
 * Stores many bookmarks in one transaction: all or nothing. Entries are
 * checked with the same rules as the form; duplicates (already saved, or
 * twice in the file) are counted and skipped. Over-long titles and descriptions are cut and
 * extra tags dropped rather than losing the whole bookmark.
 */
export async function importBookmarks(db: Db, ownerSub: string, candidates: readonly ImportCandidate[], now = new Date()): Promise<ImportReport> {
  const skipped = new Map<SkipReason, number>();
  const skip = (reason: SkipReason): void => {
    skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  };
  const valid: ValidBookmark[] = [];
  const dates: (Date | null)[] = [];
  // A file's entries share their tag lists (toImportCandidates), one per folder nearly always:
  // each list is checked once and kept once, however many bookmarks it tags.
  const checkedTags = new Map<readonly string[], string[]>();
  let checkedText = 0;
  for (const candidate of candidates) {
    // Checking 200,000 entries takes about a second: others' requests are answered in between.
    if (checkedText >= CHECKED_TEXT_PER_YIELD) {
      checkedText = 0;
      await nextTurn();
    }
    checkedText += Math.max(100, candidate.url.length + candidate.title.length + (candidate.description?.length ?? 0));
    if (/^javascript:/i.test(candidate.url.trim())) {
      skip('bookmarklet');
      continue;
    }
    let tags = checkedTags.get(candidate.tags);
    if (!tags) {
      const text = candidate.tags.join(' ');
      checkedText += text.length;
      tags = keptTags(text);
      checkedTags.set(candidate.tags, tags);
    }
    const title = [...candidate.title.trim()].slice(0, LIMITS.titleLength).join('');
    const description = [...(candidate.description ?? '').trim()].slice(0, LIMITS.descriptionLength).join('');
    // The tags are checked above (keptTags: parseTags and the limits validateBookmark applies), once per list.
    const result = validateBookmark({ url: candidate.url, title, description, tags: '' });
    if (!result.ok) {
      skip(/^[a-z][a-z0-9+.-]*:/i.test(candidate.url.trim()) && !/^https?:/i.test(candidate.url.trim()) ? 'not a web address' : 'invalid address');
      continue;
    }
    valid.push({ ...result.value, tags });
    dates.push(candidate.createdAt);
  }
  const { imported, duplicates } = await oneWriteAtATime(db, ownerSub, async (tx) => {
    const known = await ownedUrlKeys(tx, ownerSub);
    const rows: BookmarkRowValues[] = [];
    let duplicates = 0;
    for (const [index, bookmark] of valid.entries()) {
      if (index % CANDIDATES_PER_YIELD === CANDIDATES_PER_YIELD - 1) await nextTurn();
      const key = sameUrlKey(bookmark.url);
      if (known.has(key)) {
        duplicates++;
        continue;
      }
      known.add(key);
      rows.push({ ownerSub, url: bookmark.url, title: bookmark.title, description: bookmark.description ?? '', tags: bookmark.tags, createdAt: dates[index] ?? now });
    }
    // Oldest first, so ids follow dates as they do for bookmarks saved one by one: searches
    // of an owner whose dates are in id order skip a check (owner_dates_out_of_order, schema.ts).
    rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    await insertBookmarkRows(tx, rows);
    return { imported: rows.length, duplicates };
  });
  return { imported, duplicates, skipped: [...skipped].map(([reason, count]) => ({ reason, count })) };
}

/** SQLite: rows per multi-row INSERT. FTS5 flushes its pending terms at the end of every statement, so one row per statement makes a large import about five times slower. */
const SQLITE_ROWS_PER_INSERT = 200;
/**
 * SQLite: characters of text per INSERT, whose time is mostly FTS5 indexing them: 200 ordinary
 * bookmarks hold 10,000-30,000. Fewer rows go in one when each holds more (twenty long tags,
 * say), or three statements held everyone for 60-80 ms instead of about 20.
 */
const SQLITE_TEXT_PER_INSERT = 40_000;
/** PostgreSQL: rows per INSERT … SELECT FROM unnest(arrays), one statement whatever the count. */
const POSTGRES_ROWS_PER_INSERT = 5_000;
/** Statements between yields to the event loop, so a long import leaves time for everyone else's requests. */
const INSERTS_PER_YIELD = 3;

const insertFromArrays = sql`INSERT INTO bookmarks (owner_sub, url, title, description, tags, created_at)
  SELECT * FROM unnest(${param('owners')}::text[], ${param('urls')}::text[], ${param('titles')}::text[], ${param('descriptions')}::text[],
    ${param('tags')}::text[], ${param('createdAts')}::bigint[])`;

const textOf = (row: BookmarkRowValues): number => row.url.length + row.title.length + (row.description?.length ?? 0) + row.tags.reduce((sum, tag) => sum + tag.length + 1, 0);

/** Where the SQLite INSERT that begins at `start` ends: SQLITE_ROWS_PER_INSERT rows, or fewer holding SQLITE_TEXT_PER_INSERT characters (always one at least). */
function sqliteChunkEnd(rows: readonly BookmarkRowValues[], start: number): number {
  let end = start + 1;
  for (let text = textOf(rows[start]!); end < rows.length && end - start < SQLITE_ROWS_PER_INSERT; end++) {
    text += textOf(rows[end]!);
    if (text > SQLITE_TEXT_PER_INSERT) break;
  }
  return end;
}

function sqliteInsert(rows: readonly BookmarkRowValues[]): SQL {
  const values = rows.map((row) => sql`(${row.ownerSub}, ${row.url}, ${row.title}, ${row.description ?? ''}, ${tagsToColumn(row.tags)}, ${row.createdAt.getTime()})`);
  return sql`INSERT INTO bookmarks (owner_sub, url, title, description, tags, created_at) VALUES ${sql.join(values, sql`, `)}`;
}

/**
 * Inserts many validated rows, each naming its owner, in as few statements as the engine allows,
 * inside `tx`, which must be a transaction. The import and the benchmark's seed use it.
 */
export async function insertBookmarkRows(tx: Queryable, rows: readonly BookmarkRowValues[]): Promise<void> {
  for (let start = 0, statements = 0; start < rows.length; statements++) {
    const end = tx.engine === 'sqlite' ? sqliteChunkEnd(rows, start) : Math.min(start + POSTGRES_ROWS_PER_INSERT, rows.length);
    const chunk = rows.slice(start, end);
    start = end;
    if (tx.engine === 'sqlite') await insertAndIndexInBulk(tx, sqliteInsert(chunk));
    else {
      await tx.run(insertFromArrays, {
        owners: chunk.map((row) => row.ownerSub),
        urls: chunk.map((row) => row.url),
        titles: chunk.map((row) => row.title),
        descriptions: chunk.map((row) => row.description ?? ''),
        tags: chunk.map((row) => tagsToColumn(row.tags)),
        createdAts: chunk.map((row) => row.createdAt.getTime()),
      });
    }
    if (statements % INSERTS_PER_YIELD === INSERTS_PER_YIELD - 1) await nextTurn();
  }
}
