import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBookmark, insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { ownerToken, searchBookmarks, toFtsMatch } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import type { Db } from '../../src/db/database.js';
import { freshDatabaseEachTest, recordingReads, type RecordedRead } from '../helpers.js';

/* The SQLite plans' own parts: the FTS5 MATCH expression they build from the search terms. */

describe('toFtsMatch', () => {
  it('quotes every token in the FTS expression', () => {
    const match = toFtsMatch('alice', parseSearch('a"b OR'));
    expect(match).toContain('"a"*');
    expect(match).toContain('"b"*');
    expect(match).toContain('"or"*');
  });
});

describe('the plan for few of the owner’s matches', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  /** How many rows each statement that reads rows returned, of those recordingReads saw. */
  const rowsRead = (reads: RecordedRead[]): number[] => reads.filter((read) => read.method === 'all').map((read) => read.rows.length);

  // 100 of alice's match among 400 of bob's: too many in the whole index to read them all, few of hers.
  async function storeFewAmongMany(aliceDate: (i: number) => number): Promise<number[]> {
    const rows: BookmarkRowValues[] = [];
    for (let i = 0; i < 400; i++) {
      if (i < 100) rows.push({ ownerSub: 'alice', title: `Shared words ${i}`, url: `https://example.com/${i}`, tags: [], createdAt: new Date(aliceDate(i)) });
      rows.push({ ownerSub: 'bob', title: `Shared words ${i}`, url: `https://example.com/${i}`, tags: [], createdAt: new Date(1_000_001 + i * 1000) });
    }
    await db.transaction((tx) => insertBookmarkRows(tx, rows));
    const newestFirst = await db.all<{ id: number }>(sql`SELECT id FROM bookmarks WHERE owner_sub = 'alice' ORDER BY created_at DESC, id DESC`);
    return newestFirst.map((row) => row.id);
  }

  it('reads one page of rows when the owner’s dates follow their ids: a search never asked before finds few of them in SQLite’s cache', async () => {
    const newest = await storeFewAmongMany((i) => 1_000_000 + i * 1000);
    const { db: recorded, reads } = recordingReads(db);
    const page = await searchBookmarks(recorded, 'alice', parseSearch('shar'), null, 20);
    expect(page.total).toBe(100);
    expect(page.items.map((b) => b.id)).toEqual(newest.slice(0, 20));
    expect(rowsRead(reads).length).toBeGreaterThan(0);
    expect(Math.max(...rowsRead(reads))).toBe(21);
  });

  it('reads all of them when some are dated among the highest ids’ page (older ones imported last)', async () => {
    const newest = await storeFewAmongMany((i) => (i >= 90 ? 10_000 + i : 1_000_000 + i * 1000));
    const { db: recorded, reads } = recordingReads(db);
    const page = await searchBookmarks(recorded, 'alice', parseSearch('shar'), null, 20);
    expect(page.total).toBe(100);
    expect(page.items.map((b) => b.id)).toEqual(newest.slice(0, 20));
    expect(Math.max(...rowsRead(reads))).toBe(100);
  });
});

