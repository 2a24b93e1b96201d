import { beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client.js';
import { createBookmark, deleteBookmark, importBookmarks, restoreBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { searchBookmarks } from '../../src/bookmarks/queries.js';
import { ownerToken, parseSearch } from '../../src/bookmarks/search.js';

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
    restoreBookmark(db, deleted);
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
