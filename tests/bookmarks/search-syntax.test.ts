import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { decodeCursor, searchBookmarks, type Cursor } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { parseTags } from '../../src/bookmarks/validation.js';
import { freshDatabaseEachTest, setupBookmark } from '../helpers.js';

describe('parseSearch', () => {
  const empty = { words: [], phrases: [], tags: [], excludedWords: [], excludedPhrases: [], excludedTags: [], leftOut: 0 };
  it.each([
    ['', {}],
    ['Driz', { words: ['driz'] }],
    ['drizzle-orm  sqlite', { words: ['drizzle', 'orm', 'sqlite'] }],
    ['"exact phrase" x', { phrases: [['exact', 'phrase']], words: ['x'] }],
    ['#Web -old -#archived', { tags: ['web'], excludedWords: [['old']], excludedTags: ['archived'] }],
    // A -word leaves out what the word finds: all of the words it splits into.
    ['-pinterest.com -e-mail -e-mail -x', { excludedWords: [['pinterest', 'com'], ['e', 'mail'], ['x']] }],
    ['"unclosed phrase', { words: ['unclosed', 'phrase'] }],
    ['city -"New York" -"new york" -"x"', { words: ['city'], excludedPhrases: [['new', 'york'], ['x']] }],
    // An excluded phrase cut short would leave out more than was asked: it is left out whole.
    ['a b c d e f -"g h i"', { words: ['a', 'b', 'c', 'd', 'e', 'f'], leftOut: 1 }],
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
    // At most MAX_SEARCH_TERMS (8) words, counting each word of a phrase or tag; repeats are dropped first.
    [Array(200).fill('h').join(' ') + ' -h -h', { words: ['h'], excludedWords: [['h']] }],
    ['a b c d e f g h i j', { words: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], leftOut: 2 }],
    ['a b c d e f "g h i j" k', { words: ['a', 'b', 'c', 'd', 'e', 'f'], phrases: [['g', 'h']], leftOut: 2 }],
    // A tag the index narrows by counts its words (up to TAG_INDEX_WORDS); the search is its terms up to the first that does not fit.
    ['"x y" "x y" a b c d e #web-dev #go', { phrases: [['x', 'y']], words: ['a', 'b', 'c', 'd', 'e'], leftOut: 2 }],
    ['a b c d e f g #web-dev eight', { words: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], leftOut: 2 }],
    ['a b c d e f g #web', { words: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], tags: ['web'] }],
    ['-#a -#b -#c -#d -#e -#f -#g -#h -#i -#a', { excludedTags: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], leftOut: 1 }],
    // A longer tag is tested on the rows only: one term, never left out for its length.
    ['#a-b-c-d-e-f-g-h-i x', { tags: ['a-b-c-d-e-f-g-h-i'], words: ['x'] }],
    ['#a-very-long-hyphenated-tag-name-with-many-words', { tags: ['a-very-long-hyphenated-tag-name-with-many-words'] }],
    // A word weighs the tokens the index may make of it: FTS5 splits "हिंदी" at its vowel signs, into two.
    ['हिंदी a b c d e f g', { words: ['हिंदी', 'a', 'b', 'c', 'd', 'e', 'f'], leftOut: 1 }],
    [`${'a\u093F'.repeat(240)}a x`, { leftOut: 2 }],
    [`"x ${'a\u093F'.repeat(10)}a"`, { phrases: [['x']], leftOut: 1 }],
    // A tag with a character the index may read otherwise (🤔 is part of a word to FTS5) is tested on the rows: one term.
    ['#ideas🤔 a b c d e f g', { tags: ['ideas🤔'], words: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }],
    // A combining mark typed as a word of its own is no word, as punctuation is none; a #tag of one stays a tag (tested on the rows).
    ['\u0301', {}],
    ['a \u0308', { words: ['a'] }],
    ['\u0301 \u0308 \u0300 \u0302 \u0303 \u0304 \u0305 \u0306 \u0307 a', { words: ['a'] }],
    ['-\u0301 "\u0301" "a \u0301" -"\u0308"', { phrases: [['a']] }],
    ['#\u0301 x', { tags: ['\u0301'], words: ['x'] }],
    // So is a number that is no digit (circled, a fraction, a superscript): PostgreSQL's parser drops it too.
    ['① ½ ² ①② x -③ "④"', { words: ['x'] }],
  ])('parseSearch(%j)', (input, expected) => {
    expect(parseSearch(input)).toEqual({ ...empty, ...expected });
  });
});

