import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeEntities, MAX_FOLDERS, MAX_TAGS, nameToTag, netscapeFile, parseNetscape, TooManyEntriesError, type ExportItem } from '../../src/transfer/netscape.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('parseNetscape', () => {
  it('reads Chrome\'s dialect: nested folders, ADD_DATE, entities, non-ASCII', () => {
    const entries = parseNetscape(fixture('chrome-bookmarks.html'));
    expect(entries).toHaveLength(9);
    const drizzle = entries.find((e) => e.url.includes('drizzle'))!;
    expect(drizzle.title).toBe('Drizzle ORM & SQLite — Overview');
    expect(drizzle.folders).toEqual(['Dev Tools']);
    expect(drizzle.addDate?.toISOString()).toBe('2023-04-01T00:00:00.000Z');
    const node = entries.find((e) => e.url.includes('nodejs'))!;
    expect(node.folders).toEqual(['Dev Tools', 'Node.js']);
    expect(entries.find((e) => e.url.includes('wikipedia'))?.title).toBe('日本 - Wikipedia');
    expect(entries.find((e) => e.url.includes('tagesschau'))?.folders).toEqual([]);
    expect(entries.find((e) => e.url.startsWith('https://example.com/'))?.title).toBe("<script>alert(1)</script> 'quoted' 😀");
    expect(entries.find((e) => e.url.startsWith('javascript:'))?.url).toBe('javascript:(function(){alert("bookmarklet")})()');
  });

  it('reads Firefox\'s dialect: TAGS, SHORTCUTURL, ICON, LAST_MODIFIED, DD descriptions, nested folders, escaped titles', () => {
    const entries = parseNetscape(fixture('firefox-bookmarks.html'));
    expect(entries.map((e) => e.title)).toEqual([
      'Get Help', 'Crème brûlée : la meilleure recette', 'Tarte "Tatin" & co <3 > l\'autre', 'GitHub', 'Most Visited', 'Example with query', 'Broken',
    ]);
    const recipe = entries[1]!;
    expect(recipe.tags).toEqual(['dessert', 'french']);
    expect(recipe.folders).toEqual(['Recettes de cuisine']);
    const tart = entries[2]!;
    expect(tart.folders).toEqual(['Recettes de cuisine', 'Pâtisserie & desserts', 'Tartes']);
    expect(tart.url).toBe('https://tartes.example/tatin?x=1&y=2');
    expect(tart.addDate?.toISOString()).toBe('2022-06-23T16:00:00.000Z');
    expect(entries[3]!.tags).toEqual(['code', 'Git Hub']);
    expect(entries[3]!.folders).toEqual([]);
    expect(entries[5]!.url).toBe('http://example.org/path?q=1&r=2');
  });

  it('reads Safari\'s dialect: no dates, FOLDED folders, the Reading List', () => {
    const entries = parseNetscape(fixture('safari-bookmarks.html'));
    expect(entries.map((e) => [e.title, e.folders.at(-1)])).toEqual([
      ['Apple', undefined],
      ['SBB — Swiss Federal Railways', 'Travel Plans'],
      ['Kyōto travel guide', 'Travel Plans'],
      ['Tom & Jerry\'s "long" read <for later>', 'Reading List'],
    ]);
    expect(entries.every((e) => e.addDate === null)).toBe(true);
  });

  it('never throws on garbage', () => {
    for (const text of ['', '<dl><dl></dl></dl></dl>', '<a href=x>', '<A HREF="', '<H3>unterminated', '\u0000'.repeat(100)]) {
      expect(() => parseNetscape(text)).not.toThrow();
    }
  });
});

describe('tolerant reading', () => {
  const read = (html: string) => parseNetscape(html).map((entry) => [entry.url, entry.title]);

  it.each([
    ['the next item', '<DL><DT><A HREF="https://a.example/">A<DT><A HREF="https://b.example/">B</A></DL>'],
    ['the next list', '<DL><DT><A HREF="https://a.example/">A<DL><DT><A HREF="https://b.example/">B</A></DL></DL>'],
    ['the end of its list', '<DL><DT><A HREF="https://a.example/">A</DL><DL><DT><A HREF="https://b.example/">B</DL>'],
  ])('a link without </A> ends at %s, and the next one is read', (_, html) => {
    expect(read(html)).toEqual([['https://a.example/', 'A'], ['https://b.example/', 'B']]);
  });

  it('a link without </A> at the end of the file is still read', () => {
    expect(read('<DL><DT><A HREF="https://a.example/">A')).toEqual([['https://a.example/', 'A']]);
  });

  it('a heading without </H3> names the list that follows', () => {
    expect(parseNetscape('<DL><DT><H3>Work<DL><DT><A HREF="https://a.example/">A</A></DL></DL>')[0]?.folders).toEqual(['Work']);
  });

  it('reads a quoted ">" as part of the attribute, and markup inside a title as text around tags', () => {
    expect(read('<DT><A HREF="https://a.example/?x>y">A <b>bold</b> &amp; <i>more</i></A>')).toEqual([['https://a.example/?x>y', 'A bold & more']]);
  });

  it('an unclosed <TITLE>, or a <script> or <plaintext> in a title, does not swallow the rest of the file', () => {
    const html = '<TITLE>Bookmarks<DL><DT><A HREF="https://a.example/">A <script> tag</A><DT><A HREF="https://b.example/"><plaintext>B</A></DL>';
    // The text around the tag, its spaces as they were (two, as textContent reads them).
    expect(read(html)).toEqual([['https://a.example/', 'A  tag'], ['https://b.example/', 'B']]);
  });

  it('skips links inside comments', () => {
    expect(read('<DL><!-- <DT><A HREF="https://old.example/">Old</A> --><DT><A HREF="https://a.example/">A</A></DL>')).toEqual([['https://a.example/', 'A']]);
  });

  it(`keeps the outermost ${MAX_FOLDERS} folder names of a deeper nesting`, () => {
    const depth = MAX_FOLDERS + 10;
    const names = Array.from({ length: depth }, (_, i) => `f${i}`);
    const html = `<DL>${names.map((name) => `<DT><H3>${name}</H3><DL>`).join('')}<DT><A HREF="https://deep.example/">Deep</A>${'</DL>'.repeat(depth)}</DL>`;
    expect(parseNetscape(html)[0]?.folders).toEqual(names.slice(0, MAX_FOLDERS));
  });

  it(`keeps the first ${MAX_TAGS} names of a longer TAGS attribute`, () => {
    const names = Array.from({ length: MAX_TAGS + 10 }, (_, i) => `t${i}`);
    expect(parseNetscape(`<DT><A HREF="https://a.example/" TAGS=" ,${names.join(', ,')}">A</A>`)[0]?.tags).toEqual(names.slice(0, MAX_TAGS));
  });

  it('stops with TooManyEntriesError past the entries the caller allows', () => {
    const links = (count: number) => '<DT><A HREF="https://a.example/">A</A>'.repeat(count);
    expect(parseNetscape(links(3), 3)).toHaveLength(3);
    expect(() => parseNetscape(links(4), 3)).toThrow(TooManyEntriesError);
  });
});

