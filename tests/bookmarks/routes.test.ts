import { beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeCursor, searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { MAX_SEARCH_TERMS, parseSearch } from '../../src/bookmarks/search-syntax.js';
import { LIST_COUNT_UP_TO, LIST_PAGE_SIZE } from '../../src/bookmarks/routes.js';
import { insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { as, html, HTMX, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

const ctx = useSignedInApp();

const count = async (owner: string) => (await searchBookmarks(ctx.app.db, owner, parseSearch(''))).total;

describe('GET /dashboard', () => {
  it('renders the add form, the search box and the empty state', async () => {
    const response = await as(ctx, 'alice').get('/dashboard');
    expect(response.statusCode).toBe(200);
    const page = html(response.body);
    for (const name of ['url', 'title', 'tags']) expect(page.querySelector(`#bookmark-form [name="${name}"]`)).not.toBeNull();
    // The box's form sends it, as typed (after a pause) and at Enter.
    const search = page.querySelector('form#search-form:has(input[name="q"])')!;
    expect(search.getAttribute('hx-get')).toBe('/bookmarks/search');
    expect(search.getAttribute('hx-trigger')).toBe('submit, input changed delay:300ms');
    expect(page.querySelector('.empty-state h3')?.textContent).toBe('No bookmarks yet');
  });

  it('shows each address as a person reads it, decoded, and links to the address itself', async () => {
    const addresses = [
      ['https://ja.example.jp/%E6%9D%B1%E4%BA%AC?q=%E6%97%A5%E6%9C%AC#top', 'https://ja.example.jp/東京?q=日本#top'],
      // What would change the address's meaning stays encoded; bidi and control characters decoded into it are cleaned out.
      ['https://a.example/x%2Fy?a=b%26c=d', 'https://a.example/x%2Fy?a=b%26c=d'],
      ['https://b.example/%E2%80%AEtxt.exe%0A', 'https://b.example/txt.exe'],
      // Not UTF-8 once decoded: as stored.
      ['https://c.example/%FF', 'https://c.example/%FF'],
      ['https://xn--bcher-kva.example/', 'https://xn--bcher-kva.example/'],
      // A user name is never decoded: "accounts.google.com∕signin@" would read as another host and path.
      ['https://accounts.google.com%E2%88%95signin@evil.example/%E6%9D%B1', 'https://accounts.google.com%E2%88%95signin@evil.example/東'],
    ];
    for (const [url, shown] of addresses) {
      await setupBookmark(ctx.app.db, 'alice', { url, title: shown });
      const page = html((await as(ctx, 'alice').get('/dashboard')).body);
      const card = page.querySelector('.card')!;
      expect(card.querySelector('.card-url')?.textContent).toBe(shown);
      expect(card.querySelector('.card-title')?.getAttribute('href')).toBe(url);
    }
  });

  it('lists only the signed-in user\'s bookmarks, newest first, with tag chips', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Older', tags: ['a', 'b'], createdAt: new Date(1000) });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Newer', createdAt: new Date(2000) });
    await setupBookmark(ctx.app.db, 'bob', { title: 'Bob private' });
    const page = html((await as(ctx, 'alice').get('/dashboard')).body);
    expect([...page.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Newer', 'Older']);
    expect([...page.querySelectorAll('.card .tags a')].map((t) => t.textContent)).toEqual(['a', 'b']);
    expect(page.querySelector('.list-summary')?.textContent?.trim()).toBe('2 bookmarks');
  });

  it('shows at most one page and a Load more link that works without JavaScript', async () => {
    for (let i = 0; i < LIST_PAGE_SIZE + 5; i++) await setupBookmark(ctx.app.db, 'alice', { title: `Item ${i}`, createdAt: new Date(10_000 + i) });
    const page = html((await as(ctx, 'alice').get('/dashboard')).body);
    expect(page.querySelectorAll('.card')).toHaveLength(LIST_PAGE_SIZE);
    const more = page.querySelector('.load-more a')!;
    expect(more.getAttribute('hx-trigger')).toContain('revealed');
    const href = more.getAttribute('href')!;
    const rest = await as(ctx, 'alice').htmx.get(href);
    const rows = parseFragment(rest.body);
    expect(rows.querySelectorAll('.card')).toHaveLength(5);
    expect(rows.querySelector('.load-more')).toBeNull();
    const plain = await as(ctx, 'alice').get(href);
    expect(html(plain.body).querySelectorAll('.card')).toHaveLength(5);
  });
});

describe('POST /bookmarks', () => {
  it('htmx: returns a cleared form and the refreshed list out of band', async () => {
    const response = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://drizzle.team/docs', title: 'Drizzle', tags: 'ORM, sql' });
    expect(response.statusCode).toBe(200);
    expect(response.headers.vary).toContain('HX-Request');
    const fragment = parseFragment(response.body);
    expect(fragment.querySelector('#bookmark-url')?.getAttribute('value')).toBe('');
    expect(fragment.querySelector('#bookmark-url')?.hasAttribute('autofocus')).toBe(true);
    expect(fragment.querySelector('#bookmark-list')?.getAttribute('hx-swap-oob')).toBe('true');
    expect(fragment.querySelector('.card-title')?.textContent).toBe('Drizzle');
    expect([...fragment.querySelectorAll('.card .tags a')].map((t) => t.textContent)).toEqual(['orm', 'sql']);
    expect(fragment.querySelector('#tag-cloud')?.getAttribute('hx-swap-oob')).toBe('true');
    expect(response.body).not.toContain('<html');
  });

  it('htmx: keeps the current search when refreshing the list', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Unrelated' });
    const response = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://a.example/', title: 'Kept', tags: '', q: 'kept' });
    const fragment = parseFragment(response.body);
    expect([...fragment.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Kept']);
  });

  it('htmx: a search holding a lone surrogate (a JSON body can) still links to its next page', async () => {
    for (let i = 0; i < LIST_PAGE_SIZE + 5; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://e.example/${i}`, title: `x ${i}` });
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/bookmarks',
      headers: { ...HTMX, cookie: ctx.cookies.alice, 'content-type': 'application/json' },
      payload: JSON.stringify({ url: 'https://new.example/', title: 'New', q: 'x\ud800' }),
    });
    expect(response.statusCode).toBe(200);
    const fragment = parseFragment(response.body);
    expect(fragment.querySelector('.load-more a')?.getAttribute('hx-get')).toContain('q=x&after=');
  });

  it('htmx: a bookmark the current search does not show is confirmed in a notice, which keeps listening for deletes', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Unrelated' });
    const response = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://hidden.example/', title: 'Hidden', tags: '', q: 'unrelated' });
    expect(response.statusCode).toBe(200);
    const fragment = parseFragment(response.body);
    expect([...fragment.querySelectorAll('#bookmark-list .card-title')].map((a) => a.textContent)).toEqual(['Unrelated']);
    // Into the region, not in its place: the page's own region, a live one, stays with its attributes and keeps listening.
    const notice = fragment.querySelector('#undo-notice')!;
    expect(notice.getAttribute('hx-swap-oob')).toBe('innerHTML');
    expect(notice.querySelector('.toast span')?.textContent).toBe('Saved “Hidden”, not shown by this search.');
    expect(notice.querySelector('.toast a')?.getAttribute('href')).toBe('/dashboard');
    expect(fragment.querySelector('#bookmark-form .form-saved')).toBeNull();
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch('hidden'))).items.map((b) => b.title)).toEqual(['Hidden']);

    // A bookmark the list shows needs no notice: whatever toast was showing stays.
    const shown = parseFragment((await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://shown.example/', title: 'Shown', tags: '', q: '' })).body);
    expect(shown.querySelector('#bookmark-list .card-title')?.textContent).toBe('Shown');
    expect(shown.querySelector('#undo-notice')).toBeNull();
    // A screen reader hears it from the dashboard's live region instead.
    const status = shown.querySelector('#list-status')!;
    expect(status.getAttribute('hx-swap-oob')).toBe('innerHTML');
    expect(status.textContent).toBe('Saved “Shown”.');
    expect(fragment.querySelector('#list-status')).toBeNull();
    // And the fresh form says it where the eye is, since on a phone the list is below the fold.
    expect(shown.querySelector('#bookmark-form .form-saved')?.textContent).toBe('Saved “Shown”.');
  });

  it('htmx: the notice of a bookmark saved out of sight keeps an Undo still pending beside it, and offers Show all only under a search', async () => {
    const doomed = await setupBookmark(ctx.app.db, 'alice', { title: 'Doomed' });
    await as(ctx, 'alice').htmx.delete(`/bookmarks/${doomed.id}`);
    const token = parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/undo-notice')).body).querySelector('input[name="token"]')!.getAttribute('value')!;
    // The add form sends the pending Undo's token along (bookmark-form.njk).
    expect(html((await as(ctx, 'alice').get('/dashboard')).body).querySelector('#bookmark-form')?.getAttribute('hx-include')).toBe('#search-input, #undo-notice [name=token]');
    const added = parseFragment((await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://out.example/', title: 'Out of sight', tags: '', q: 'nothing-matches', token })).body);
    const toasts = [...added.querySelectorAll('#undo-notice .toast')];
    expect(toasts.map((toast) => toast.querySelector('span')?.textContent)).toEqual(['Deleted “Doomed”.', 'Saved “Out of sight”, not shown by this search.']);
    expect(toasts[0]!.querySelector('input[name="token"]')?.getAttribute('value')).toBe(token);
    // Someone else's token, or one already used, keeps no Undo in the notice.
    const bobs = parseFragment((await as(ctx, 'bob').htmx.post('/bookmarks', { url: 'https://bob.example/', title: 'Bob’s', tags: '', q: 'nothing-matches', token })).body);
    expect([...bobs.querySelectorAll('#undo-notice .toast span')].map((span) => span.textContent)).toEqual(['Saved “Bob’s”, not shown by this search.']);

    // With no search, only an update dated below the first page is out of sight: nothing to show all of.
    const oldest = await setupBookmark(ctx.app.db, 'alice', { url: 'https://old.example/', title: 'Old', createdAt: new Date(1000) });
    for (let i = 0; i < LIST_PAGE_SIZE; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://new.example/${i}`, title: `New ${i}` });
    const updated = parseFragment((await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://old.example/', title: 'Old, renamed', tags: '', q: '', update: String(oldest.id) })).body);
    const notice = updated.querySelector('#undo-notice .toast')!;
    expect(notice.querySelector('span')?.textContent).toBe('Saved “Old, renamed”.');
    expect(notice.querySelector('a')).toBeNull();
  });

  it('plain form post: 303 to the dashboard', async () => {
    const response = await as(ctx, 'alice').post('/bookmarks', { url: 'https://example.org/', title: '', tags: '' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/dashboard');
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items[0]?.title).toBe('example.org');
  });

  it('reads an address typed without its scheme as https, as an address bar does; a bare word is still refused', async () => {
    const added = await as(ctx, 'alice').post('/bookmarks', { url: '  example.org/typed?q=1  ', title: 'Typed', tags: '' });
    expect(added.statusCode).toBe(303);
    const [saved] = (await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items;
    expect(saved?.url).toBe('https://example.org/typed?q=1');

    const edited = await as(ctx, 'alice').htmx.put(`/bookmarks/${saved!.id}`, { url: 'localhost:8080/notes', title: 'Typed', tags: '' });
    expect(edited.statusCode).toBe(200);
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items.map((b) => b.url)).toEqual(['https://localhost:8080/notes']);

    const refused = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'notes', title: 'x', tags: '' });
    expect(refused.statusCode).toBe(422);
    const fragment = parseFragment(refused.body);
    // The form's own message shows the shorter way too; the API's asks for the whole address.
    expect(fragment.querySelector('#bookmark-url-error')?.textContent).toBe('Enter a web address, such as example.com/page (only http:// or https:// addresses can be saved).');
    expect(fragment.querySelector('#bookmark-url')?.getAttribute('value')).toBe('notes');
    // Typed into a text field, not type=url: the browser's own check would refuse "example.org" before it was sent.
    expect(fragment.querySelector('#bookmark-url')?.getAttribute('type')).toBe('text');
    expect(await count('alice')).toBe(1);
  });

  it('htmx: invalid input answers 422 with the form and the error next to the field; nothing stored', async () => {
    const response = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'javascript:alert(1)', title: 'x', tags: '' });
    expect(response.statusCode).toBe(422);
    const fragment = parseFragment(response.body);
    expect(fragment.querySelector('#bookmark-url-error')?.textContent).toContain('http://');
    expect(fragment.querySelector('#bookmark-url')?.getAttribute('aria-invalid')).toBe('true');
    expect(fragment.querySelector('#bookmark-url')?.getAttribute('value')).toBe('javascript:alert(1)');
    expect(fragment.querySelector('#bookmark-title')?.getAttribute('value')).toBe('x');
    expect(await count('alice')).toBe(0);
  });

  it('plain form post: invalid input re-renders the full page with 422', async () => {
    const response = await as(ctx, 'alice').post('/bookmarks', { url: 'data:text/html,hi', title: '', tags: '' });
    expect(response.statusCode).toBe(422);
    const page = html(response.body);
    expect(page.querySelector('h1')?.textContent).toContain('Hello');
    expect(page.querySelector('#bookmark-url-error')).not.toBeNull();
    expect(await count('alice')).toBe(0);
  });

  it('escapes HTML in titles, tags and urls', async () => {
    await as(ctx, 'alice').post('/bookmarks', { url: 'https://x.example/?a="><script>alert(1)</script>', title: '<img src=x onerror=alert(1)>', tags: '<b>bold</b>' });
    const body = (await as(ctx, 'alice').get('/dashboard')).body;
    expect(body).not.toContain('<img src=x');
    expect(body).not.toContain('<script>alert');
    expect(body).not.toContain('<b>bold</b>');
    const page = html(body);
    expect(page.querySelector('.card-title')?.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(page.querySelector('.tags a')?.textContent).toBe('<b>bold</b>');
  });

  it('refuses a body over 64 KB with 413 and stores nothing', async () => {
    const response = await as(ctx, 'alice').post('/bookmarks', { url: 'https://a.example/', title: 'x'.repeat(70_000), tags: '' });
    expect(response.statusCode).toBe(413);
    expect(await count('alice')).toBe(0);
  });
});

describe('GET /bookmarks/search', () => {
  beforeEach(async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Drizzle ORM', createdAt: new Date(1000) });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Fastify', createdAt: new Date(2000) });
  });

  it('htmx: returns only the list fragment, with Vary: HX-Request', async () => {
    const response = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=driz');
    expect(response.statusCode).toBe(200);
    expect(response.headers.vary).toContain('HX-Request');
    expect(response.body).not.toContain('<html');
    const fragment = html(response.body);
    expect(fragment.querySelector('#bookmark-list')).not.toBeNull();
    expect([...fragment.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Drizzle ORM']);
  });

  it('plain request: the full dashboard with the box pre-filled', async () => {
    const response = await as(ctx, 'alice').get('/bookmarks/search?q=fast');
    expect(response.statusCode).toBe(200);
    expect(response.headers.vary).toContain('HX-Request');
    const page = html(response.body);
    expect(page.querySelector('input[name="q"]')?.getAttribute('value')).toBe('fast');
    expect([...page.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Fastify']);
  });

  it('a history-restore request gets the full page', async () => {
    const response = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=fast', { headers: { 'hx-history-restore-request': 'true' } });
    expect(response.body).toContain('<html');
  });

  it('shows a no-match empty state with the query escaped', async () => {
    const response = await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent('<zzz>')}`);
    expect(response.body).toContain('&lt;zzz&gt;');
    expect(html(response.body).querySelector('.empty-state h3')?.textContent).toContain('No bookmarks match');
  });

  it.each(['"', "'); DROP TABLE bookmarks;--", 'a OR b NEAR(c)', '%_*', '()', 'q[]=1', '#a\u0000b', '"x\u0000'])('search text %j answers 200', async (q) => {
    const response = await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent(q)}`);
    expect(response.statusCode).toBe(200);
    expect(await count('alice')).toBe(2);
  });

  it('names a search in the document title of its fragment, escaped, and sends a cleared search to the dashboard in the address bar', async () => {
    for (const trigger of ['search-form', 'tag-link']) {
      const searched = await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent('<b>driz')}`, { headers: { 'hx-trigger': trigger } });
      expect(searched.statusCode).toBe(200);
      expect(searched.body.trimStart().slice(0, 40)).toBe('<title>&lt;b&gt;driz · Bookmarks</title>');
      expect(searched.headers['hx-push-url']).toBeUndefined();
      const cleared = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=', { headers: { 'hx-trigger': trigger } });
      expect(cleared.body.trimStart().slice(0, 24)).toBe('<title>Bookmarks</title>');
      expect(cleared.headers['hx-push-url']).toBe('/dashboard');
    }
    // Spaces alone are no search.
    const spaces = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=%20%20%20', { headers: { 'hx-trigger': 'search-form' } });
    expect(spaces.body.trimStart().slice(0, 24)).toBe('<title>Bookmarks</title>');
    expect(spaces.headers['hx-push-url']).toBe('/dashboard');
    expect(parseFragment(spaces.body).querySelector('#list-summary')!.textContent!.trim()).toMatch(/^\d+ bookmarks?$/);
    // The page's own title is the same, and "Load more" rows carry none.
    expect(html((await as(ctx, 'alice').get('/bookmarks/search?q=driz')).body).querySelector('title')!.textContent).toBe('driz · Bookmarks');
    const first = await searchBookmarks(ctx.app.db, 'alice', parseSearch(''), null, 1);
    const more = await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=&after=${encodeCursor(first.next!)}`);
    expect(more.statusCode).toBe(200);
    expect(more.body).not.toContain('<title>');
  });

  it('announces a notice once: each is an alert, put into a region that is no live region of its own', async () => {
    const dashboard = html((await as(ctx, 'alice').get('/dashboard')).body);
    const region = dashboard.querySelector('#notice')!;
    expect([region.getAttribute('aria-live'), region.getAttribute('role')]).toEqual([null, null]);
    const refused = await as(ctx, 'alice').htmx.get('/bookmarks/999999/edit');
    expect([refused.statusCode, refused.headers['hx-retarget']]).toEqual([404, '#notice']);
    expect(parseFragment(refused.body).querySelector('.toast')!.getAttribute('role')).toBe('alert');
  });

  it('says what a search found in the dashboard’s own live region, out of band; the list, swapped whole, is no live region', async () => {
    const dashboard = html((await as(ctx, 'alice').get('/dashboard')).body);
    const region = dashboard.querySelector('#list-status')!;
    expect([region.getAttribute('role'), region.textContent, region.closest('#bookmark-list')]).toEqual(['status', '', null]);
    expect(dashboard.querySelector('#bookmark-list')!.hasAttribute('aria-live')).toBe(false);

    const status = async (q: string, trigger: string) => {
      const fragment = parseFragment((await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent(q)}`, { headers: { 'hx-trigger': trigger } })).body);
      expect(fragment.querySelector('#bookmark-list')!.hasAttribute('aria-live')).toBe(false);
      const oob = fragment.querySelector('#list-status')!;
      expect(oob.getAttribute('hx-swap-oob')).toBe('innerHTML');
      return oob.textContent?.trim();
    };
    expect(await status('driz', 'search-form')).toBe('1 match for “driz”');
    expect(await status('<zzz>', 'search-form')).toBe('No bookmarks match “<zzz>”.');
    expect(await status('', 'tag-link')).toBe('2 bookmarks');
    // "Load more" adds cards to the same search: nothing new to say.
    const first = await searchBookmarks(ctx.app.db, 'alice', parseSearch(''), null, 1);
    expect((await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=&after=${encodeCursor(first.next!)}`)).body).not.toContain('list-status');
  });

  it('searches the first MAX_SEARCH_TERMS words of a long search and says so, in the list and in the empty state', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'one two three four five six seven eight' });
    const long = await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent('one two three four five six seven eight nine')}`, { headers: { 'hx-trigger': 'search-form' } });
    expect(long.statusCode).toBe(200);
    const list = parseFragment(long.body);
    expect([...list.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['one two three four five six seven eight']);
    expect(list.querySelector('#list-summary')!.textContent).toContain(`Only the first ${MAX_SEARCH_TERMS} words were searched for`);
    const eight = parseFragment((await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent('one two three four five six seven eight')}`)).body);
    expect(eight.querySelector('#list-summary')!.textContent).not.toContain('Only the first');

    const none = await as(ctx, 'alice').get(`/bookmarks/search?q=${encodeURIComponent(Array(200).fill('h').join(' ') + ' zz yy xx ww vv uu tt ss')}`);
    expect(none.statusCode).toBe(200);
    expect(html(none.body).querySelector('.empty-state')!.textContent).toContain(`Only the first ${MAX_SEARCH_TERMS} words were searched for`);
  });

  it('says in the live region that words were left out of a search, whether or not it found anything', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'one two three four five six seven eight' });
    const status = async (q: string) =>
      parseFragment((await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent(q)}`, { headers: { 'hx-trigger': 'search-form' } })).body)
        .querySelector('#list-status')!.textContent!.replace(/\s+/g, ' ').trim();
    expect(await status('one two three four five six seven eight nine')).toContain(`Only the first ${MAX_SEARCH_TERMS} words were searched for`);
    // No match: the empty state shows the reason, and a screen reader must hear it too.
    const none = await status('zz yy xx ww vv uu tt ss rr');
    expect(none).toContain('No bookmarks match');
    expect(none).toContain(`Only the first ${MAX_SEARCH_TERMS} words were searched for`);
  });

  it(`counts matches up to ${LIST_COUNT_UP_TO.toLocaleString('en')} and then says "more than"; the collection's size stays exact`, async () => {
    const rows: BookmarkRowValues[] = [];
    for (let i = 0; i < LIST_COUNT_UP_TO + 3; i++) rows.push({ ownerSub: 'alice', url: `https://example.com/${i}`, title: `Common ${i}`, tags: ['many'], createdAt: new Date(5000 + i) });
    await ctx.app.db.transaction((tx) => insertBookmarkRows(tx, rows));
    const summary = async (path: string) => parseFragment((await as(ctx, 'alice').htmx.get(path, { headers: { 'hx-trigger': 'search-form' } })).body).querySelector('#list-summary')!.textContent!.trim();
    expect(await summary('/bookmarks/search?q=comm')).toBe('More than 1,000 matches for “comm”');
    expect(await summary('/bookmarks/search?q=')).toBe('1,005 bookmarks');
    const tagCloud = html((await as(ctx, 'alice').get('/dashboard')).body).querySelector('#tag-cloud .tag-count')!;
    // Shown as a number; read out, as what it counts (an aria-label on a span without a role is dropped by browsers).
    expect([tagCloud.textContent, tagCloud.getAttribute('aria-hidden'), tagCloud.nextElementSibling?.textContent]).toEqual(['1,003', 'true', ' (1,003 bookmarks)']);
    expect(await summary('/bookmarks/search?q=driz')).toBe('1 match for “driz”');
    expect(html((await as(ctx, 'alice').get('/bookmarks/search?q=comm')).body).querySelector('#list-summary')!.textContent!.trim()).toBe('More than 1,000 matches for “comm”');
    // After a delete, the undo notice's summary out of band counts the same way.
    const deleted = await searchBookmarks(ctx.app.db, 'alice', parseSearch('comm'), null, 1);
    await as(ctx, 'alice').htmx.delete(`/bookmarks/${deleted.items[0]!.id}`);
    const notice = parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/undo-notice?q=comm')).body);
    expect(notice.querySelector('#list-summary')!.getAttribute('hx-swap-oob')).toBe('true');
    expect(notice.querySelector('#list-summary')!.textContent!.trim()).toBe('More than 1,000 matches for “comm”');
    expect(await summary('/bookmarks/search?q=')).toBe('1,004 bookmarks');
    // The search's own total is exact past the list's limit (the API reports it so).
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch('comm'))).total).toBe(LIST_COUNT_UP_TO + 2);
  });

  it('a repeated or array q is not an error', async () => {
    const response = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=a&q=b');
    expect(response.statusCode).toBe(200);
  });

  it('answers a Load more whose cursor does not decode with a notice, never the first page again; the page itself shows the first page', async () => {
    for (let i = 0; i < LIST_PAGE_SIZE + 2; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://e.example/${i}`, title: `Item ${i}`, createdAt: new Date(10_000 + i) });
    const cardIds = (doc: Document) => [...doc.querySelectorAll('li.card')].map((card) => card.id);
    const firstPage = cardIds(html((await as(ctx, 'alice').get('/dashboard')).body));
    expect(firstPage).toHaveLength(LIST_PAGE_SIZE);
    for (const after of ['garbage', '', '1.2.3', '-5.1', '12.']) {
      const path = `/bookmarks/search?q=&after=${encodeURIComponent(after)}`;
      const more = await as(ctx, 'alice').htmx.get(path);
      expect(more.statusCode, after).toBe(400);
      // The app's htmx swaps errors (layout.njk): into the page's notice region, not where Load more was.
      expect(more.headers['hx-retarget'], after).toBe('#notice');
      const answer = parseFragment(more.body);
      expect(cardIds(answer), after).toEqual([]);
      expect(answer.querySelector('.toast')?.textContent, after).toContain('Search again');
      // Without JavaScript nothing is appended: a hand-edited cursor shows the first page, as a page.
      const page = await as(ctx, 'alice').get(path);
      expect(page.statusCode, after).toBe(200);
      expect(cardIds(html(page.body)), after).toEqual(firstPage);
    }
  });
});