describe('searchBookmarks over the real search index', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  const titles = async (ownerSub: string, text: string) => (await searchBookmarks(db, ownerSub, parseSearch(text))).items.map((b) => b.title);

  it('matches prefixes case-insensitively across title, url and tags; all words must match; newest first', async () => {
    await setupBookmark(db, 'alice', { title: 'Drizzle ORM docs', url: 'https://orm.drizzle.team/', tags: ['sql'], createdAt: new Date(1000) });
    await setupBookmark(db, 'alice', { title: 'SQLite FTS5', url: 'https://sqlite.org/fts5.html', tags: ['database'], createdAt: new Date(2000) });
    await setupBookmark(db, 'alice', { title: 'Cooking', url: 'https://recipes.example/', tags: ['food'], createdAt: new Date(3000) });
    expect(await titles('alice', 'driz')).toEqual(['Drizzle ORM docs']);
    expect(await titles('alice', 'SQL')).toEqual(['SQLite FTS5', 'Drizzle ORM docs']);
    expect(await titles('alice', 'recipes')).toEqual(['Cooking']);
    expect(await titles('alice', 'datab')).toEqual(['SQLite FTS5']);
    expect(await titles('alice', 'sql driz')).toEqual(['Drizzle ORM docs']);
    expect(await titles('alice', '')).toEqual(['Cooking', 'SQLite FTS5', 'Drizzle ORM docs']);
  });

  it('finds exactly the bookmarks with a tag of many words, which the index does not narrow by', async () => {
    const long = 'a-very-long-hyphenated-tag-name-with-many-words';
    await setupBookmark(db, 'alice', { title: 'Tagged long', tags: [long] });
    await setupBookmark(db, 'alice', { title: 'Its first words only', tags: ['a-very-long'] });
    await setupBookmark(db, 'alice', { title: 'Untagged', tags: [] });
    await setupBookmark(db, 'bob', { title: 'Bob tagged long', tags: [long] });
    expect(await titles('alice', `#${long}`)).toEqual(['Tagged long']);
    expect(await titles('alice', `-#${long}`)).toEqual(['Untagged', 'Its first words only']);
    expect(await titles('alice', `#${long} tagged`)).toEqual(['Tagged long']);
    expect((await searchBookmarks(db, 'alice', parseSearch(`#${long}`))).total).toBe(1);
  });

  it('finds tags holding emoji, signs and private-use characters, which FTS5 reads as parts of words', async () => {
    const tags = ['ideas🤔', '🦀rust', '100₽', 'x\uE000y'];
    for (const tag of tags) await setupBookmark(db, 'alice', { title: `Tagged ${tag} note`, tags: [tag] });
    await setupBookmark(db, 'alice', { title: 'Untagged ideas rust note', tags: ['ideas', 'rust'] });
    for (const tag of tags) {
      expect(await titles('alice', `#${tag}`)).toEqual([`Tagged ${tag} note`]);
      expect(await titles('alice', `note #${tag}`)).toEqual([`Tagged ${tag} note`]);
    }
  });

  it('finds a tag by the tag it shows where lowercasing leaves NFKC (a Greek capital with a combining mark)', async () => {
    // What the form stores for a tag typed 'Ϊ́' (a capital with dialytika, then an acute): its click searches that.
    const [tag] = parseTags('Ϊ\u0301 Ώ\u0345');
    const [other] = parseTags('Ώ\u0345');
    await setupBookmark(db, 'alice', { title: 'Tagged iota', tags: [tag!] });
    await setupBookmark(db, 'alice', { title: 'Tagged omega', tags: [other!] });
    expect(await titles('alice', `#${tag}`)).toEqual(['Tagged iota']);
    expect(await titles('alice', `#${other}`)).toEqual(['Tagged omega']);
  });

  it('a #tag that folds to words with a space between (NFKC of ¨ is a space and a mark) is no tag a bookmark can carry: it finds none, and leaves none out', async () => {
    // Typed when saving, 'a¨b' is two tags; as a search, one tag holding a space, not those two side by side.
    const tags = parseTags('a¨b');
    expect(tags).toEqual(['a', '\u0308b']);
    await setupBookmark(db, 'alice', { title: 'Two tags', tags });
    await setupBookmark(db, 'alice', { title: 'Other' });
    expect(await titles('alice', '#a¨b')).toEqual([]);
    expect(await titles('alice', '-#a¨b')).toEqual(['Other', 'Two tags']);
  });

  it('finds a Greek word ending in sigma however it was written: capitals (Σ, which lowercases to σ or ς) or small letters', async () => {
    await setupBookmark(db, 'alice', { title: 'ΟΔΟΣ ΠΑΝΕΠΙΣΤΗΜΙΟΥ', createdAt: new Date(1000) });
    // Written without accents: SQLite's index ignores Latin accents only (README).
    await setupBookmark(db, 'alice', { title: 'μια οδος στην αθηνα', createdAt: new Date(2000) });
    await setupBookmark(db, 'alice', { title: 'Other', createdAt: new Date(3000) });
    for (const search of ['ΟΔΟΣ', 'οδος', 'Οδος', 'οδοσ']) expect(await titles('alice', search)).toEqual(['μια οδος στην αθηνα', 'ΟΔΟΣ ΠΑΝΕΠΙΣΤΗΜΙΟΥ']);
    expect(await titles('alice', '"ΟΔΟΣ ΠΑΝΕΠΙΣΤΗΜΙΟΥ"')).toEqual(['ΟΔΟΣ ΠΑΝΕΠΙΣΤΗΜΙΟΥ']);
    expect(await titles('alice', '-ΟΔΟΣ')).toEqual(['Other']);
    // Σ before a digit: JavaScript lowercases it to ς (no letter follows), PostgreSQL to σ.
    await setupBookmark(db, 'alice', { title: 'ΤΥΠΟΣ2 μοντελο', createdAt: new Date(4000) });
    for (const search of ['ΤΥΠΟΣ2', 'τυπος2', 'τυποσ2']) expect(await titles('alice', search)).toEqual(['ΤΥΠΟΣ2 μοντελο']);
  });

  it('ignores a combining mark typed as a word of its own, as it ignores punctuation, on both engines', async () => {
    await setupBookmark(db, 'alice', { url: 'https://zebra.test/', title: 'Zebra crossing', createdAt: new Date(1000) });
    await setupBookmark(db, 'alice', { url: 'https://other.test/', title: 'Other', tags: ['\u0301'], createdAt: new Date(2000) });
    // FTS5 found nothing for the mark where PostgreSQL's parser dropped it: neither nothing nor a word.
    expect(await titles('alice', '\u0301')).toEqual(['Other', 'Zebra crossing']);
    expect(await titles('alice', 'zebra \u0308')).toEqual(['Zebra crossing']);
    expect(await titles('alice', '"zebra \u0301" -\u0308')).toEqual(['Zebra crossing']);
    // Nine marks took the eight terms a search holds and left the word out.
    const marks = '\u0301 \u0308 \u0300 \u0302 \u0303 \u0304 \u0305 \u0306 \u0307';
    expect(await titles('alice', `${marks} crossing`)).toEqual(['Zebra crossing']);
    // A tag of a mark alone (the form keeps one) is found by the exact test on the rows, not through the index.
    expect(await titles('alice', '#\u0301')).toEqual(['Other']);
    expect(await titles('alice', '-#\u0301')).toEqual(['Zebra crossing']);
  });

  it('ignores a number that is no digit (①, ½, ²) typed as a word of its own, which PostgreSQL’s parser drops, on both engines', async () => {
    await setupBookmark(db, 'alice', { url: 'https://zebra.test/', title: 'Zebra crossing', createdAt: new Date(1000) });
    await setupBookmark(db, 'alice', { url: 'https://other.test/', title: 'Step ① add ½ cup', createdAt: new Date(2000) });
    // SQLite found the one bookmark holding it where PostgreSQL found every one: now both read no word.
    expect(await titles('alice', '①')).toEqual(['Step ① add ½ cup', 'Zebra crossing']);
    expect(await titles('alice', '½ zebra')).toEqual(['Zebra crossing']);
    expect(await titles('alice', '-① -"½"')).toEqual(['Step ① add ½ cup', 'Zebra crossing']);
    // Nine of them took the eight terms a search holds and left the word out.
    expect(await titles('alice', '① ② ③ ④ ⑤ ⑥ ⑦ ⑧ ⑨ crossing')).toEqual(['Zebra crossing']);
  });

  it.each([
    ['pinterest.com', ['https://pinterest.com/board', 'https://github.com/repo', 'https://mail.test/']],
    ['e-mail', ['https://email.test/x', 'https://example.test/', 'https://mailbox.test/']],
  ])('-%s leaves out exactly what %s finds: together they are every bookmark', async (term, urls) => {
    for (const [i, url] of urls.entries()) await setupBookmark(db, 'alice', { url, title: `B${i}${i === 0 ? ` ${term}` : ''}`, createdAt: new Date(1000 * (i + 1)) });
    const found = await titles('alice', term);
    expect(found).toEqual([`B0 ${term}`]);
    expect(await titles('alice', `-${term}`)).toEqual(['B2', 'B1']);
  });

  it('finds a tag typed with invisible characters or fullwidth letters', async () => {
    await setupBookmark(db, 'alice', { title: 'Tagged web', tags: ['web'] });
    await setupBookmark(db, 'alice', { title: 'Tagged dev', tags: ['dev'] });
    expect(await titles('alice', '#w\u200Beb')).toEqual(['Tagged web']);
    expect(await titles('alice', '#ｗｅｂ')).toEqual(['Tagged web']);
    expect(await titles('alice', '-#\u202Eweb')).toEqual(['Tagged dev']);
  });

  it('supports phrases, tags and exclusions', async () => {
    await setupBookmark(db, 'alice', { title: 'Exact phrase here', tags: ['web-dev'] });
    await setupBookmark(db, 'alice', { title: 'phrase exact reversed', tags: ['web'] });
    expect(await titles('alice', '"exact phrase"')).toEqual(['Exact phrase here']);
    expect(await titles('alice', '#web')).toEqual(['phrase exact reversed']);
    expect(await titles('alice', '#web-dev')).toEqual(['Exact phrase here']);
    expect(await titles('alice', 'phrase -reversed')).toEqual(['Exact phrase here']);
    expect(await titles('alice', 'phrase -#web')).toEqual(['Exact phrase here']);
  });

  it('matches a phrase within one field, never across two', async () => {
    await setupBookmark(db, 'alice', { url: 'https://docs.example/decorators', title: 'Decorators explained', tags: ['python'], description: 'Tutorial on wrapping functions' });
    await setupBookmark(db, 'alice', { url: 'https://a.example/', title: 'Something else', tags: ['python', 'tutorial'] });
    expect(await titles('alice', '"python tutorial"')).toEqual(['Something else']);
    expect(await titles('alice', '"decorators python"')).toEqual([]);
    expect(await titles('alice', '"explained https"')).toEqual([]);
    expect(await titles('alice', '"decorators explained"')).toEqual(['Decorators explained']);
    expect(await titles('alice', '"docs example decorators"')).toEqual(['Decorators explained']);
    expect(await titles('alice', '"wrapping functions" -"something else"')).toEqual(['Decorators explained']);
    expect(await titles('alice', '-"explained https"')).toHaveLength(2);
  });

  it('finds a word of hundreds of characters, such as Japanese written without punctuation', async () => {
    await setupBookmark(db, 'alice', { url: 'https://jp.example/', title: 'Japanese notes', description: 'にほんご'.repeat(175) });
    await setupBookmark(db, 'alice', { url: 'https://jp2.example/', title: 'Short', description: 'にほんご'.repeat(100) });
    expect((await titles('alice', 'にほんご')).sort()).toEqual(['Japanese notes', 'Short']);
  });

  it('finds the words of a field of more than 250 characters, across its 250th, with no long word in it', async () => {
    // 22 clauses of 11 characters (242), then one of 10 from the 243rd to the 252nd.
    const description = `${'あいうえおかきくけこ、'.repeat(22)}東京都千代田区丸の内、おわり`;
    await setupBookmark(db, 'alice', { url: 'https://jp.example/', title: 'Tokyo office', description });
    const title = `${'Lorem–'.repeat(41)}Mississippi–river`; // "Mississippi" across the 250th character
    await setupBookmark(db, 'alice', { url: 'https://en.example/', title });
    expect(await titles('alice', '東京都千代田区丸の内')).toEqual(['Tokyo office']);
    expect(await titles('alice', '"東京都千代田区丸の内 おわり"')).toEqual(['Tokyo office']);
    expect(await titles('alice', 'mississippi')).toEqual([title]);
  });

  it('leaves out an excluded phrase, not each of its words', async () => {
    for (const title of ['City guide: New York', 'City guide: York Minster', 'City guide: Newcastle']) await setupBookmark(db, 'alice', { title });
    expect((await titles('alice', 'city -"new york"')).sort()).toEqual(['City guide: Newcastle', 'City guide: York Minster']);
    expect(await titles('alice', '-"new york"')).toHaveLength(2);
    expect(await titles('alice', 'city -"york minster" -new')).toEqual([]);
  });

  it('never returns or counts another owner\'s bookmarks', async () => {
    await setupBookmark(db, 'alice', { title: 'Shared word' });
    await setupBookmark(db, 'bob', { title: 'Shared word' });
    // Owners whose subs tokenize alike must still be kept apart.
    await setupBookmark(db, 'auth0|abc', { title: 'Shared word' });
    await setupBookmark(db, 'auth0-abc', { title: 'Shared word' });
    for (const owner of ['alice', 'bob', 'auth0|abc', 'auth0-abc']) {
      const page = await searchBookmarks(db, owner, parseSearch('shared'));
      expect(page.total).toBe(1);
      expect(page.items.map((b) => b.ownerSub)).toEqual([owner]);
    }
  });

  it.each([
    '"', '""', '"*', '*', '(', ')', 'a OR', 'NOT', 'AND b', 'NEAR(', '^a', 'a:b', '{title}:x', '%', '_',
    "' OR 1=1 --", '\\', '\u0000', '🙂', 'x'.repeat(5000), '"a" "b', '-', '--', '-"', '#', '-#', '##a',
  ])('treats %j as plain text: no error', async (text) => {
    await setupBookmark(db, 'alice', { title: 'Something' });
    await expect(searchBookmarks(db, 'alice', parseSearch(text))).resolves.toMatchObject({ items: expect.any(Array), total: expect.any(Number) });
  });

  it('pages with a keyset cursor without skipping or repeating', async () => {
    for (let i = 0; i < 7; i++) await setupBookmark(db, 'alice', { title: `Item ${i}`, createdAt: new Date(1000 + (i % 3)) });
    const seen: string[] = [];
    let after: Cursor | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page = await searchBookmarks(db, 'alice', parseSearch(''), after, 3);
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
