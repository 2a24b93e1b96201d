import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bookmarksOldestFirst, EXPORT_BATCH_ROWS } from '../../src/bookmarks/queries.js';
import { importBookmarks } from '../../src/bookmarks/commands.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { IMPORTS_AT_ONCE } from '../../src/transfer/routes.js';
import { as, html, HTMX, importFile, ownedBookmarks, parseFragment, SAME_ORIGIN, setupBookmark, signIn, useSignedInApp } from '../helpers.js';

const ctx = useSignedInApp();

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const all = async (owner: string) => (await searchBookmarks(ctx.app.db, owner, parseSearch(''), null, 1000)).items;
const find = async (owner: string, match: (url: string) => boolean) => (await all(owner)).find((b) => match(b.url));

/** Posts a file as the import form does; `htmx` sends it as htmx would, `headers` replace the defaults. */
function upload(content: Buffer | string, userName: string, options: { htmx?: boolean; headers?: Record<string, string> } = {}) {
  const file = importFile(content);
  const user = as(ctx, userName);
  return (options.htmx ? user.htmx : user).post('/import', undefined, { headers: { ...file.headers, ...options.headers }, payload: file.payload });
}

/** What htmx does with a status, by the layout's responseHandling: the first rule whose code matches wins. */
async function htmxSwaps(status: number): Promise<boolean> {
  const page = html((await as(ctx, 'alice').get('/import')).body);
  const config = JSON.parse(page.querySelector('meta[name="htmx-config"]')!.getAttribute('content')!) as { responseHandling: { code: string; swap: boolean }[] };
  return config.responseHandling.find((rule) => new RegExp(`^${rule.code}$`).test(String(status)))?.swap ?? false;
}

function expectFormWithFileError(body: string, message: string): void {
  expect(body).not.toContain('<html');
  const fragment = parseFragment(body);
  const formEl = fragment.querySelector('form#import-form')!;
  expect(formEl).not.toBeNull();
  const field = fragment.querySelector('#import-file')!;
  expect(field.getAttribute('aria-invalid')).toBe('true');
  expect(field.getAttribute('aria-describedby')).toBe('import-file-error');
  expect(field.parentElement!.querySelector('#import-file-error')!.textContent).toContain(message);
}

