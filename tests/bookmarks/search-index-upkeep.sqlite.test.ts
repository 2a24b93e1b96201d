import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { SEARCH_INDEX_SEGMENTS_MAX, searchIndexSegments, tidySearchIndex } from '../../src/bookmarks/search-index-upkeep.js';
import { searchBookmarks, type Cursor } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import type { Db } from '../../src/db/database.js';
import { as, importFile, openTestDb, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
const SEARCHES = ['', 'alp', 'bravo', 'cha del', '"golf hotel"', '#tag3', 'ech -#tag1', 'india -juliet', 'nothingmatches'];

/** FTS5 must find nothing wrong with the index, or this throws. */
const checkIntegrity = (db: Db) => db.run(sql`INSERT INTO bookmarks_fts(bookmarks_fts) VALUES ('integrity-check')`);

/** Every search's pages (ids) and totals, following the cursor. */
async function answers(db: Db, ownerSub: string): Promise<Record<string, { ids: number[]; totals: number[] }>> {
  const result: Record<string, { ids: number[]; totals: number[] }> = {};
  for (const text of SEARCHES) {
    const ids: number[] = [];
    const totals: number[] = [];
    let after: Cursor | null = null;
    for (let guard = 0; guard < 200; guard++) {
      const page = await searchBookmarks(db, ownerSub, parseSearch(text), after, 50);
      ids.push(...page.items.map((bookmark) => bookmark.id));
      totals.push(page.total);
      if (!page.next) break;
      after = page.next;
    }
    result[text] = { ids, totals };
  }
  return result;
}

/**
 * Bookmarks saved in many write transactions, as over months of use: each leaves FTS5
 * another segment, which it merges only level by level. At least `minRows` rows, and
 * on until the index holds more than SEARCH_INDEX_SEGMENTS_MAX segments.
 */
async function saveUntilFragmented(db: Db, minRows: number, rowsEach = 30): Promise<void> {
  for (let t = 0; t < 1000; t++) {
    if (t * rowsEach >= minRows && (await searchIndexSegments(db)) > SEARCH_INDEX_SEGMENTS_MAX) return;
    const rows: BookmarkRowValues[] = [];
    for (let r = 0; r < rowsEach; r++) {
      const i = t * rowsEach + r;
      const word = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length]!;
      rows.push({
        ownerSub: i % 5 === 0 ? 'bob' : 'alice',
        url: `https://example.com/${i}`,
        title: `${word(0)} ${word(1)} notes ${i}`,
        description: `${word(2)} ${word(3)} ${word(4)} and a longer text about ${word(5)} number ${i} so the index has pages to merge`,
        tags: [`tag${i % 4}`, word(6)],
        createdAt: new Date(1_700_000_000_000 + i * 1000),
      });
    }
    await db.transaction((tx) => insertBookmarkRows(tx, rows));
  }
  throw new Error('the index never held more segments than the limit');
}

describe('tidySearchIndex', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openTestDb();
  });
  afterEach(async () => db.close());

  it('merges a many-segment index into one, in several steps, and every search answers exactly as before', async () => {
    await saveUntilFragmented(db, 3000);
    const segments = await searchIndexSegments(db);
    expect(segments).toBeGreaterThan(SEARCH_INDEX_SEGMENTS_MAX);
    const before = { alice: await answers(db, 'alice'), bob: await answers(db, 'bob') };
    expect(before.alice['alp']!.ids.length).toBeGreaterThan(100);

    const report = await tidySearchIndex(db);
    expect(report).toEqual({ segmentsBefore: segments, segmentsAfter: 1, steps: expect.any(Number) });
    // Small steps: the event loop is given back between them.
    expect(report!.steps).toBeGreaterThan(1);
    await checkIntegrity(db);
    expect({ alice: await answers(db, 'alice'), bob: await answers(db, 'bob') }).toEqual(before);
  });

  it('leaves an index of few segments alone', async () => {
    for (let i = 0; i < 3; i++) await setupBookmark(db, 'alice', { title: `Few ${i}` });
    const segments = await searchIndexSegments(db);
    expect(segments).toBeLessThanOrEqual(SEARCH_INDEX_SEGMENTS_MAX);
    expect(await tidySearchIndex(db)).toEqual({ segmentsBefore: segments, segmentsAfter: segments, steps: 0 });
  });

  it('keeps the bookmarks saved between its steps, and they are found', async () => {
    await saveUntilFragmented(db, 3000);
    const tidying = tidySearchIndex(db);
    const saved = [];
    for (let i = 0; i < 5; i++) saved.push((await setupBookmark(db, 'alice', { title: `Zeppelin flight ${i}`, url: `https://zeppelin.example/${i}` })).id);
    const report = await tidying;
    expect(report!.steps).toBeGreaterThan(1);
    await checkIntegrity(db);
    const found = await searchBookmarks(db, 'alice', parseSearch('zeppel'));
    expect(found.items.map((bookmark) => bookmark.id).sort()).toEqual(saved.sort());
    expect(found.total).toBe(5);
  });

  it('stops between steps when asked, and the next run finishes the merge', async () => {
    await saveUntilFragmented(db, 3000);
    const before = await answers(db, 'alice');
    let asked = 0;
    const stopped = await tidySearchIndex(db, { stopping: () => asked++ >= 1 });
    expect(stopped!.steps).toBe(1);
    expect(stopped!.segmentsAfter).toBeGreaterThan(1);
    // Half-merged, the index still answers everything.
    await checkIntegrity(db);
    expect(await answers(db, 'alice')).toEqual(before);

    expect((await tidySearchIndex(db))!.segmentsAfter).toBe(1);
    expect(await answers(db, 'alice')).toEqual(before);
  });
});

describe('after an import', () => {
  const ctx = useSignedInApp();

  it('the app merges the search index in the background, and the imported bookmarks are found', async () => {
    const db = ctx.app.db;
    await saveUntilFragmented(db, 100);
    expect(await searchIndexSegments(db)).toBeGreaterThan(SEARCH_INDEX_SEGMENTS_MAX);

    const entries = Array.from({ length: 30 }, (_, i) => `<DT><A HREF="https://imported.example/${i}" ADD_DATE="1700000000">Imported kestrel ${i}</A>`);
    const file = importFile(`<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n${entries.join('\n')}\n</DL><p>\n`);
    const response = await as(ctx, 'alice').post('/import', undefined, { headers: file.headers, payload: file.payload });
    expect(response.statusCode).toBe(200);
    await ctx.app.searchIndexUpkeep.settled();
    expect(await searchIndexSegments(db)).toBe(1);
    await checkIntegrity(db);

    const search = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=kestr');
    expect(search.statusCode).toBe(200);
    const titles = [...parseFragment(search.body).querySelectorAll('.card-title')].map((element) => element.textContent?.trim());
    expect(titles).toHaveLength(20);
    expect(titles.every((title) => title?.startsWith('Imported kestrel'))).toBe(true);
  });
});