describe('folders as tags', () => {
  const list = (...items: string[]) => `<DL><p>${items.join('')}</DL><p>`;
  const folder = (name: string, ...items: string[]) => `<DT><H3>${name}</H3>${list(...items)}`;
  const marked = (attribute: string, name: string, ...items: string[]) => `<DT><H3 ${attribute}="true">${name}</H3>${list(...items)}`;
  const link = '<DT><A HREF="https://a.example/">A</A>';
  it.each([
    ['a top-level browser root is dropped', list(folder('Bookmarks bar', link)), []],
    ['a top-level "Menu" is the browser\'s root', list(folder('Menu', link)), []],
    ['Safari\'s top-level "Favorites", with no list around it', folder('Favorites', link), []],
    ['the user\'s own "Menu" inside a root becomes a tag', list(folder('Bookmarks bar', folder('Menu', link))), ['Menu']],
    ['the user\'s "Favorites", "Toolbar" and "Unfiled" nested anywhere', list(folder('Other bookmarks', folder('Favorites', folder('Toolbar', folder('Unfiled', link))))), ['Favorites', 'Toolbar', 'Unfiled']],
    ['the user\'s "Menu" under their own top-level folder', list(folder('Restaurants', folder('Menu', link))), ['Restaurants', 'Menu']],
    ['a marked toolbar root, in any language, at any depth', list(folder('Work', marked('PERSONAL_TOOLBAR_FOLDER', 'Lesezeichen-Symbolleiste', link))), ['Work']],
    ['a marked "Other Bookmarks" root', list(marked('UNFILED_BOOKMARKS_FOLDER', 'Weitere Lesezeichen', folder('Menu', link))), ['Menu']],
    ['a top-level folder of the user\'s own', list(folder('Dev Tools', link)), ['Dev Tools']],
  ])('%s', (_, html, folders) => {
    expect(parseNetscape(html).map((entry) => entry.folders)).toEqual([folders]);
  });

  it.each([
    ['Dev Tools', 'dev-tools'],
    ['Reading List', 'reading-list'],
    ['Recettes, cuisine', 'recettes-cuisine'],
    ['#Menu', 'menu'],
    ['  ', null],
  ])('the name %j becomes the tag %j', (name, tag) => {
    expect(nameToTag(name)).toBe(tag);
  });
});

/** The whole file for the bookmarks, written in batches of `batchSize`. */
async function fileOf(items: ExportItem[], batchSize = items.length): Promise<string> {
  const batches = Array.from({ length: Math.ceil(items.length / batchSize) }, (_, i) => items.slice(i * batchSize, (i + 1) * batchSize));
  let file = '';
  for await (const chunk of netscapeFile(batches)) file += chunk;
  return file;
}

describe('netscapeFile', () => {
  it('escapes and round-trips through the parser', async () => {
    const items = [
      {
        url: 'https://x.example/?a=1&b="2"',
        title: '<b>Tom & Jerry</b> “quotes”',
        description: '<i>Cat</i> & mouse </DL><DT><A HREF="https://evil.example/">x</A>',
        tags: ['a', 'b-c'],
        createdAt: new Date(1_700_000_000_000),
      },
      { url: 'https://y.example/', title: 'No description', tags: [], createdAt: new Date(1_700_000_000_000) },
    ];
    const html = await fileOf(items);
    // Written a batch at a time, it is the same file.
    expect(await fileOf(items, 1)).toBe(html);
    expect(html).not.toContain('<b>Tom');
    expect(html).not.toContain('<i>Cat');
    expect(html.match(/<DD>/g)).toHaveLength(1);
    const [entry, second] = parseNetscape(html);
    expect(entry).toEqual({
      url: items[0]!.url,
      title: items[0]!.title,
      description: items[0]!.description,
      tags: ['a', 'b-c'],
      folders: [],
      addDate: new Date(1_700_000_000_000),
    });
    expect(second).toMatchObject({ url: 'https://y.example/', description: '' });
  });

  it('decodes numeric and named entities and leaves unknown ones', () => {
    expect(decodeEntities('&amp;&#65;&#x42;&unknown;&#0;')).toBe('&AB&unknown;&#0;');
  });
});
