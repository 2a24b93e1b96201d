import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deleteBookmark, insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { searchBookmarks, type Cursor } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { openDb } from '../../src/db/client.js';
import type { Db, Statement } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { freshDatabaseEachTest, newBlankDatabase, recordingReads, setupBookmark, type RecordedRead } from '../helpers.js';

/**
 * On SQLite, searchBookmarks reads a page in one of two ways, by how many
 * bookmarks the words match (few: from the index, then sorted; many: newest
 * first until a page is full); PostgreSQL's planner makes the same choice.
 * Every way must give the same order, pages and totals.
 */
describe('searchBookmarks with few and with many matches', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  /** Every page, following the cursor, with the total each page reported. */
  async function allPages(ownerSub: string, text: string, limit = 50): Promise<{ ids: number[]; totals: number[] }> {
    const ids: number[] = [];
    const totals: number[] = [];
    let after: Cursor | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page = await searchBookmarks(db, ownerSub, parseSearch(text), after, limit);
      ids.push(...page.items.map((b) => b.id));
      totals.push(page.total);
      if (!page.next) break;
      after = page.next;
    }
    return { ids, totals };
  }

  /**
   * Every count a statement returned (a `total` column), once per statement, of those recordingReads
   * saw: a page's answer alone would not show a count read to the end and then cut. PostgreSQL
   * reads a search's first count with its page, the total on every row.
   */
  const countsRead = (reads: RecordedRead[]): number[] =>
    reads.map((read) => read.rows[0]).flatMap((row) => (row && typeof row === 'object' && 'total' in row ? [Number(row.total)] : []));

  async function expected(ownerSub: string, keep: (title: string, tags: string) => boolean): Promise<number[]> {
    const rows = await db.all<{ id: number; title: string; tags: string }>(
      sql`SELECT id, title, tags FROM bookmarks WHERE owner_sub = ${ownerSub} ORDER BY created_at DESC, id DESC`,
    );
    return rows.filter((row) => keep(row.title, row.tags)).map((row) => row.id);
  }

  /** Many rows at once, in this order (so ids follow it), in one transaction as an import stores them. */
  const store = (rows: BookmarkRowValues[]) => db.transaction((tx) => insertBookmarkRows(tx, rows));

  // Dates along insertion order (as when saving one by one), against it (as
  // after an import), and along it with a late import of older bookmarks.
  const dateOrders = {
    along: (i: number) => 1_000_000 + Math.floor(i / 3) * 1000,
    against: (i: number) => 1_000_000 - (i % 97) * 1000,
    'along, then an import': (i: number, count: number) => (i >= count - 5 ? 500_000 + i : 1_000_000 + Math.floor(i / 3) * 1000),
  };
  it.each([
    ['many matches', 700, 'along'],
    ['many matches', 700, 'against'],
    ['many matches', 700, 'along, then an import'],
    ['few matches', 40, 'along'],
    ['few matches', 40, 'against'],
  ] as const)('%s (%i bookmarks), dates %s: newest first by date then id', async (_label, count, order) => {
    const dateOf = dateOrders[order];
    const rows: BookmarkRowValues[] = [];
    for (let i = 0; i < count; i++) {
      const tags = i % 3 === 0 ? ['keep'] : [];
      rows.push({ ownerSub: 'alice', title: `Common word ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(dateOf(i, count)) });
      rows.push({ ownerSub: 'alice', title: `Other thing ${i}`, url: `https://example.org/${i}`, tags: [], createdAt: new Date(dateOf(i, count) + 1) });
      rows.push({ ownerSub: 'bob', title: `Common word ${i}`, url: `https://example.net/${i}`, tags: [], createdAt: new Date() });
    }
    await store(rows);
    const common = await expected('alice', (title) => title.startsWith('Common'));
    expect(await allPages('alice', 'comm')).toEqual({ ids: common, totals: Array(Math.ceil(count / 50)).fill(count) });

    const tagged = await expected('alice', (title, tags) => title.startsWith('Common') && tags === 'keep');
    const withTag = await allPages('alice', 'comm #keep', 7);
    expect(withTag.ids).toEqual(tagged);
    expect(new Set(withTag.totals)).toEqual(new Set([tagged.length]));

    const excluded = await expected('alice', (title, tags) => title.startsWith('Common') && tags !== 'keep');
    expect((await allPages('alice', 'comm -#keep', 30)).ids).toEqual(excluded);
  });

  // Each plan is picked by how many rows match, in the whole index and among
  // the owner's; bob's rows carry exactly alice's words, so any plan that
  // forgot owner_sub would hand them to alice.
  it.each([
    ['few matches anywhere', 30, 30, false],
    ['few of alice’s among many of bob’s', 40, 400, false],
    ['many of alice’s', 400, 400, false],
    ['many of alice’s, older ones imported last', 400, 400, true],
    // Past a page of the highest ids, the imported ones are dated among it: all of alice's few are read instead.
    ['few of alice’s among many of bob’s, older ones imported last', 40, 400, true],
  ] as const)('%s: only alice’s bookmarks, on every page, with and without tags', async (_label, mine, theirs, lateImport) => {
    const rows: BookmarkRowValues[] = [];
    for (let i = 0; i < Math.max(mine, theirs); i++) {
      const tags = i % 2 === 0 ? ['even'] : ['odd'];
      const dated = lateImport && i >= mine - 10 ? 10_000 + i : 1_000_000 + i * 1000;
      if (i < mine) rows.push({ ownerSub: 'alice', title: `Shared words ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(dated) });
      if (i < theirs) rows.push({ ownerSub: 'bob', title: `Shared words ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(dated + 1) });
    }
    await store(rows);
    const alice = await expected('alice', () => true);
    for (const text of ['shar', 'shared words', 'sha #even', '-#odd', 'word -#odd']) {
      const want = text.includes('even') || text.includes('odd') ? await expected('alice', (_t, tags) => tags === 'even') : alice;
      const got = await allPages('alice', text, 37);
      expect(got.ids).toEqual(want);
      expect(new Set(got.totals)).toEqual(new Set([want.length]));
    }
  });

  it('finds nothing, with a zero total, when no bookmark matches', async () => {
    await setupBookmark(db, 'alice', { title: 'Something' });
    expect(await searchBookmarks(db, 'alice', parseSearch('nothing'))).toEqual({ items: [], total: 0, moreThanTotal: false, next: null });
    expect(await searchBookmarks(db, 'alice', parseSearch('something #missing'))).toEqual({ items: [], total: 0, moreThanTotal: false, next: null });
  });

  // 700 of alice's match "shared" (350 tagged #even and #++, the rest #odd), and 700 of bob's carry the same words and tags.
  async function storeShared(): Promise<void> {
    const rows: BookmarkRowValues[] = [];
    for (let i = 0; i < 700; i++) {
      const tags = i % 2 === 0 ? ['even', '++'] : ['odd'];
      rows.push({ ownerSub: 'alice', title: `Shared words ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(1_000_000 + i * 1000) });
      rows.push({ ownerSub: 'bob', title: `Shared words ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(1_000_001 + i * 1000) });
    }
    rows.push({ ownerSub: 'alice', title: 'Unrelated', url: 'https://example.com/unrelated', tags: ['even'], createdAt: new Date(5_000_000) });
    await store(rows);
  }

  it.each([
    ['words', 'shared', 700],
    ['words beside a tag', 'shar #even', 350],
    ['words and an excluded tag', 'words -#even', 350],
    ['tags alone', '#even -#odd', 351],
    ['tags that hold no word for the index', '#++ -#odd', 350],
  ] as const)('with countUpTo, counts the matches of %s up to it and says more match, and pages the same', async (_label, text, matching) => {
    await storeShared();
    // Stopped counts first: a count that stopped must not be remembered as the whole.
    const pagedIds: number[][] = [];
    for (const countUpTo of [300, matching - 1, matching, matching + 1]) {
      const ids: number[] = [];
      let after: Cursor | null = null;
      for (let guard = 0; guard < 100; guard++) {
        const page = await searchBookmarks(db, 'alice', parseSearch(text), after, 20, { countUpTo });
        const stopped = countUpTo < matching;
        expect({ total: page.total, moreThanTotal: page.moreThanTotal }).toEqual({ total: stopped ? countUpTo : matching, moreThanTotal: stopped });
        ids.push(...page.items.map((b) => b.id));
        if (!page.next) break;
        after = page.next;
      }
      pagedIds.push(ids);
    }
    const exact = await allPages('alice', text, 20);
    expect(exact.ids).toHaveLength(matching);
    expect(new Set(exact.totals)).toEqual(new Set([matching]));
    // Only the count stops: every page is there, only alice's, in the same order.
    for (const ids of pagedIds) expect(ids).toEqual(exact.ids);
  });

  it.each([
    ['counting every match', undefined, 0],
    ['counting up to 300 of 700', 300, 0],
    ['counting every match of 1,100, more than a page is sorted from', undefined, 400],
  ] as const)('a page after a cursor, asked before its search was counted (%s), is the page found once it was', async (_label, countUpTo, more) => {
    await storeShared();
    await store(Array.from({ length: more }, (_, i) => ({ ownerSub: 'alice', title: `Shared words more ${i}`, url: `https://example.com/more/${i}`, tags: [], createdAt: new Date(2_000_000 + i * 1000) })));
    for (const text of ['shared', 'shar #even', 'words -#even']) {
      const known: { after: Cursor | null; ids: number[]; total: number }[] = [];
      let after: Cursor | null = null;
      for (let guard = 0; guard < 100; guard++) {
        const page = await searchBookmarks(db, 'alice', parseSearch(text), after, 40, { countUpTo });
        known.push({ after, ids: page.items.map((b) => b.id), total: page.total });
        if (!page.next) break;
        after = page.next;
      }
      expect(known.length).toBeGreaterThan(2);
      for (const page of known) {
        // A Db object of its own remembers no total: the search is counted afresh, with this page.
        const { db: uncounted } = recordingReads(db);
        const asked = await searchBookmarks(uncounted, 'alice', parseSearch(text), page.after, 40, { countUpTo });
        expect({ after: page.after, ids: asked.items.map((b) => b.id), total: asked.total }).toEqual(page);
      }
    }
  });

  it.each(['shared', 'shar #even', 'words -#even', '#even -#odd', '#++ -#odd'])('with countUpTo, the database itself stops counting the matches of "%s" one past it', async (text) => {
    await storeShared();
    const { db: recorded, reads } = recordingReads(db);
    const page = await searchBookmarks(recorded, 'alice', parseSearch(text), null, 20, { countUpTo: 300 });
    expect(page).toMatchObject({ total: 300, moreThanTotal: true });
    const counted = countsRead(reads);
    expect(counted.length).toBeGreaterThan(0);
    expect(Math.max(...counted)).toBe(301);
  });

  it.each([
    ['#even', 351, []],
    ['words -#even', 350, [350]],
  ] as const)('counting exactly, a search of "%s" reads only its total\'s count to the end (SQLite counts its words only as far as picking the plan needs)', async (text, matching, pastPlan) => {
    await storeShared();
    const { db: recorded, reads } = recordingReads(db);
    expect((await searchBookmarks(recorded, 'alice', parseSearch(text))).total).toBe(matching);
    // A single tag's total comes from tag_counts; with tags the total is its own count: only that one runs to the end.
    expect(countsRead(reads).filter((count) => count > 301)).toEqual(pastPlan);
  });

  it('with countUpTo, still gives the exact size of the collection and of a single tag', async () => {
    await storeShared();
    for (const [text, total] of [['', 701], ['#even', 351]] as const) {
      const page = await searchBookmarks(db, 'alice', parseSearch(text), null, 20, { countUpTo: 300 });
      expect({ total: page.total, moreThanTotal: page.moreThanTotal }).toEqual({ total, moreThanTotal: false });
    }
  });

  it('refuses a countUpTo below the counts that pick a plan', async () => {
    await expect(searchBookmarks(db, 'alice', parseSearch('x'), null, 20, { countUpTo: 299 })).rejects.toThrow(RangeError);
    await expect(searchBookmarks(db, 'alice', parseSearch('x'), null, 20, { countUpTo: 300.5 })).rejects.toThrow(RangeError);
  });

  it('remembers totals only until the database changes, through this connection or another', async () => {
    const { target, drop } = await newBlankDatabase();
    const first = await openDb(target);
    try {
      await migrate(first);
      const second = await openDb(target);
      try {
        const totals = async (...texts: string[]) => {
          const found: number[] = [];
          for (const text of texts) found.push((await searchBookmarks(first, 'alice', parseSearch(text))).total);
          return found;
        };
        const kept = await setupBookmark(first, 'alice', { title: 'Counted words', tags: ['kept'] });
        expect(await totals('counted', '', '#kept')).toEqual([1, 1, 1]);
        await setupBookmark(second, 'alice', { title: 'Counted again', tags: ['kept'] });
        // As the next request would: a turn of the event loop reads one snapshot (src/db/sqlite.ts).
        await new Promise((resolve) => setImmediate(resolve));
        expect(await totals('counted', '', '#kept')).toEqual([2, 2, 2]);
        await deleteBookmark(first, 'alice', kept.id);
        expect(await totals('counted', '', '#kept')).toEqual([1, 1, 1]);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
      await drop();
    }
  });

  /** `db`, counting the count(*) statements it runs; the first `failures` of them throw. */
  function countingCounts(failures = 0): { db: Db; counts: () => number } {
    let counts = 0;
    const isCount = (statement: unknown) =>
      (statement as { queryChunks: { value?: string[] }[] }).queryChunks.some((chunk) => chunk.value?.join('').includes('count('));
    const counting: Db = Object.create(db);
    const counted = (statement: Statement) => {
      if (isCount(statement) && ++counts <= failures) throw new Error('count failed');
    };
    counting.get = async (statement, params) => {
      counted(statement);
      return db.get(statement, params);
    };
    // PostgreSQL reads a search's first count with its page.
    counting.all = async (statement, params) => {
      counted(statement);
      return db.all(statement, params);
    };
    return { db: counting, counts: () => counts };
  }

  it('counts a total once for searches asking for it at the same time, and again after a write', async () => {
    for (let i = 0; i < 30; i++) await setupBookmark(db, 'alice', { title: `Counted once ${i}`, url: `https://example.com/${i}` });
    const { db: counting, counts } = countingCounts();
    // Asked twice: on PostgreSQL a repeat counts anyone's matches, to pick its plan, once.
    const alone = (await searchBookmarks(counting, 'alice', parseSearch('counted'), null, 10)).total;
    expect((await searchBookmarks(counting, 'alice', parseSearch('counted'), null, 10)).total).toBe(alone);
    const countsAlone = counts();
    expect([alone, countsAlone > 0]).toEqual([30, true]);

    await setupBookmark(db, 'alice', { title: 'Counted once more', url: 'https://example.com/more' });
    const eight = (text: string) => Promise.all(Array.from({ length: 8 }, () => searchBookmarks(counting, 'alice', parseSearch(text), null, 10)));
    // Eight searches of another word first, so that a pool has eight connections open and the searches below truly overlap.
    await eight('once');
    const before = counts();
    const together = await eight('counted');
    expect(together.map((page) => page.total)).toEqual(Array(8).fill(31));
    expect(counts() - before).toBe(countsAlone);
  });

  it('does not remember a count that failed: the next search counts again', async () => {
    await setupBookmark(db, 'alice', { title: 'Counted after a failure' });
    const { db: failingOnce } = countingCounts(1);
    await expect(searchBookmarks(failingOnce, 'alice', parseSearch('failure'))).rejects.toThrow('count failed');
    expect((await searchBookmarks(failingOnce, 'alice', parseSearch('failure'))).total).toBe(1);
  });

  it.each(['web', 'web-dev', 'c++', 'crème', 'x_y', '++'])('finds exactly the bookmarks tagged #%s, and counts them', async (tag) => {
    const tags = ['web', 'web-dev', 'c++', 'c', 'crème', 'x_y', 'x', '++'];
    for (const [i, other] of tags.entries()) await setupBookmark(db, 'alice', { title: `Tagged ${i}`, url: `https://example.com/${i}`, tags: [other] });
    await setupBookmark(db, 'alice', { title: `web dev crème x y c`, url: 'https://example.com/untagged' });
    await setupBookmark(db, 'bob', { title: 'Not mine', tags: [tag] });
    const page = await searchBookmarks(db, 'alice', parseSearch(`#${tag}`));
    expect(page.items.map((b) => b.tags)).toEqual([[tag]]);
    expect(page.total).toBe(1);
    expect((await searchBookmarks(db, 'alice', parseSearch(`tagged #${tag}`))).total).toBe(1);
  });
});
