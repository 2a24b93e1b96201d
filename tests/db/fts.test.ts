import { beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client.js';
import { createBookmark, deleteBookmark, importBookmarks, restoreBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { searchBookmarks } from '../../src/bookmarks/search-queries.js';
import { ownerToken, parseSearch } from '../../src/bookmarks/search.js';
import { withDatabaseBefore } from './migrations.js';

/**
 * The FTS index is kept in step by triggers from migration 0001. drizzle-kit
 * drops triggers silently when it rebuilds a table, so this runs every
 * migration on a fresh database and checks the index after each kind of write.
 */
describe('bookmarks_fts after all migrations', () => {
  let db: Db;
  beforeEach(() => {
    db = openDb(':memory:');
  });

  const found = (ownerSub: string, text: string): string[] =>
    searchBookmarks(db, ownerSub, parseSearch(text)).items.map((b) => b.title);
  const total = (ownerSub: string, text: string): number => searchBookmarks(db, ownerSub, parseSearch(text)).total;
  /** Rows the index holds for an owner, straight from FTS5. */
  const indexed = (ownerSub: string): number =>
    (db.$client.prepare('SELECT count(*) AS n FROM bookmarks_fts WHERE bookmarks_fts MATCH ?').get(`owner : "${ownerToken(ownerSub)}"`) as { n: number }).n;

  it('has its three triggers on bookmarks', () => {
    const triggers = db.$client
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'bookmarks' ORDER BY name")
      .pluck()
      .all();
    expect(triggers).toEqual(
      expect.arrayContaining(['bookmarks_fts_after_delete', 'bookmarks_fts_after_insert', 'bookmarks_fts_after_update']),
    );
  });

  it('indexes a new bookmark by title, url words and tags', () => {
    createBookmark(db, 'alice', { url: 'https://sqlite.org/fts5.html', title: 'Full text search', tags: ['database', 'reference'] });
    expect(found('alice', 'full')).toEqual(['Full text search']);
    expect(found('alice', 'fts5')).toEqual(['Full text search']);
    expect(found('alice', 'sqlite')).toEqual(['Full text search']);
    expect(found('alice', 'refer')).toEqual(['Full text search']);
    expect(indexed('alice')).toBe(1);
  });

  it('finds the new text and not the old after an edit', () => {
    const bookmark = createBookmark(db, 'alice', { url: 'https://old.example/', title: 'Original heading', tags: ['before'] });
    updateBookmark(db, 'alice', bookmark.id, { url: 'https://new.example/', title: 'Renamed heading', tags: ['after'] });
    for (const gone of ['original', 'old', 'before']) expect(found('alice', gone)).toEqual([]);
    for (const text of ['renamed', 'new', 'after', 'heading']) expect(found('alice', text)).toEqual(['Renamed heading']);
    expect(indexed('alice')).toBe(1);
  });

  it('forgets a deleted bookmark and finds it again once restored', () => {
    const bookmark = createBookmark(db, 'alice', { url: 'https://example.com/', title: 'Short lived', tags: [] });
    createBookmark(db, 'alice', { url: 'https://example.com/keep', title: 'Long lived', tags: [] });
    const deleted = deleteBookmark(db, 'alice', bookmark.id)!;
    expect(found('alice', 'short')).toEqual([]);
    expect(total('alice', 'lived')).toBe(1);
    expect(indexed('alice')).toBe(1);
    restoreBookmark(db, 'alice', deleted);
    expect(found('alice', 'short')).toEqual(['Short lived']);
    expect(total('alice', 'lived')).toBe(2);
  });

  it('indexes an import, and counts in the index agree with the table', () => {
    importBookmarks(
      db,
      'bob',
      Array.from({ length: 30 }, (_, i) => ({ url: `https://example.com/${i}`, title: `Imported ${i % 2 ? 'odd' : 'even'}`, tags: ['imported'], createdAt: null })),
    );
    createBookmark(db, 'alice', { url: 'https://example.com/', title: 'Imported elsewhere', tags: [] });
    expect(total('bob', 'imported')).toBe(30);
    expect(total('bob', 'odd')).toBe(15);
    expect(total('bob', '')).toBe(30);
    expect(total('alice', 'imported')).toBe(1);
    expect(indexed('bob')).toBe(30);
  });

  it('imports across several multi-row statements: every row stored once, indexed and counted', () => {
    // 451 new rows: two full statements of 200 and a remainder of 51; the repeats are skipped.
    const candidates = Array.from({ length: 460 }, (_, i) => ({
      url: `https://example.com/${i % 451}`, title: `Batch ${i % 451}`, tags: [i % 2 ? 'odd' : 'even'], createdAt: new Date(1_000_000 + (i % 451)),
    }));
    const report = importBookmarks(db, 'bob', candidates);
    expect(report).toMatchObject({ imported: 451, duplicates: 9 });
    const stored = db.$client.prepare("SELECT title, created_at AS at FROM bookmarks WHERE owner_sub = 'bob' ORDER BY id").all() as { title: string; at: number }[];
    expect(stored.map((row) => row.title)).toEqual(Array.from({ length: 451 }, (_, i) => `Batch ${i}`));
    expect(stored.map((row) => row.at)).toEqual(Array.from({ length: 451 }, (_, i) => 1_000_000 + i));
    expect(indexed('bob')).toBe(451);
    expect(total('bob', 'batch')).toBe(451);
    expect(total('bob', '#odd')).toBe(225);
    expect(found('bob', 'batch 450')).toEqual(['Batch 450']);
  });

  it('keeps index and table in step through many mixed writes', () => {
    const live = new Map<number, string>();
    for (let i = 0; i < 60; i++) {
      const word = `word${i % 7}`;
      const bookmark = createBookmark(db, 'alice', { url: `https://example.com/${i}`, title: `${word} item`, tags: [] });
      live.set(bookmark.id, word);
      if (i % 5 === 0) {
        updateBookmark(db, 'alice', bookmark.id, { url: `https://example.com/${i}`, title: 'edited item', tags: [] });
        live.set(bookmark.id, 'edited');
      }
      if (i % 4 === 0) {
        deleteBookmark(db, 'alice', bookmark.id);
        live.delete(bookmark.id);
      }
    }
    for (const word of ['word0', 'word3', 'word6', 'edited']) {
      const expected = [...live.values()].filter((w) => w === word).length;
      expect(total('alice', word)).toBe(expected);
    }
    expect(indexed('alice')).toBe(live.size);
    expect(total('alice', 'item')).toBe(live.size);
  });
});

/**
 * Migration 0006 rebuilds bookmarks_fts with prefix indexes. A database that
 * already holds bookmarks must come out of it with every row searchable and
 * the triggers from 0001 still writing to the new table.
 */
describe('migration 0006 on a database that already has bookmarks', () => {
  it('carries every row into the rebuilt index, and the triggers keep working', () => {
    withDatabaseBefore('0006', (path, old) => {
      const insert = old.prepare("INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (?, ?, ?, 'kept', ?)");
      for (let i = 0; i < 120; i++) insert.run(i % 3 === 0 ? 'bob' : 'alice', `https://example.com/${i}`, `Programming note ${i}`, 1_000 + i);
      old.close();

      const db = openDb(path);
      const definition = db.$client.prepare("SELECT sql FROM sqlite_master WHERE name = 'bookmarks_fts'").pluck().get() as string;
      expect(definition).toContain("prefix = '1 2 3 4 5 6 7 8'");
      for (const text of ['p', 'prog', 'programm', 'programming', 'note', '#kept']) {
        expect(searchBookmarks(db, 'alice', parseSearch(text)).total).toBe(80);
        expect(searchBookmarks(db, 'bob', parseSearch(text)).total).toBe(40);
      }
      createBookmark(db, 'alice', { url: 'https://example.org/', title: 'Written after the rebuild', tags: [] });
      expect(searchBookmarks(db, 'alice', parseSearch('rebuild')).total).toBe(1);
      db.$client.close();
    });
  });
});