describe('a first page, its keys from the index alone', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  /**
   * Alice's 400, more than the 300 a search reads whole (the first page takes the highest ids),
   * dated along their ids, tagged by their place (0 the oldest); the id of each place.
   */
  async function storeMany(tagsOf: (i: number) => string[] = () => []): Promise<(i: number) => number> {
    const rows: BookmarkRowValues[] = Array.from({ length: 400 }, (_, i) => ({
      ownerSub: 'alice', title: `Shared words ${i}`, url: `https://example.com/${i}`, tags: tagsOf(i), createdAt: new Date(1_000_000 + i * 1000),
    }));
    await db.transaction((tx) => insertBookmarkRows(tx, rows));
    const ids = (await db.all<{ id: number }>(sql`SELECT id FROM bookmarks WHERE owner_sub = 'alice' ORDER BY id`)).map((row) => row.id);
    return (i) => ids[i]!;
  }
  /** The places from `from` down, newest first, that `keep` keeps, as many as a page of `count`. */
  const placesDown = (from: number, count: number, keep: (i: number) => boolean = () => true) =>
    Array.from({ length: from + 1 }, (_, k) => from - k).filter(keep).slice(0, count);

  /** What each statement that returned rows returned: the ids alone, page keys (ids and dates), or whole bookmarks. */
  const readsOfRows = (reads: RecordedRead[]): string[] =>
    reads
      .filter((read) => read.method === 'all' && read.rows.length > 0)
      .map((read) => `${'url' in (read.rows[0] as object) ? 'bookmarks' : 'createdAt' in (read.rows[0] as object) ? 'keys' : 'ids'} ${read.rows.length}`);

  it('reads the ids, then each bookmark once: the same page again reads the ids alone', async () => {
    const idOf = await storeMany();
    const newest = placesDown(399, 20).map(idOf);
    const { db: recorded, reads } = recordingReads(db);
    const first = await searchBookmarks(recorded, 'alice', parseSearch('shar'), null, 20);
    expect(first.items.map((b) => b.id)).toEqual(newest);
    expect(first.next).toEqual({ createdAt: first.items[19]!.createdAt.getTime(), id: idOf(380) });
    expect(readsOfRows(reads)).toEqual(['ids 21', 'bookmarks 21']);
    reads.length = 0;
    const again = await searchBookmarks(recorded, 'alice', parseSearch('shar'), null, 20);
    expect(again.items.map((b) => b.id)).toEqual(newest);
    expect(readsOfRows(reads)).toEqual(['ids 21']);
  });

  it('checks a #tag on the bookmarks it took: the index alone when every candidate has it, the joined statement when one is left out', async () => {
    const idOf = await storeMany((i) => ['dev', ...(i % 10 === 5 ? ['old'] : [])]);
    const { db: recorded, reads } = recordingReads(db);
    const dev = await searchBookmarks(recorded, 'alice', parseSearch('#dev'), null, 20);
    expect(dev.items.map((b) => b.id)).toEqual(placesDown(399, 20).map(idOf));
    expect(dev.total).toBe(400);
    expect(readsOfRows(reads)).toEqual(['ids 21', 'bookmarks 21']);
    reads.length = 0;
    const notOld = await searchBookmarks(recorded, 'alice', parseSearch('#dev -#old'), null, 20);
    expect(notOld.items.map((b) => b.id)).toEqual(placesDown(399, 20, (i) => i % 10 !== 5).map(idOf));
    expect(notOld.next).not.toBeNull();
    // The candidates were kept by the search before; the joined statement's page reaches one more.
    expect(readsOfRows(reads)).toEqual(['ids 21', 'keys 21', 'bookmarks 1']);
  });

  it('leaves a tag the index finds but the exact test does not (#dev in web-dev) off the page, which stays full', async () => {
    const idOf = await storeMany((i) => [i >= 390 ? 'web-dev' : 'dev']);
    const { db: recorded, reads } = recordingReads(db);
    const dev = await searchBookmarks(recorded, 'alice', parseSearch('#dev'), null, 20);
    expect(dev.items.map((b) => b.id)).toEqual(placesDown(389, 20).map(idOf));
    expect(dev.items.every((b) => b.tags.includes('dev'))).toBe(true);
    expect(dev.next).toEqual({ createdAt: dev.items[19]!.createdAt.getTime(), id: idOf(370) });
    // The candidates (399 down to 379), then the joined statement's page, of which 378 down to 370 were not kept.
    expect(readsOfRows(reads)).toEqual(['ids 21', 'bookmarks 21', 'keys 21', 'bookmarks 9']);
  });

  it('shows none of another user’s bookmarks when the index names one the owner’s, and still offers the next page', async () => {
    const idOf = await storeMany();
    const bobs = await createBookmark(db, 'bob', { url: 'https://example.org/', title: 'Shared words of bob', tags: [] });
    // An index that says otherwise than the table: bob's bookmark, the highest id, under alice's owner token.
    await db.run(sql`DELETE FROM bookmarks_fts WHERE rowid = ${-bobs.id}`);
    await db.run(sql`INSERT INTO bookmarks_fts (rowid, owner, title, url, tags, description) VALUES (${-bobs.id}, ${ownerToken('alice')}, 'Shared words', '', '', '')`);
    const page = await searchBookmarks(db, 'alice', parseSearch('shar'), null, 20);
    expect(page.items.map((b) => b.ownerSub)).toEqual(Array(20).fill('alice'));
    expect(page.items.map((b) => b.id)).toEqual(placesDown(399, 20).map(idOf));
    expect(page.next).not.toBeNull();
  });
});