describe('DELETE /bookmarks/:id', () => {
  it('htmx: 200 with an empty body (the card swaps itself out) and an event that asks the undo notice to fetch itself', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { title: 'Going <away>' });
    const response = await as(ctx, 'alice').htmx.delete(`/bookmarks/${bookmark.id}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['hx-trigger']).toBe('bookmark-deleted');
    expect(response.headers.vary).toContain('HX-Request');
    expect(await count('alice')).toBe(0);

    const dashboard = html((await as(ctx, 'alice').get('/dashboard')).body);
    const region = dashboard.querySelector('#undo-notice')!;
    expect(region.getAttribute('hx-trigger')).toBe('bookmark-deleted from:body');
    expect(region.getAttribute('hx-get')).toBe('/bookmarks/undo-notice');

    // The last bookmark gone: the notice, and the whole list out of band for its empty state.
    const notice = await as(ctx, 'alice').htmx.get('/bookmarks/undo-notice?q=');
    expect(notice.statusCode).toBe(200);
    const fragment = parseFragment(notice.body);
    // The region's toasts, which it swaps into itself: the region, a live one, stays.
    expect(fragment.querySelector('#undo-notice')).toBeNull();
    expect(fragment.querySelector('.toast span')?.textContent).toBe('Deleted “Going <away>”.');
    expect(fragment.querySelector('form[data-restores] input[name="token"]')?.getAttribute('value')).toMatch(/^[\w-]{22}$/);
    const list = fragment.querySelector('#bookmark-list')!;
    expect(list.getAttribute('hx-swap-oob')).toBe('true');
    expect(list.querySelector('.empty-state h3')?.textContent).toBe('No bookmarks yet');
  });

  it('htmx: the undo notice after a delete counts what is left for the search in the box', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Drizzle docs', url: 'https://orm.drizzle.team/' });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Drizzle kit', url: 'https://orm.drizzle.team/kit' });
    const gone = await setupBookmark(ctx.app.db, 'alice', { title: 'Drizzle studio', url: 'https://orm.drizzle.team/studio' });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Other', url: 'https://example.com/' });
    await as(ctx, 'alice').htmx.delete(`/bookmarks/${gone.id}`);
    const notice = await as(ctx, 'alice').htmx.get('/bookmarks/undo-notice?q=driz');
    const fragment = parseFragment(notice.body);
    const summary = fragment.querySelector('#list-summary')!;
    expect(summary.getAttribute('hx-swap-oob')).toBe('true');
    expect(summary.textContent?.trim()).toBe('2 matches for “driz”');
    expect(fragment.querySelector('#bookmark-list')).toBeNull();
    // Bob deleted nothing: his notice offers no undo of Alice's delete.
    const bobs = await as(ctx, 'bob').htmx.get('/bookmarks/undo-notice');
    expect(html(bobs.body).querySelector('input[name="token"]')).toBeNull();
    // Without htmx there is no fragment to show: back to the dashboard.
    const plain = await as(ctx, 'alice').get('/bookmarks/undo-notice');
    expect(plain.statusCode).toBe(303);
    expect(plain.headers.location).toBe('/dashboard');
  });

  it('without htmx a DELETE answers 204 and deletes', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice');
    const response = await as(ctx, 'alice').delete(`/bookmarks/${bookmark.id}`);
    expect(response.statusCode).toBe(204);
    expect(await count('alice')).toBe(0);
  });

  it('each card’s delete button carries hx-delete, inside a no-JavaScript fallback form', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice');
    const page = html((await as(ctx, 'alice').get('/dashboard')).body);
    const deleteForm = page.querySelector(`#bookmark-${bookmark.id} .card-actions form`)!;
    const button = deleteForm.querySelector('button[type="submit"]')!;
    expect(button.getAttribute('hx-delete')).toBe(`/bookmarks/${bookmark.id}`);
    // Its target is its own card, set once for all cards on the list.
    expect(button.closest('[hx-target]')?.getAttribute('hx-target')).toBe('closest li');
    expect(button.closest('[hx-target]')?.id).toBe('bookmark-cards');
    expect(deleteForm.getAttribute('action')).toBe(`/bookmarks/${bookmark.id}/delete`);
    expect(deleteForm.getAttribute('method')).toBe('post');
    const response = await as(ctx, 'alice').post(`/bookmarks/${bookmark.id}/delete`);
    expect(response.statusCode).toBe(303);
    expect(await count('alice')).toBe(0);
  });

  it('htmx: a card deleted elsewhere (another tab) goes as its Delete, Cancel or Edit answers 404; someone else’s id answers the same', async () => {
    const gone = await setupBookmark(ctx.app.db, 'alice', { title: 'Gone' });
    const bobs = await setupBookmark(ctx.app.db, 'bob', { title: 'Bob’s' });
    await as(ctx, 'alice').htmx.delete(`/bookmarks/${gone.id}`);
    const answers = async (id: number) =>
      Promise.all([as(ctx, 'alice').htmx.delete(`/bookmarks/${id}`), as(ctx, 'alice').htmx.get(`/bookmarks/${id}`), as(ctx, 'alice').htmx.get(`/bookmarks/${id}/edit`)]);
    for (const response of await answers(gone.id)) {
      expect(response.statusCode).toBe(404);
      expect(response.headers['hx-retarget']).toBe('#notice');
      const fragment = parseFragment(response.body);
      expect(fragment.querySelector('.toast')?.textContent).toBe('That bookmark is no longer here: it was deleted, perhaps in another tab.');
      // Out of band, the card that showed it is taken away.
      expect(fragment.querySelector(`#bookmark-${gone.id}`)?.getAttribute('hx-swap-oob')).toBe('delete');
    }
    const missing = (await answers(gone.id)).map((response) => response.body.replaceAll(String(gone.id), 'ID'));
    expect((await answers(bobs.id)).map((response) => response.body.replaceAll(String(bobs.id), 'ID'))).toEqual(missing);
    expect((await as(ctx, 'bob').htmx.get(`/bookmarks/${bobs.id}`)).statusCode).toBe(200);
    // Saving an edit of it keeps the form, with what was typed: only its Cancel takes it away.
    const save = await as(ctx, 'alice').htmx.post(`/bookmarks/${gone.id}/edit`, { url: 'https://a.example/', title: 'Typed', description: '', tags: '' });
    expect(save.statusCode).toBe(404);
    expect(parseFragment(save.body).querySelector('.toast')?.textContent).toBe('That bookmark was deleted, perhaps in another tab, so these changes cannot be saved.');
    expect(save.body).not.toContain('hx-swap-oob');
    // Without JavaScript, the 404 page says the same.
    const page = await as(ctx, 'alice').post(`/bookmarks/${gone.id}/delete`);
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('That bookmark is no longer here');
  });

  it.each(['0', '-1', 'abc', '1.5', '99999999', '1e3'])('unknown id %j answers 404', async (id) => {
    await setupBookmark(ctx.app.db, 'alice');
    const response = await as(ctx, 'alice').htmx.delete(`/bookmarks/${id}`);
    expect(response.statusCode).toBe(404);
    expect(await count('alice')).toBe(1);
  });
});

