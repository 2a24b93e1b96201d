import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client.js';
import { searchBookmarks, type Cursor } from '../../src/bookmarks/search-queries.js';
import { parseSearch } from '../../src/bookmarks/search.js';
import { deleteBookmark } from '../../src/bookmarks/commands.js';
import { setupBookmark } from '../helpers.js';

/**
 * searchBookmarks reads a page in one of two ways, by how many bookmarks the
 * words match (few: from the index, then sorted; many: newest first until a
 * page is full). Both must give the same order, pages and totals.
 */
describe('searchBookmarks with few and with many matches', () => {
  let db: Db;
  beforeEach(() => {
    db = openDb(':memory:');
  });

  /** Every page, following the cursor, with the total each page reported. */
  function allPages(ownerSub: string, text: string, limit = 50): { ids: number[]; totals: number[] } {
    const ids: number[] = [];
    const totals: number[] = [];
    let after: Cursor | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page = searchBookmarks(db, ownerSub, parseSearch(text), after, limit);
      ids.push(...page.items.map((b) => b.id));
      totals.push(page.total);
      if (!page.next) break;
      after = page.next;
    }
    return { ids, totals };
  }

  function expected(ownerSub: string, keep: (title: string, tags: string) => boolean): number[] {
    return db.$client
      .prepare('SELECT id, title, tags FROM bookmarks WHERE owner_sub = ? ORDER BY created_at DESC, id DESC')
      .all(ownerSub)
      .filter((row) => keep((row as { title: string }).title, (row as { tags: string }).tags))
      .map((row) => (row as { id: number }).id);
  }

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
  ] as const)('%s (%i bookmarks), dates %s: newest first by date then id', (_label, count, order) => {
    const dateOf = dateOrders[order];
    db.$client.transaction(() => {
      for (let i = 0; i < count; i++) {
        const tags = i % 3 === 0 ? ['keep'] : [];
        setupBookmark(db, 'alice', { title: `Common word ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(dateOf(i, count)) });
        setupBookmark(db, 'alice', { title: `Other thing ${i}`, url: `https://example.org/${i}`, createdAt: new Date(dateOf(i, count) + 1) });
        setupBookmark(db, 'bob', { title: `Common word ${i}`, url: `https://example.net/${i}` });
      }
    })();
    const common = expected('alice', (title) => title.startsWith('Common'));
    expect(allPages('alice', 'comm')).toEqual({ ids: common, totals: Array(Math.ceil(count / 50)).fill(count) });

    const tagged = expected('alice', (title, tags) => title.startsWith('Common') && tags === 'keep');
    const withTag = allPages('alice', 'comm #keep', 7);
    expect(withTag.ids).toEqual(tagged);
    expect(new Set(withTag.totals)).toEqual(new Set([tagged.length]));

    const excluded = expected('alice', (title, tags) => title.startsWith('Common') && tags !== 'keep');
    expect(allPages('alice', 'comm -#keep', 30).ids).toEqual(excluded);
  });

  // Each plan is picked by how many rows match, in the whole index and among
  // the owner's; bob's rows carry exactly alice's words, so any plan that
  // forgot owner_sub would hand them to alice.
  it.each([
    ['few matches anywhere', 30, 30, false],
    ['few of alice’s among many of bob’s', 40, 400, false],
    ['many of alice’s', 400, 400, false],
    ['many of alice’s, older ones imported last', 400, 400, true],
  ] as const)('%s: only alice’s bookmarks, on every page, with and without tags', (_label, mine, theirs, lateImport) => {
    db.$client.transaction(() => {
      for (let i = 0; i < Math.max(mine, theirs); i++) {
        const tags = i % 2 === 0 ? ['even'] : ['odd'];
        const dated = lateImport && i >= mine - 10 ? 10_000 + i : 1_000_000 + i * 1000;
        if (i < mine) setupBookmark(db, 'alice', { title: `Shared words ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(dated) });
        if (i < theirs) setupBookmark(db, 'bob', { title: `Shared words ${i}`, url: `https://example.com/${i}`, tags, createdAt: new Date(dated + 1) });
      }
    })();
    const alice = expected('alice', () => true);
    for (const text of ['shar', 'shared words', 'sha #even', '-#odd', 'word -#odd']) {
      const want = text.includes('even') || text.includes('odd') ? expected('alice', (_t, tags) => tags === 'even') : alice;
      const got = allPages('alice', text, 37);
      expect(got.ids).toEqual(want);
      expect(new Set(got.totals)).toEqual(new Set([want.length]));
    }
  });

  it('finds nothing, with a zero total, when no bookmark matches', () => {
    setupBookmark(db, 'alice', { title: 'Something' });
    expect(searchBookmarks(db, 'alice', parseSearch('nothing'))).toEqual({ items: [], total: 0, next: null });
    expect(searchBookmarks(db, 'alice', parseSearch('something #missing'))).toEqual({ items: [], total: 0, next: null });
  });

  it('remembers totals only until the database changes, through this connection or another', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-totals-'));
    try {
      const first = openDb(join(dir, 'db.sqlite'));
      const second = openDb(join(dir, 'db.sqlite'));
      const totals = (text: string) => searchBookmarks(first, 'alice', parseSearch(text)).total;
      const kept = setupBookmark(first, 'alice', { title: 'Counted words', tags: ['kept'] });
      expect([totals('counted'), totals(''), totals('#kept')]).toEqual([1, 1, 1]);
      setupBookmark(second, 'alice', { title: 'Counted again', tags: ['kept'] });
      expect([totals('counted'), totals(''), totals('#kept')]).toEqual([2, 2, 2]);
      deleteBookmark(first, 'alice', kept.id);
      expect([totals('counted'), totals(''), totals('#kept')]).toEqual([1, 1, 1]);
      first.$client.close();
      second.$client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['web', 'web-dev', 'c++', 'crème', 'x_y', '++'])('finds exactly the bookmarks tagged #%s, and counts them', (tag) => {
    const tags = ['web', 'web-dev', 'c++', 'c', 'crème', 'x_y', 'x', '++'];
    for (const [i, t] of tags.entries()) setupBookmark(db, 'alice', { title: `Tagged ${i}`, url: `https://example.com/${i}`, tags: [t] });
    setupBookmark(db, 'alice', { title: `web dev crème x y c`, url: 'https://example.com/untagged' });
    setupBookmark(db, 'bob', { title: 'Not mine', tags: [tag] });
    const page = searchBookmarks(db, 'alice', parseSearch(`#${tag}`));
    expect(page.items.map((b) => b.tags)).toEqual([tag]);
    expect(page.total).toBe(1);
    expect(searchBookmarks(db, 'alice', parseSearch(`tagged #${tag}`)).total).toBe(1);
  });
});
