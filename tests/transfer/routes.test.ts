import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { exportBookmarks } from '../../src/bookmarks/queries.js';
import { searchBookmarks } from '../../src/bookmarks/search-queries.js';
import { parseSearch } from '../../src/bookmarks/search.js';
import { html, HTMX, SAME_ORIGIN, setupBookmark, useSignedInApp } from '../helpers.js';

const t = useSignedInApp();

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const all = (owner: string) => searchBookmarks(t.app.db, owner, parseSearch(''), null, 1000).items;

function upload(content: Buffer | string, cookie: string, extraHeaders: Record<string, string> = SAME_ORIGIN) {
  const boundary = '----bookmarks-test-boundary';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bookmarks.html"\r\nContent-Type: text/html\r\n\r\n`),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return t.app.inject({
    method: 'POST',
    url: '/import',
    headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}`, ...extraHeaders },
    payload,
  });
}

describe('import', () => {
  it('the import page works without JavaScript (multipart form) and links from the dashboard', async () => {
    const dashboard = html((await t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: t.alice } })).body);
    expect(dashboard.querySelector('a[href="/import"]')).not.toBeNull();
    const page = html((await t.app.inject({ method: 'GET', url: '/import', headers: { cookie: t.alice } })).body);
    const formEl = page.querySelector('#import-form')!;
    expect(formEl.getAttribute('enctype')).toBe('multipart/form-data');
    expect(formEl.getAttribute('action')).toBe('/import');
  });

  it('imports Chrome\'s file: folders become tags, dates kept, bookmarklets and non-web addresses skipped, duplicates counted', async () => {
    const response = await upload(fixture('chrome-bookmarks.html'), t.alice);
    expect(response.statusCode).toBe(200);
    const summary = html(response.body).querySelector('.notice')!.textContent!.replace(/\s+/g, ' ');
    expect(summary).toContain('6 imported, 1 duplicate, 2 skipped (1 bookmarklet, 1 not a web address)');
    const drizzle = all('alice').find((b) => b.url.includes('drizzle'))!;
    expect(drizzle.tags).toBe('dev-tools');
    expect(drizzle.createdAt.toISOString()).toBe('2023-04-01T00:00:00.000Z');
    expect(all('alice').find((b) => b.url.includes('nodejs.org'))!.tags).toBe('dev-tools node.js');
    expect(all('alice').find((b) => b.url.includes('tagesschau'))!.tags).toBe('');
    expect(all('alice').find((b) => b.url.startsWith('https://example.com/'))!.title).toBe("<script>alert(1)</script> 'quoted' 😀");
    const dashboard = (await t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: t.alice } })).body;
    expect(dashboard).not.toContain('<script>alert(1)');
  });

  it('imports Firefox\'s TAGS and Safari\'s Reading List; a second import of the same file only counts duplicates', async () => {
    const firefox = await upload(fixture('firefox-bookmarks.html'), t.alice, HTMX);
    expect(firefox.statusCode).toBe(200);
    expect(firefox.body).not.toContain('<html');
    expect(all('alice').find((b) => b.url.includes('marmiton'))!.tags).toBe('recettes-de-cuisine dessert french');
    expect(all('alice').find((b) => b.url === 'https://github.com/')!.tags).toBe('code git-hub');
    const tart = all('alice').find((b) => b.url.includes('tatin'))!;
    expect(tart).toMatchObject({ title: 'Tarte "Tatin" & co <3 > l\'autre', tags: 'recettes-de-cuisine pâtisserie-&-desserts tartes' });

    await upload(fixture('safari-bookmarks.html'), t.alice);
    expect(all('alice').find((b) => b.url.includes('long-read'))).toMatchObject({ title: 'Tom & Jerry\'s "long" read <for later>', tags: 'reading-list' });
    expect(all('alice').find((b) => b.url.includes('sbb'))!.tags).toBe('travel-plans');

    const before = all('alice').length;
    const again = await upload(fixture('safari-bookmarks.html'), t.alice);
    expect(html(again.body).querySelector('.notice')!.textContent).toContain('0 imported, 4 duplicates');
    expect(all('alice')).toHaveLength(before);
    expect(all('bob')).toHaveLength(0);
  });

  it('a folder of the user\'s own named like a browser root ("Menu", "Favorites") becomes a tag; the browser\'s roots do not', async () => {
    const content = `<!DOCTYPE NETSCAPE-Bookmark-file-1>
<DL><p>
  <DT><H3 PERSONAL_TOOLBAR_FOLDER="true">Bookmarks bar</H3>
  <DL><p>
    <DT><H3>Restaurants</H3>
    <DL><p>
      <DT><H3>Menu</H3>
      <DL><p><DT><A HREF="https://menu.example/">Lunch menu</A></DL><p>
    </DL><p>
  </DL><p>
  <DT><H3>Favorites</H3>
  <DL><p><DT><A HREF="https://root.example/">At the root</A></DL><p>
