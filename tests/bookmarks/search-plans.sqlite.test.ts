import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBookmark, insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { ownerToken, searchBookmarks, toFtsMatch } from '../../src/bookmarks/search-plans.js';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { MAX_SEARCH_TERMS, TAG_INDEX_WORDS, indexTokens, parseSearch, tokenize } from '../../src/bookmarks/search-syntax.js';
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

describe('the MATCH expressions a search runs', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  /**
   * How many tokens FTS5 makes of the text quoted in a MATCH expression, the owner's aside, by
   * the search index's own tokenizer: each is another pass over the index, so a search of 240
   * of them (one word of letters and vowel signs) held the process for 0.7 s.
   */
  async function tokenCounter(): Promise<(match: string) => number> {
    const { sql: created } = (await db.get<{ sql: string }>(sql`SELECT sql FROM sqlite_master WHERE name = 'bookmarks_fts'`))!;
    const tokenizer = /tokenize\s*=\s*'[^']*'/.exec(created)![0];
    const scratch = new Database(':memory:');
    scratch.exec(`CREATE VIRTUAL TABLE quoted USING fts5(text, ${tokenizer}); CREATE VIRTUAL TABLE tokens USING fts5vocab(quoted, 'instance');`);
    return (match) => {
      scratch.exec('DELETE FROM quoted');
      for (const [, quoted] of match.matchAll(/"((?:[^"]|"")*)"/g)) {
        if (!quoted!.startsWith('o')) scratch.prepare('INSERT INTO quoted VALUES (?)').run(quoted!.replaceAll('""', '"'));
      }
      return (scratch.prepare('SELECT count(*) AS n FROM tokens').get() as { n: number }).n;
    };
  }

  /** Every MATCH expression the search ran. */
  async function matchesOf(text: string): Promise<string[]> {
    const matches: string[] = [];
    const recording: Db = Object.create(db);
    const record = (params: unknown) => typeof (params as { match?: unknown } | undefined)?.match === 'string' && matches.push((params as { match: string }).match);
    recording.all = (statement, params) => (record(params), db.all(statement, params));
    recording.get = (statement, params) => (record(params), db.get(statement, params));
    await searchBookmarks(recording, 'mallory', parseSearch(text), null, 20, { countUpTo: 1000 });
    return matches;
  }

  it('weigh every word at least the tokens FTS5 makes of it, for every letter, mark and digit there is', async () => {
    const { sql: created } = (await db.get<{ sql: string }>(sql`SELECT sql FROM sqlite_master WHERE name = 'bookmarks_fts'`))!;
    const scratch = new Database(':memory:');
    scratch.exec(`CREATE VIRTUAL TABLE words USING fts5(text, ${/tokenize\s*=\s*'[^']*'/.exec(created)![0]}); CREATE VIRTUAL TABLE tokens USING fts5vocab(words, 'instance');`);
    // "a", the character, "a": one word to us unless the character parts it.
    const insert = scratch.prepare('INSERT INTO words (rowid, text) VALUES (?, ?)');
    scratch.transaction(() => {
      for (let cp = 0x80; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const word = `a${String.fromCodePoint(cp)}a`;
        if (/^a[\p{L}\p{M}\p{N}]a$/u.test(word)) insert.run(cp, word);
      }
    })();
    const made = scratch.prepare('SELECT doc, count(*) AS n FROM tokens GROUP BY doc').all() as { doc: number; n: number }[];
    expect(made.length).toBeGreaterThan(100_000);
    const under = made
      .filter(({ doc, n }) => n > tokenize(`a${String.fromCodePoint(doc)}a`).map(indexTokens).reduce((total, weight) => total + weight, 0))
      .map(({ doc }) => `U+${doc.toString(16).toUpperCase()}`);
    expect(under).toEqual([]);
  });

  it('hold at most TAG_INDEX_WORDS tokens a term, however the words, phrases and tags typed split', async () => {
    await createBookmark(db, 'alice', { url: 'https://example.com/', title: 'a note', tags: ['a'] });
    const tokensIn = await tokenCounter();
    const bound = TAG_INDEX_WORDS * MAX_SEARCH_TERMS;
    const hostile = [`a #${'a-'.repeat(245)}a`, `${'a\u093F'.repeat(240)}a`, `${'a\u19B0'.repeat(240)}a`, `x #${'a\u1CF2'.repeat(200)}`, `x -#a -${'a\u093F'.repeat(240)}a`, `"${'a\u093F '.repeat(120)}" x`, `#${'a\u093F'.repeat(240)} x`];
    const ran: string[] = [];
    for (const text of hostile) ran.push(...(await matchesOf(text)));
    // Some of them left out whole (no MATCH at all), the others cut.
    expect(ran.length).toBeGreaterThan(3);
    for (const match of ran) expect(tokensIn(match), match.slice(0, 80)).toBeLessThanOrEqual(bound);
    const piece = fc.constantFrom('a', 'b', '\u093F', '\u0301', '\u19B0', '-', '#', '"', ' ', '🤔', '\uE000', 'é', '₽');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 120 }), async (pieces) => {
        for (const match of await matchesOf(pieces.join(''))) expect(tokensIn(match)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 200 },
    );
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