describe('two users', () => {
  it('B can neither list, search nor delete A\'s bookmarks; A\'s data is intact', async () => {
    const mine = await setupBookmark(ctx.app.db, 'alice', { title: 'Alice secret plans' });
    const list = html((await as(ctx, 'bob').get('/dashboard')).body);
    expect(list.querySelectorAll('.card')).toHaveLength(0);
    const search = await as(ctx, 'bob').htmx.get('/bookmarks/search?q=secret');
    expect(search.body).not.toContain('Alice secret');
    expect((await as(ctx, 'bob').htmx.delete(`/bookmarks/${mine.id}`)).statusCode).toBe(404);
    expect((await as(ctx, 'bob').post(`/bookmarks/${mine.id}/delete`)).statusCode).toBe(404);
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch('secret'))).items.map((b) => b.id)).toEqual([mine.id]);
  });
});

describe('CSRF', () => {
  it.each([
    [{ 'sec-fetch-site': 'cross-site' }],
    [{ 'sec-fetch-site': 'same-site' }],
    [{ origin: 'https://evil.example' }],
    // A browser from before Sec-Fetch-Site and Origin on every POST (before 2019) still names the other site's page.
    [{ referer: 'https://evil.example/form.html' }],
    [{ referer: 'not a url' }],
  ])('refuses cross-site POST and DELETE with %j and changes nothing', async (headers) => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice');
    // Only what the other site's request carries: its own Sec-Fetch-Site, or no Sec-Fetch-Site and its Origin.
    const crossSite = { headers: { 'sec-fetch-site': undefined, ...headers } };
    const post = await as(ctx, 'alice').post('/bookmarks', { url: 'https://evil.example/', title: 'x', tags: '' }, crossSite);
    expect(post.statusCode).toBe(403);
    expect((await as(ctx, 'alice').delete(`/bookmarks/${bookmark.id}`, crossSite)).statusCode).toBe(403);
    expect((await as(ctx, 'alice').post('/auth/logout', undefined, crossSite)).statusCode).toBe(403);
    expect(await count('alice')).toBe(1);
  });

  it('accepts same-origin requests by Origin when Sec-Fetch-Site is absent', async () => {
    const sameOrigin = { headers: { 'sec-fetch-site': undefined, origin: ctx.app.config.appBaseUrl.origin } };
    const response = await as(ctx, 'alice').post('/bookmarks', { url: 'https://ok.example/', title: '', tags: '' }, sameOrigin);
    expect(response.statusCode).toBe(303);
  });

  it('accepts a write with neither Sec-Fetch-Site nor Origin when its Referer is one of the app’s pages, or there is none', async () => {
    for (const referer of [`${ctx.app.config.appBaseUrl.origin}/dashboard?q=x`, undefined]) {
      const response = await as(ctx, 'alice').post('/bookmarks', { url: `https://ok.example/${referer ? 'referred' : 'bare'}`, title: '', tags: '' }, { headers: { 'sec-fetch-site': undefined, referer } });
      expect({ referer, status: response.statusCode }).toEqual({ referer, status: 303 });
    }
  });
});