</DL><p>`;
    expect((await upload(content, t.alice)).statusCode).toBe(200);
    expect(all('alice').find((b) => b.url === 'https://menu.example/')!.tags).toBe('restaurants menu');
    expect(all('alice').find((b) => b.url === 'https://root.example/')!.tags).toBe('');
  });

  it('answers 422 with the error next to the field for an empty or non-bookmark file, storing nothing', async () => {
    for (const content of ['', '<html><body>hello</body></html>']) {
      const response = await upload(content, t.alice);
      expect(response.statusCode).toBe(422);
      expect(html(response.body).querySelector('#import-file-error')).not.toBeNull();
    }
    const noFile = await t.app.inject({ method: 'POST', url: '/import', headers: { cookie: t.alice, ...SAME_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'x=1' });
    expect(noFile.statusCode).toBe(422);
    expect(all('alice')).toHaveLength(0);
  });

  it('refuses a file over 20 MB with 413 and a clear message, storing nothing', async () => {
    const entry = '<DT><A HREF="https://big.example/%d" ADD_DATE="1700000000">Big</A>\n';
    const content = `<DL><p>\n${entry.repeat(Math.ceil((21 * 1024 * 1024) / entry.length))}</DL>`;
    const response = await upload(content, t.alice);
    expect(response.statusCode).toBe(413);
    expect(html(response.body).querySelector('#import-file-error')?.textContent).toContain('20 MB');
    expect(all('alice')).toHaveLength(0);
  });

  /** What htmx does with a status, by the layout's responseHandling: the first rule whose code matches wins. */
  async function htmxSwaps(status: number): Promise<boolean> {
    const page = html((await t.app.inject({ method: 'GET', url: '/import', headers: { cookie: t.alice } })).body);
    const config = JSON.parse(page.querySelector('meta[name="htmx-config"]')!.getAttribute('content')!) as { responseHandling: { code: string; swap: boolean }[] };
    return config.responseHandling.find((rule) => new RegExp(`^${rule.code}$`).test(String(status)))?.swap ?? false;
  }

  function expectFormWithFileError(body: string, message: string): void {
    expect(body).not.toContain('<html');
    const fragment = html(body);
    const formEl = fragment.querySelector('form#import-form')!;
    expect(formEl).not.toBeNull();
    const field = fragment.querySelector('#import-file')!;
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toBe('import-file-error');
    expect(field.parentElement!.querySelector('#import-file-error')!.textContent).toContain(message);
  }

  it('with htmx, a file over 20 MB re-renders the form with the error as a status htmx swaps', async () => {
    const entry = '<DT><A HREF="https://big.example/" ADD_DATE="1700000000">Big</A>\n';
    const response = await upload(entry.repeat(Math.ceil((21 * 1024 * 1024) / entry.length)), t.alice, HTMX);
    expect(response.statusCode).toBe(422);
    expect(await htmxSwaps(response.statusCode)).toBe(true);
    expectFormWithFileError(response.body, '20 MB');
    expect(all('alice')).toHaveLength(0);
  });

  it('an unreadable upload is 400 with the form, and with htmx a status htmx swaps', async () => {
    const unreadable = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/import',
        headers: { cookie: t.alice, 'content-type': 'multipart/form-data', ...headers },
        payload: '--lost-boundary\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\n\r\n<A HREF="https://a.example/">a</A>\r\n--lost-boundary--\r\n',
      });
    const plain = await unreadable(SAME_ORIGIN);
    expect(plain.statusCode).toBe(400);
    expect(html(plain.body).querySelector('#import-file-error')!.textContent).toContain('could not be read');

    const fragment = await unreadable(HTMX);
    expect(fragment.statusCode).toBe(422);
    expect(await htmxSwaps(fragment.statusCode)).toBe(true);
    expectFormWithFileError(fragment.body, 'could not be read');
    expect(all('alice')).toHaveLength(0);
  });

  it('refuses a cross-site upload', async () => {
    const response = await upload(fixture('chrome-bookmarks.html'), t.alice, { 'sec-fetch-site': 'cross-site' });
    expect(response.statusCode).toBe(403);
    expect(all('alice')).toHaveLength(0);
  });

  it('imports 10,000 entries in one request', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `<DT><A HREF="https://site${i % 500}.example/page/${i}" ADD_DATE="${1_600_000_000 + i}">Page ${i} about topic ${i % 37}</A>`);
    const content = `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><H3>Research</H3>\n<DL><p>\n${lines.join('\n')}\n</DL><p>\n</DL><p>`;
    const started = performance.now();
    const response = await upload(content, t.alice);
    const elapsed = performance.now() - started;
    expect(response.statusCode).toBe(200);
    expect(html(response.body).querySelector('.notice')!.textContent).toContain('10000 imported');
    expect(searchBookmarks(t.app.db, 'alice', parseSearch('#research topic')).total).toBe(10_000);
    console.info(`import of 10,000 entries took ${elapsed.toFixed(0)} ms`);
  });
});

describe('export', () => {
  it('downloads every bookmark of the user, with tags, as a Netscape file', async () => {
    setupBookmark(t.app.db, 'alice', { url: 'https://a.example/', title: 'A & B', tags: ['x', 'y'] });
    setupBookmark(t.app.db, 'bob', { url: 'https://bob.example/', title: 'Bob' });
    const response = await t.app.inject({ method: 'GET', url: '/export', headers: { cookie: t.alice } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="bookmarks-\d{4}-\d{2}-\d{2}\.html"$/);
    expect(response.body).toContain('<!DOCTYPE NETSCAPE-Bookmark-file-1>');
    expect(response.body).toContain('TAGS="x,y"');
    expect(response.body).toContain('A &amp; B');
    expect(response.body).not.toContain('bob.example');
  });

  it('the file has the Netscape structure, read by an independent HTML parser', async () => {
    const saved = [
      setupBookmark(t.app.db, 'alice', { url: 'https://a.example/?x=1&y="2"', title: 'Tom & Jerry <3 \'quoted\'', tags: ['x', 'c++', 'émoji'], createdAt: new Date(1_700_000_000_999) }),
      setupBookmark(t.app.db, 'alice', { url: 'https://b.example/', title: 'No tags', tags: [], createdAt: new Date(1_600_000_000_000) }),
    ];
    const body = (await t.app.inject({ method: 'GET', url: '/export', headers: { cookie: t.alice } })).body;
    expect(body.split('\n')[0]).toBe('<!DOCTYPE NETSCAPE-Bookmark-file-1>');
    const doc = html(body);
    // The format's attribute names are upper case, which linkedom keeps as written.
    const attrs = (element: Element) => new Map([...element.attributes].map((a) => [a.name.toUpperCase(), a.value]));
    expect([...doc.querySelectorAll('meta')].map((meta) => attrs(meta).get('CONTENT'))).toContainEqual(expect.stringMatching(/charset=UTF-8/i));
    expect(doc.querySelector('title')?.textContent).toBe('Bookmarks');
    expect(doc.querySelector('h1')?.textContent).toBe('Bookmarks');

    const anchors = [...doc.querySelectorAll('a')];
    expect(anchors).toHaveLength(saved.length);
    const read = anchors.map((a) => {
      expect(a.parentElement?.tagName).toBe('DT');
      expect(a.parentElement?.closest('dl')).not.toBeNull();
      const values = attrs(a);
      expect([...values.keys()].sort()).toEqual(['ADD_DATE', 'HREF', 'TAGS']);
      expect(values.get('ADD_DATE')).toMatch(/^\d+$/);
      expect(values.get('TAGS')).toMatch(/^([^,\s]+(,[^,\s]+)*)?$/);
      return { url: values.get('HREF'), title: a.textContent, addDate: Number(values.get('ADD_DATE')), tags: values.get('TAGS') };
    });
    expect(read).toEqual(
      exportBookmarks(t.app.db, 'alice').map((b) => ({ url: b.url, title: b.title, addDate: Math.floor(b.createdAt.getTime() / 1000), tags: b.tags.join(',') })),
    );
    expect(read.map((entry) => entry.addDate)).toEqual([1_600_000_000, 1_700_000_000]);
    expect(read.map((entry) => entry.tags)).toEqual(['', 'x,c++,émoji']);
  });

  it('round trip: export, import into a fresh user, same set', async () => {
    await upload(fixture('chrome-bookmarks.html'), t.alice);
    await upload(fixture('firefox-bookmarks.html'), t.alice);
    await upload(fixture('safari-bookmarks.html'), t.alice);
    const exported = await t.app.inject({ method: 'GET', url: '/export', headers: { cookie: t.alice } });
    const result = await upload(exported.body, t.bob);
    expect(result.statusCode).toBe(200);
    const shape = (owner: string) =>
      exportBookmarks(t.app.db, owner).map((b) => ({ ...b, createdAt: Math.floor(b.createdAt.getTime() / 1000) }));
    expect(shape('bob')).toEqual(shape('alice'));
    expect(shape('alice').length).toBeGreaterThan(10);
  });

  it('requires sign-in', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/export' });
    expect(response.statusCode).toBe(303);
  });
});
