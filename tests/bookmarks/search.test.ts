import { beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client.js';
import { searchBookmarks, decodeCursor } from '../../src/bookmarks/search-queries.js';
import { formatSearch, parseSearch, toFtsMatch } from '../../src/bookmarks/search.js';
import { setupBookmark } from '../helpers.js';

describe('parseSearch', () => {
  const empty = { words: [], phrases: [], tags: [], excludedWords: [], excludedTags: [] };
  it.each([
    ['', {}],
    ['Driz', { words: ['driz'] }],
    ['drizzle-orm  sqlite', { words: ['drizzle', 'orm', 'sqlite'] }],
    ['"exact phrase" x', { phrases: [['exact', 'phrase']], words: ['x'] }],
    ['#Web -old -#archived', { tags: ['web'], excludedWords: ['old'], excludedTags: ['archived'] }],
    ['"unclosed phrase', { words: ['unclosed', 'phrase'] }],
    ['% * ( ) " ; --', {}],
    ["'; DROP TABLE bookmarks; --", { words: ['drop', 'table', 'bookmarks'] }],
    ['NEAR(a b) OR c AND NOT d', { words: ['near', 'a', 'b', 'or', 'c', 'and', 'not', 'd'] }],
    ['title:secret {url}:x', { words: ['title', 'secret', 'url', 'x'] }],
    ['Crème brûlée', { words: ['crème', 'brûlée'] }],
    ['-', {}],
    ['#', {}],
    ['#a\u0000b c\td', { tags: ['a'], words: ['b', 'c', 'd'] }],
    ['"x\u0000y"', { phrases: [['x', 'y']] }],
    // Issue 17: invisible characters and compatibility forms search as what they look like.
    ['#w\u200Beb', { tags: ['web'] }],
    ['-#ｗｅｂ #\u202Edev', { tags: ['dev'], excludedTags: ['web'] }],
    ['w\u200Beb \u2066drizzle\u2069', { words: ['web', 'drizzle'] }],
  ])('parseSearch(%j)', (input, expected) => {
    expect(parseSearch(input)).toEqual({ ...empty, ...expected });
  });

  it('round-trips through formatSearch', () => {
    const query = parseSearch('a "b c" #d -e -#f');
    expect(parseSearch(formatSearch(query))).toEqual(query);
  });

  it('quotes every token in the FTS expression', () => {
    const match = toFtsMatch('alice', parseSearch('a"b OR'));
    expect(match).toContain('"a"*');
    expect(match).toContain('"b"*');
    expect(match).toContain('"or"*');
  });
});

describe('searchBookmarks over the real FTS index', () => {
  let db: Db;
  beforeEach(() => {
    db = openDb(':memory:');
  });

  const titles = (ownerSub: string, text: string) => searchBookmarks(db, ownerSub, parseSearch(text)).items.map((b) => b.title);

  it('matches prefixes case-insensitively across title, url and tags; all words must match; newest first', () => {
    setupBookmark(db, 'alice', { title: 'Drizzle ORM docs', url: 'https://orm.drizzle.team/', tags: ['sql'], createdAt: new Date(1000) });
    setupBookmark(db, 'alice', { title: 'SQLite FTS5', url: 'https://sqlite.org/fts5.html', tags: ['database'], createdAt: new Date(2000) });
    setupBookmark(db, 'alice', { title: 'Cooking', url: 'https://recipes.example/', tags: ['food'], createdAt: new Date(3000) });
    expect(titles('alice', 'driz')).toEqual(['Drizzle ORM docs']);
    expect(titles('alice', 'SQL')).toEqual(['SQLite FTS5', 'Drizzle ORM docs']);
    expect(titles('alice', 'recipes')).toEqual(['Cooking']);
    expect(titles('alice', 'datab')).toEqual(['SQLite FTS5']);
    expect(titles('alice', 'sql driz')).toEqual(['Drizzle ORM docs']);
    expect(titles('alice', '')).toEqual(['Cooking', 'SQLite FTS5', 'Drizzle ORM docs']);
  });

  it('finds a tag typed with invisible characters or fullwidth letters', () => {
    setupBookmark(db, 'alice', { title: 'Tagged web', tags: ['web'] });
    setupBookmark(db, 'alice', { title: 'Tagged dev', tags: ['dev'] });
    expect(titles('alice', '#w\u200Beb')).toEqual(['Tagged web']);
    expect(titles('alice', '#ｗｅｂ')).toEqual(['Tagged web']);
    expect(titles('alice', '-#\u202Eweb')).toEqual(['Tagged dev']);
  });

  it('supports phrases, tags and exclusions', () => {
    setupBookmark(db, 'alice', { title: 'Exact phrase here', tags: ['web-dev'] });
    setupBookmark(db, 'alice', { title: 'phrase exact reversed', tags: ['web'] });
    expect(titles('alice', '"exact phrase"')).toEqual(['Exact phrase here']);
    expect(titles('alice', '#web')).toEqual(['phrase exact reversed']);
    expect(titles('alice', '#web-dev')).toEqual(['Exact phrase here']);
    expect(titles('alice', 'phrase -reversed')).toEqual(['Exact phrase here']);
    expect(titles('alice', 'phrase -#web')).toEqual(['Exact phrase here']);
  });

  it('never returns or counts another owner\'s bookmarks', () => {
    setupBookmark(db, 'alice', { title: 'Shared word' });
    setupBookmark(db, 'bob', { title: 'Shared word' });
    // Owners whose subs tokenize alike must still be kept apart.
    setupBookmark(db, 'auth0|abc', { title: 'Shared word' });
    setupBookmark(db, 'auth0-abc', { title: 'Shared word' });
    for (const owner of ['alice', 'bob', 'auth0|abc', 'auth0-abc']) {
      const page = searchBookmarks(db, owner, parseSearch('shared'));
      expect(page.total).toBe(1);
      expect(page.items.map((b) => b.ownerSub)).toEqual([owner]);
    }
  });

  it.each([
    '"', '""', '"*', '*', '(', ')', 'a OR', 'NOT', 'AND b', 'NEAR(', '^a', 'a:b', '{title}:x', '%', '_',
    "' OR 1=1 --", '\\', '\u0000', '🙂', 'x'.repeat(5000), '"a" "b', '-', '--', '-"', '#', '-#', '##a',
  ])('treats %j as plain text: no error', (text) => {
    setupBookmark(db, 'alice', { title: 'Something' });
    expect(() => searchBookmarks(db, 'alice', parseSearch(text))).not.toThrow();
  });

  it('pages with a keyset cursor without skipping or repeating', () => {
    for (let i = 0; i < 7; i++) setupBookmark(db, 'alice', { title: `Item ${i}`, createdAt: new Date(1000 + (i % 3)) });
    const seen: string[] = [];
    let after = null;
    for (let guard = 0; guard < 10; guard++) {
      const page = searchBookmarks(db, 'alice', parseSearch(''), after, 3);
      expect(page.total).toBe(7);
      seen.push(...page.items.map((b) => b.title));
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  it('reads a malformed cursor as the start', () => {
    expect(decodeCursor('garbage')).toBeNull();
    expect(decodeCursor('1.2')).toEqual({ createdAt: 1, id: 2 });
    expect(decodeCursor(undefined)).toBeNull();
  });
});