describe('infrastructure routes', () => {
  it('GET /healthz answers 200 when the database answers', async () => {
    const response = await as(ctx, null).get('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('ok');
  });

  it('GET /healthz asks the database nothing more for a signed-in request, whose session check has read it; an anonymous one it asks', async () => {
    const reads = vi.spyOn(ctx.app.db, 'get');
    // PostgreSQL's session checks read through all() (one statement for a turn's checks).
    const listReads = vi.spyOn(ctx.app.db, 'all');
    const healthChecks = () =>
      reads.mock.calls.filter(([statement]) => (statement as { queryChunks: { value?: string[] }[] }).queryChunks.some((chunk) => chunk.value?.join('').includes('SELECT 1 AS ok'))).length;
    try {
      const signedIn = await as(ctx, 'alice').get('/healthz');
      expect([signedIn.statusCode, signedIn.body]).toEqual([200, 'ok']);
      expect(reads.mock.calls.length + listReads.mock.calls.length).toBeGreaterThan(0);
      expect(healthChecks()).toBe(0);
      const anonymous = await as(ctx, null).get('/healthz');
      expect([anonymous.statusCode, anonymous.body]).toEqual([200, 'ok']);
      expect(healthChecks()).toBe(1);
    } finally {
      reads.mockRestore();
      listReads.mockRestore();
    }
  });

  it('sends a strict CSP and framing headers', async () => {
    const response = await as(ctx, null).get('/');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("object-src 'none'");
  });

  it('serves htmx 2.0 from the installed package and configures it without eval', async () => {
    const script = await as(ctx, null).get('/vendor/htmx.min.js');
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('2.0.');
    const page = html((await as(ctx, null).get('/')).body);
    const config = JSON.parse(page.querySelector('meta[name="htmx-config"]')!.getAttribute('content')!);
    expect(config.allowEval).toBe(false);
    expect(config.includeIndicatorStyles).toBe(false);
    expect(config.responseHandling).toContainEqual({ code: '422', swap: true });
  });

  it('unknown pages get a friendly 404', async () => {
    const response = await as(ctx, 'alice').get('/nope');
    expect(response.statusCode).toBe(404);
    expect(html(response.body).querySelector('h1')?.textContent).toBe('Not found');
  });
});
