import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { mergeSearchIndex, needsMerge, SearchIndexUpkeep, searchIndexShape } from '../../src/bookmarks/search-index-upkeep.js';
import { LIST_PAGE_SIZE } from '../../src/bookmarks/routes.js';
import { searchBookmarks, type Cursor } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import type { Db } from '../../src/db/database.js';
import { as, freshDatabaseEachTest, importFile, openTestDb, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

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
 * Bookmarks stored in large write transactions, as imports store them, until the index holds
 * several large segments and a merge is due. Each row is the i-th of a fixed sequence, so two
 * databases filled alike have the same index.
 */
async function storeUntilMergeIsDue(db: Db, rowsEach = 800): Promise<void> {
  for (let t = 0; t < 50; t++) {
    if (t >= 2 && needsMerge(await searchIndexShape(db))) return;
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
  throw new Error('no merge came due');
}

describe('mergeSearchIndex', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  it('merges an index left in several large segments into one, in several steps, and every search answers exactly as before', async () => {
    await storeUntilMergeIsDue(db);
    const shape = await searchIndexShape(db);
    expect(shape.segments).toBeGreaterThan(1);
    const before = { alice: await answers(db, 'alice'), bob: await answers(db, 'bob') };
    expect(before.alice['alp']!.ids.length).toBeGreaterThan(100);

    const report = (await mergeSearchIndex(db))!;
    expect(report.before).toEqual(shape);
    expect(report.after.segments).toBe(1);
    // Small steps: the event loop is given back between them.
    expect(report.steps).toBeGreaterThan(1);
    await checkIntegrity(db);
    expect({ alice: await answers(db, 'alice'), bob: await answers(db, 'bob') }).toEqual(before);
  });

  it('leaves alone an index whose other segments are small, as a few saves after a merge leave it', async () => {
    await storeUntilMergeIsDue(db);
    await mergeSearchIndex(db);
    for (let i = 0; i < 5; i++) await setupBookmark(db, 'alice', { title: `Saved later ${i}`, url: `https://later.example/${i}` });
    const shape = await searchIndexShape(db);
    expect(shape.segments).toBeGreaterThan(1);
    expect(needsMerge(shape)).toBe(false);
    expect(await mergeSearchIndex(db)).toEqual({ before: shape, after: shape, steps: 0 });
  });

  it('finishes in as many steps while bookmarks are saved between them, and keeps and finds those bookmarks', async () => {
    // The same index, merged with nothing saved meanwhile: how many steps the merge takes.
    const quiet = await openTestDb();
    let quietSteps: number;
    try {
      await storeUntilMergeIsDue(quiet);
      quietSteps = (await mergeSearchIndex(quiet))!.steps;
    } finally {
      await quiet.close();
    }
    await storeUntilMergeIsDue(db);
    let stepsAsked = 0;
    let finished = false;
    const merging = mergeSearchIndex(db, { stopping: () => (stepsAsked++, false) }).finally(() => (finished = true));
    const savedAtStep: number[] = [];
    const saved: number[] = [];
    // Saves as requests bring them, a few milliseconds apart, while the merge runs (30 at most,
    // so that a merge that started over with every save could not earn itself more steps).
    for (let i = 0; !finished && i < 30; i++) {
      saved.push((await setupBookmark(db, 'alice', { title: `Zeppelin flight ${i}`, url: `https://zeppelin.example/${i}` })).id);
      savedAtStep.push(stepsAsked);
      await sleep(2);
    }
    const report = (await merging)!;
    expect(savedAtStep.some((step) => step > 0 && step < report.steps), `saved at steps ${savedAtStep.join(' ')} of ${report.steps}`).toBe(true);
    // The merge never starts over: the quiet run's steps, plus at most the steps that fold the
    // saves' own small segments together once four of them share a level (a step merges at
    // least four, and what it writes can be merged again: fewer than one step per three saves).
    expect(report.steps).toBeLessThanOrEqual(quietSteps + Math.ceil(saved.length / 3));
    await checkIntegrity(db);
    const found = await searchBookmarks(db, 'alice', parseSearch('zeppel'), null, 1000);
    expect(found.items.map((bookmark) => bookmark.id).sort()).toEqual(saved.sort());
    expect(found.total).toBe(saved.length);
  });

  it('stops between steps when asked, and the next run finishes the merge', async () => {
    await storeUntilMergeIsDue(db);
    const before = await answers(db, 'alice');
    let asked = 0;
    const stopped = (await mergeSearchIndex(db, { stopping: () => asked++ >= 1 }))!;
    expect(stopped.steps).toBe(1);
    expect(stopped.after.segments).toBeGreaterThan(1);
    // Half-merged, the index still answers everything.
    await checkIntegrity(db);
    expect(await answers(db, 'alice')).toEqual(before);

    expect((await mergeSearchIndex(db))!.after.segments).toBe(1);
    expect(await answers(db, 'alice')).toEqual(before);
  });
});

describe('after an import', () => {
  const ctx = useSignedInApp();

  it('the app merges the search index in the background, and the imported bookmarks are found', async () => {
    const db = ctx.app.db;
    await storeUntilMergeIsDue(db);

    const entries = Array.from({ length: 30 }, (_, i) => `<DT><A HREF="https://imported.example/${i}" ADD_DATE="1700000000">Imported kestrel ${i}</A>`);
    const file = importFile(`<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n${entries.join('\n')}\n</DL><p>\n`);
    const response = await as(ctx, 'alice').post('/import', undefined, { headers: file.headers, payload: file.payload });
    expect(response.statusCode).toBe(200);
    await ctx.app.searchIndexUpkeep.settled();
    expect((await searchIndexShape(db)).segments).toBe(1);
    await checkIntegrity(db);

    const search = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=kestr');
    expect(search.statusCode).toBe(200);
    const titles = [...parseFragment(search.body).querySelectorAll('.card-title')].map((element) => element.textContent?.trim());
    expect(titles).toHaveLength(LIST_PAGE_SIZE);
    expect(titles.every((title) => title?.startsWith('Imported kestrel'))).toBe(true);
  });

  it('closed, it takes no further step, and asks for no more runs', async () => {
    const db = ctx.app.db;
    await storeUntilMergeIsDue(db);
    const before = await searchIndexShape(db);
    const upkeep = new SearchIndexUpkeep(db, ctx.app.log);
    // Closed before its first step: the run asked for stops there.
    upkeep.request();
    await upkeep.close();
    upkeep.request();
    await upkeep.settled();
    expect(await searchIndexShape(db)).toEqual(before);
    expect(needsMerge(before)).toBe(true);
  });
});