describe('import', () => {
  it('the import page works without JavaScript (multipart form) and links from the dashboard', async () => {
    const dashboard = html((await as(ctx, 'alice').get('/dashboard')).body);
    expect(dashboard.querySelector('a[href="/import"]')).not.toBeNull();
    const page = html((await as(ctx, 'alice').get('/import')).body);
    const formEl = page.querySelector('#import-form')!;
    expect(formEl.getAttribute('enctype')).toBe('multipart/form-data');
    expect(formEl.getAttribute('action')).toBe('/import');
  });

  it('imports Chrome\'s file: folders become tags, dates kept, bookmarklets and non-web addresses skipped, duplicates counted', async () => {
    const response = await upload(fixture('chrome-bookmarks.html'), 'alice');
    expect(response.statusCode).toBe(200);
    const summary = html(response.body).querySelector('.notice')!.textContent!.replace(/\s+/g, ' ');
    expect(summary).toContain('6 imported, 1 duplicate, 2 skipped (1 bookmarklet, 1 not a web address)');
    const drizzle = (await find('alice', (url) => url.includes('drizzle')))!;
    expect(drizzle.tags).toEqual(['dev-tools']);
    expect(drizzle.createdAt.toISOString()).toBe('2023-04-01T00:00:00.000Z');
    expect((await find('alice', (url) => url.includes('nodejs.org')))!.tags).toEqual(['dev-tools', 'node.js']);
    expect((await find('alice', (url) => url.includes('tagesschau')))!.tags).toEqual([]);
    expect((await find('alice', (url) => url.startsWith('https://example.com/')))!.title).toBe("<script>alert(1)</script> 'quoted' 😀");
    const dashboard = (await as(ctx, 'alice').get('/dashboard')).body;
    expect(dashboard).not.toContain('<script>alert(1)');
  });

  it('imports Firefox\'s TAGS and Safari\'s Reading List; a second import of the same file only counts duplicates', async () => {
    const firefox = await upload(fixture('firefox-bookmarks.html'), 'alice', { htmx: true });
    expect(firefox.statusCode).toBe(200);
    expect(firefox.body).not.toContain('<html');
    expect((await find('alice', (url) => url.includes('marmiton')))!.tags).toEqual(['recettes-de-cuisine', 'dessert', 'french']);
    expect((await find('alice', (url) => url === 'https://github.com/'))!.tags).toEqual(['code', 'git-hub']);
    const tart = (await find('alice', (url) => url.includes('tatin')))!;
    expect(tart).toMatchObject({ title: 'Tarte "Tatin" & co <3 > l\'autre', tags: ['recettes-de-cuisine', 'pâtisserie-&-desserts', 'tartes'] });

    await upload(fixture('safari-bookmarks.html'), 'alice');
    expect(await find('alice', (url) => url.includes('long-read'))).toMatchObject({ title: 'Tom & Jerry\'s "long" read <for later>', tags: ['reading-list'] });
    expect((await find('alice', (url) => url.includes('sbb')))!.tags).toEqual(['travel-plans']);

    const before = (await all('alice')).length;
    const again = await upload(fixture('safari-bookmarks.html'), 'alice');
    expect(html(again.body).querySelector('.notice')!.textContent).toContain('0 imported, 4 duplicates');
    expect(await all('alice')).toHaveLength(before);
    expect(await all('bob')).toHaveLength(0);
  });

  it('words each reason for skipping as its count reads', async () => {
    const links = ['javascript:a()', 'javascript:b()', 'ftp://a.example/', 'mailto:b@example.com', 'a.example/no-scheme', 'b.example/no-scheme', 'https://ok.example/'];
    const response = await upload(`<DL><p>${links.map((href) => `<DT><A HREF="${href}">${href}</A>`).join('')}</DL><p>`, 'alice');
    expect(response.statusCode).toBe(200);
    const summary = html(response.body).querySelector('.notice')!.textContent!.replace(/\s+/g, ' ');
    expect(summary).toContain('1 imported, 0 duplicates, 6 skipped (2 bookmarklets, 2 not web addresses, 2 invalid addresses).');
    const one = await upload('<DL><p><DT><A HREF="javascript:a()">a</A><DT><A HREF="ftp://a.example/">b</A><DT><A HREF="a.example/x">c</A></DL><p>', 'bob');
    expect(html(one.body).querySelector('.notice')!.textContent!.replace(/\s+/g, ' ')).toContain('0 imported, 0 duplicates, 3 skipped (1 bookmarklet, 1 not a web address, 1 invalid address).');
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
    expect((await upload(content, 'alice')).statusCode).toBe(200);
    expect((await find('alice', (url) => url === 'https://menu.example/'))!.tags).toEqual(['restaurants', 'menu']);
    expect((await find('alice', (url) => url === 'https://root.example/'))!.tags).toEqual([]);
  });

  it('reads a file in the encoding a browser would: UTF-16 by its byte-order mark, windows-1252 as its META says, or when it is not UTF-8', async () => {
    const file = (charset: string, title: string) =>
      `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=${charset}">\n<DL><p>\n<DT><A HREF="https://${charset.toLowerCase()}.example/">${title}</A>\n</DL><p>\n`;
    // Once "No bookmarks found", and U+FFFD for each accent.
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(file('UTF-16', 'Über 日本'), 'utf16le')]);
    expect((await upload(utf16, 'alice')).statusCode).toBe(200);
    // Accented letters of ISO-8859-1 are single bytes in windows-1252 too.
    expect((await upload(Buffer.from(file('windows-1252', 'Café'), 'latin1'), 'alice')).statusCode).toBe(200);
    expect((await upload(Buffer.from(file('UTF-8', 'Crème brûlée'), 'latin1'), 'alice')).statusCode).toBe(200);
    const titles = Object.fromEntries((await all('alice')).map((bookmark) => [bookmark.url, bookmark.title]));
    expect(titles).toEqual({ 'https://utf-16.example/': 'Über 日本', 'https://windows-1252.example/': 'Café', 'https://utf-8.example/': 'Crème brûlée' });
  });

  it('answers 422 with the error next to the field for an empty or non-bookmark file, storing nothing', async () => {
    for (const content of ['', '<html><body>hello</body></html>']) {
      const response = await upload(content, 'alice');
      expect(response.statusCode).toBe(422);
      expect(html(response.body).querySelector('#import-file-error')).not.toBeNull();
    }
    const noFile = await as(ctx, 'alice').post('/import', { x: '1' });
    expect(noFile.statusCode).toBe(422);
    expect(await all('alice')).toHaveLength(0);
  });

  it('says a chosen file is empty, where no file chosen is asked for', async () => {
    const empty = await upload('', 'alice');
    expect(empty.statusCode).toBe(422);
    expect(html(empty.body).querySelector('#import-file-error')?.textContent).toBe('That file is empty. Choose the HTML file your browser exported.');
    // A form sent without a file (no `required` in the browser) has a part with no file name.
    const boundary = '----bookmarks-test-boundary';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--${boundary}--\r\n`;
    const none = await as(ctx, 'alice').post('/import', undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(none.statusCode).toBe(422);
    expect(html(none.body).querySelector('#import-file-error')?.textContent).toBe('Choose a bookmarks file to import.');
    expect(await all('alice')).toHaveLength(0);
  });

  it('refuses a file over 20 MB with 413 and a clear message, storing nothing', async () => {
    const entry = '<DT><A HREF="https://big.example/%d" ADD_DATE="1700000000">Big</A>\n';
    const content = `<DL><p>\n${entry.repeat(Math.ceil((21 * 1024 * 1024) / entry.length))}</DL>`;
    const response = await upload(content, 'alice');
    expect(response.statusCode).toBe(413);
    expect(html(response.body).querySelector('#import-file-error')?.textContent).toContain('20 MB');
    expect(await all('alice')).toHaveLength(0);
  });

  it('with htmx, a file over 20 MB re-renders the form with the error as a status htmx swaps', async () => {
    const entry = '<DT><A HREF="https://big.example/" ADD_DATE="1700000000">Big</A>\n';
    const response = await upload(entry.repeat(Math.ceil((21 * 1024 * 1024) / entry.length)), 'alice', { htmx: true });
    expect(response.statusCode).toBe(422);
    expect(await htmxSwaps(response.statusCode)).toBe(true);
    expectFormWithFileError(response.body, '20 MB');
    expect(await all('alice')).toHaveLength(0);
  });

  const boundary = '----bookmarks-test-boundary';
  const sixFields = Array.from({ length: 6 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="field${i}"\r\n\r\nx\r\n`).join('');
  it.each([
    [
      'cut off, without its boundary',
      'multipart/form-data',
      '--lost-boundary\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\n\r\n<A HREF="https://a.example/">a</A>\r\n--lost-boundary--\r\n',
      'could not be read',
    ],
    // Not "larger than 20 MB", which @fastify/multipart's 413 for its count limits once read as.
    [
      'of more fields than the form sends',
      `multipart/form-data; boundary=${boundary}`,
      `${sixFields}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\n\r\n<A HREF="https://a.example/">a</A>\r\n--${boundary}--\r\n`,
      'That upload could not be read: send one bookmarks file, and nothing else.',
    ],
  ])('an upload %s is 400 with the form, and with htmx a status htmx swaps', async (_kind, contentType, payload, message) => {
    const options = { headers: { 'content-type': contentType }, payload };
    const plain = await as(ctx, 'alice').post('/import', undefined, options);
    expect(plain.statusCode).toBe(400);
    expect(html(plain.body).querySelector('#import-file-error')!.textContent).toContain(message);

    const fragment = await as(ctx, 'alice').htmx.post('/import', undefined, options);
    expect(fragment.statusCode).toBe(422);
    expect(await htmxSwaps(fragment.statusCode)).toBe(true);
    expectFormWithFileError(fragment.body, message);
    expect(await all('alice')).toHaveLength(0);
  });

  it('refuses a cross-site upload', async () => {
    const response = await upload(fixture('chrome-bookmarks.html'), 'alice', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(response.statusCode).toBe(403);
    expect(await all('alice')).toHaveLength(0);
  });

  it('imports 10,000 entries in one request', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `<DT><A HREF="https://site${i % 500}.example/page/${i}" ADD_DATE="${1_600_000_000 + i}">Page ${i} about topic ${i % 37}</A>`);
    const content = `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><H3>Research</H3>\n<DL><p>\n${lines.join('\n')}\n</DL><p>\n</DL><p>`;
    const started = performance.now();
    const response = await upload(content, 'alice');
    const elapsed = performance.now() - started;
    expect(response.statusCode).toBe(200);
    expect(html(response.body).querySelector('.notice')!.textContent).toContain('10,000 imported');
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch('#research topic'))).total).toBe(10_000);
    console.info(`import of 10,000 entries took ${elapsed.toFixed(0)} ms`);
  });
});

describe('imports taken at once', () => {
  const bookmarksFile = (name: string) => `<DL><p>\n<DT><A HREF="https://${name}.example/" ADD_DATE="1700000000">${name}</A>\n</DL>`;

  /**
   * An upload whose first bytes are sent and whose rest waits for send(): the import is
   * taken and its upload being read, as a large file over a slow line is. `read` says
   * whether the app has read any of it.
   */
  async function startUpload(userName: string, options: { htmx?: boolean } = {}) {
    const file = importFile(bookmarksFile(userName));
    const body = new PassThrough();
    body.write(file.payload.subarray(0, 100));
    const response = ctx.app.inject({
      method: 'POST',
      url: '/import',
      headers: { ...(options.htmx ? HTMX : SAME_ORIGIN), cookie: ctx.cookies[userName]!, ...file.headers },
      payload: body,
    });
    return { response, read: () => body.readableLength === 0, send: () => body.end(file.payload.subarray(100)) };
  }

  /** Until the app reads the upload's first bytes: its import has been taken by then. */
  async function untilRead(upload: { read(): boolean }): Promise<void> {
    await expect.poll(() => upload.read(), { timeout: 5_000, interval: 5 }).toBe(true);
  }

  it('one per user: a second import while the first is read is refused with the form and stores nothing, unread; another user imports meanwhile', async () => {
    const first = await startUpload('alice');
    await untilRead(first);
    const second = await startUpload('alice');
    const refused = await second.response;
    expect(refused.statusCode).toBe(409);
    expect(html(refused.body).querySelector('#import-file-error')!.textContent).toContain('Your last import is still running');
    expect(second.read()).toBe(false);
    const withHtmx = await startUpload('alice', { htmx: true });
    const refusedFragment = await withHtmx.response;
    expect(refusedFragment.statusCode).toBe(409);
    expect(await htmxSwaps(refusedFragment.statusCode)).toBe(true);
    expectFormWithFileError(refusedFragment.body, 'Your last import is still running');

    const bobs = await upload(bookmarksFile('bob'), 'bob');
    expect(bobs.statusCode).toBe(200);
    expect((await all('bob')).map((bookmark) => bookmark.url)).toEqual(['https://bob.example/']);
    expect(await all('alice')).toHaveLength(0);

    first.send();
    expect((await first.response).statusCode).toBe(200);
    expect((await all('alice')).map((bookmark) => bookmark.url)).toEqual(['https://alice.example/']);
    // Taken again once the first is done, and after a refused one as well as after a stored one.
    const again = await upload(bookmarksFile('again'), 'alice');
    expect(again.statusCode).toBe(200);
    expect(await all('alice')).toHaveLength(2);
  });

  it('at most IMPORTS_AT_ONCE in a process: the next is refused with 503, Retry-After and the form, before its upload is read', async () => {
    const users = Array.from({ length: IMPORTS_AT_ONCE + 1 }, (_, index) => `importer-${index}`);
    for (const user of users) ctx.cookies[user] ??= await signIn(ctx.app, user);
    const taken = [];
    for (const user of users.slice(0, IMPORTS_AT_ONCE)) {
      taken.push(await startUpload(user));
      await untilRead(taken.at(-1)!);
    }
    const last = users.at(-1)!;
    const over = await startUpload(last);
    const refused = await over.response;
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('30');
    expect(html(refused.body).querySelector('#import-file-error')!.textContent).toContain('Other imports are running');
    expect(over.read()).toBe(false);
    const overWithHtmx = await (await startUpload(last, { htmx: true })).response;
    expect(overWithHtmx.statusCode).toBe(422);
    expectFormWithFileError(overWithHtmx.body, 'Other imports are running');
    expect(await all(last)).toHaveLength(0);

    for (const held of taken) held.send();
    for (const held of taken) expect((await held.response).statusCode).toBe(200);
    expect(await upload(bookmarksFile(last), last).then((response) => response.statusCode)).toBe(200);
    for (const user of users) expect((await all(user)).map((bookmark) => bookmark.url)).toEqual([`https://${user}.example/`]);
  });
});

describe('export', () => {
  it('downloads every bookmark of the user, with tags, as a Netscape file', async () => {
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://a.example/', title: 'A & B', tags: ['x', 'y'] });
    await setupBookmark(ctx.app.db, 'bob', { url: 'https://bob.example/', title: 'Bob' });
    const response = await as(ctx, 'alice').get('/export');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="bookmarks-\d{4}-\d{2}-\d{2}\.html"$/);
    expect(response.body).toContain('<!DOCTYPE NETSCAPE-Bookmark-file-1>');
    expect(response.body).toContain('TAGS="x,y"');
    expect(response.body).toContain('A &amp; B');
    expect(response.body).not.toContain('bob.example');
  });

  it('the file has the Netscape structure, read by an independent HTML parser', async () => {
    const saved = [
      await setupBookmark(ctx.app.db, 'alice', { url: 'https://a.example/?x=1&y="2"', title: 'Tom & Jerry <3 \'quoted\'', tags: ['x', 'c++', 'émoji'], createdAt: new Date(1_700_000_000_999) }),
      await setupBookmark(ctx.app.db, 'alice', { url: 'https://b.example/', title: 'No tags', tags: [], createdAt: new Date(1_600_000_000_000) }),
    ];
    const body = (await as(ctx, 'alice').get('/export')).body;
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
      (await ownedBookmarks(ctx.app.db, 'alice')).map((b) => ({ url: b.url, title: b.title, addDate: Math.floor(b.createdAt.getTime() / 1000), tags: b.tags.join(',') })),
    );
    expect(read.map((entry) => entry.addDate)).toEqual([1_600_000_000, 1_700_000_000]);
    expect(read.map((entry) => entry.tags)).toEqual(['', 'x,c++,émoji']);
  });

  it('round trip: export, import into a fresh user, same set', async () => {
    await upload(fixture('chrome-bookmarks.html'), 'alice');
    await upload(fixture('firefox-bookmarks.html'), 'alice');
    await upload(fixture('safari-bookmarks.html'), 'alice');
    const exported = await as(ctx, 'alice').get('/export');
    const result = await upload(exported.body, 'bob');
    expect(result.statusCode).toBe(200);
    const shape = async (owner: string) =>
      (await ownedBookmarks(ctx.app.db, owner)).map((b) => ({ url: b.url, title: b.title, tags: b.tags, createdAt: Math.floor(b.createdAt.getTime() / 1000) }));
    expect(await shape('bob')).toEqual(await shape('alice'));
    expect((await shape('alice')).length).toBeGreaterThan(10);
  });

  it('round trip: a title keeps its spaces exactly as saved (two in a row, no-break, ideographic, a line separator)', async () => {
    const titles = ['Two  spaces', 'Recette\u00a0: tarte', '日本\u3000語', 'line\u2028sep'];
    for (const [i, title] of titles.entries()) {
      expect((await as(ctx, 'alice').post('/bookmarks', { url: `https://a.example/${i}`, title, description: '', tags: '' })).statusCode).toBe(303);
    }
    const stored = (await ownedBookmarks(ctx.app.db, 'alice')).map((b) => b.title);
    expect([...stored].sort()).toEqual([...titles].sort());
    expect((await upload((await as(ctx, 'alice').get('/export')).body, 'bob')).statusCode).toBe(200);
    expect((await ownedBookmarks(ctx.app.db, 'bob')).map((b) => b.title)).toEqual(stored);
  });

  it('reads the bookmarks a batch at a time, oldest first, each once, whatever dates they share', async () => {
    // Three to a date: batches of four end between bookmarks of one date, and the last one is empty.
    const candidates = Array.from({ length: 12 }, (_, i) => ({ url: `https://batch.example/${i}`, title: `Batch ${i}`, tags: [], createdAt: new Date(1_600_000_000_000 + Math.floor(i / 3) * 1000) }));
    await importBookmarks(ctx.app.db, 'alice', [...candidates].reverse());
    await setupBookmark(ctx.app.db, 'bob', { url: 'https://batch.example/bob', createdAt: new Date(1_600_000_001_000) });
    const batches: string[][] = [];
    for await (const batch of bookmarksOldestFirst(ctx.app.db, 'alice', 4)) batches.push(batch.map((bookmark) => bookmark.url));
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 4]);
    const urls = batches.flat();
    expect(new Set(urls).size).toBe(12);
    // By date, then by id: stored in reverse, the last of each date has the lowest id.
    expect(urls).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9].map((i) => `https://batch.example/${i}`));
  });

  it('one export per user at a time: another while the first is downloading answers 409 with the message; others and the next one download', async () => {
    const rows = 2 * EXPORT_BATCH_ROWS + 10;
    await importBookmarks(ctx.app.db, 'alice', Array.from({ length: rows }, (_, i) => ({ url: `https://many.example/${i}`, title: `Many ${i}`, tags: ['many'], createdAt: new Date(1_600_000_000_000 + i * 1000) })));
    await setupBookmark(ctx.app.db, 'bob', { url: 'https://bob.example/' });
    // Not read yet: the browser is still downloading it, and the app waits for it to.
    const first = await ctx.app.inject({ method: 'GET', url: '/export', headers: { ...SAME_ORIGIN, cookie: ctx.cookies.alice! }, payloadAsStream: true });
    expect(first.statusCode).toBe(200);

    const second = await as(ctx, 'alice').get('/export');
    expect(second.statusCode).toBe(409);
    expect(html(second.body).querySelector('[role="alert"]')!.textContent).toContain('Your last export is still downloading');
    const bobs = await as(ctx, 'bob').get('/export');
    expect(bobs.statusCode).toBe(200);
    expect(html(bobs.body).querySelectorAll('a')).toHaveLength(1);

    const chunks: Buffer[] = [];
    for await (const chunk of first.stream()) chunks.push(chunk as Buffer);
    const file = Buffer.concat(chunks).toString('utf8');
    expect(html(file).querySelectorAll('a')).toHaveLength(rows);
    expect(file.endsWith('</DL><p>\n')).toBe(true);
    const next = await as(ctx, 'alice').get('/export');
    expect(next.statusCode).toBe(200);
    expect(next.body).toBe(file);
  });

  it('HEAD answers the headers alone and leaves the download free at once', async () => {
    await importBookmarks(ctx.app.db, 'alice', Array.from({ length: 3 * EXPORT_BATCH_ROWS }, (_, i) => ({ url: `https://head.example/${i}`, title: `Head ${i}`, tags: [], createdAt: null })));
    const head = await ctx.app.inject({ method: 'HEAD', url: '/export', headers: { ...SAME_ORIGIN, cookie: ctx.cookies.alice! } });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-disposition']).toMatch(/^attachment; filename="bookmarks-/);
    expect(head.body).toBe('');
    const download = await as(ctx, 'alice').get('/export');
    expect(download.statusCode).toBe(200);
    expect(html(download.body).querySelectorAll('a')).toHaveLength(3 * EXPORT_BATCH_ROWS);
  });

  it('an export the browser drops halfway ends, and the next one downloads', async () => {
    const rows = 5 * EXPORT_BATCH_ROWS;
    await importBookmarks(ctx.app.db, 'alice', Array.from({ length: rows }, (_, i) => ({ url: `https://dropped.example/${i}/${'x'.repeat(200)}`, title: `Dropped ${i}`, tags: [], createdAt: null })));
    const address = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const firstBytes = await new Promise<number>((resolve, reject) => {
        const request = get(`${address}/export`, { headers: { ...SAME_ORIGIN, cookie: ctx.cookies.alice! } }, (response) => {
          response.once('data', (chunk: Buffer) => {
            request.destroy();
            resolve(chunk.length);
          });
        });
        request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
      });
      expect(firstBytes).toBeGreaterThan(0);
      let next: { statusCode: number; body: string } | undefined;
      await expect
        .poll(async () => (next = await as(ctx, 'alice').get('/export')).statusCode, { timeout: 5_000, interval: 20 })
        .toBe(200);
      expect(html(next!.body).querySelectorAll('a')).toHaveLength(rows);
    } finally {
      await ctx.app.server.close();
    }
  });

  it('requires sign-in', async () => {
    const response = await as(ctx, null).get('/export');
    expect(response.statusCode).toBe(303);
  });
});
