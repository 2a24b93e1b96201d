import { describe, expect, it } from 'vitest';
import { deleteBookmark, importBookmarks, restoreBookmark, saveBookmarkChanges, saveNewBookmark } from '../../src/bookmarks/commands.js';
import { findBookmark, listTags } from '../../src/bookmarks/queries.js';
import { LIST_PAGE_SIZE } from '../../src/bookmarks/routes.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { equivalentUrls, sameUrlKey } from '../../src/bookmarks/urls.js';
import { as, html, ownedBookmarks, parseFragment, setupBookmark, TEST_BASE_URL, useSignedInApp } from '../helpers.js';

const ctx = useSignedInApp();

const titles = async (owner: string, q = '') => (await searchBookmarks(ctx.app.db, owner, parseSearch(q))).items.map((b) => b.title);

describe('edit in place', () => {
  it('htmx: GET …/edit swaps the card for a form holding its values; Cancel restores the card', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { title: 'Old', tags: ['a', 'b'] });
    const edit = await as(ctx, 'alice').htmx.get(`/bookmarks/${bookmark.id}/edit`);
    expect(edit.statusCode).toBe(200);
    const formEl = parseFragment(edit.body).querySelector(`li#bookmark-${bookmark.id} form.bookmark-edit`)!;
    expect(formEl.getAttribute('hx-put')).toBe(`/bookmarks/${bookmark.id}`);
    expect(formEl.querySelector('[name="title"]')?.getAttribute('value')).toBe('Old');
    expect(formEl.querySelector('[name="tags"]')?.getAttribute('value')).toBe('a, b');
    const cancel = formEl.querySelector('.edit-cancel')!;
    const card = await as(ctx, 'alice').htmx.get(cancel.getAttribute('hx-get')!);
    expect(parseFragment(card.body).querySelector(`li#bookmark-${bookmark.id} .card-title`)?.textContent).toBe('Old');
  });

  it('htmx: PUT saves and returns the updated card; invalid input answers 422 with the errors and changes nothing', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { title: 'Old', url: 'https://old.example/' });
    const bad = await as(ctx, 'alice').htmx.put(`/bookmarks/${bookmark.id}`, { url: 'javascript:void(0)', title: 'New', tags: '' });
    expect(bad.statusCode).toBe(422);
    expect(parseFragment(bad.body).querySelector(`#edit-${bookmark.id}-url-error`)).not.toBeNull();
    // What was typed is the form's; what is saved comes beside it, for a list brought anew to compare with its card.
    const shownAgain = parseFragment(bad.body).querySelector('form.bookmark-edit')!;
    expect(shownAgain.querySelector<HTMLInputElement>('input[name="title"]')?.getAttribute('value')).toBe('New');
    expect(shownAgain.hasAttribute('data-unsaved')).toBe(true);
    expect([shownAgain.getAttribute('data-saved-url'), shownAgain.getAttribute('data-saved-title'), shownAgain.getAttribute('data-saved-tags')]).toEqual([
      'https://old.example/',
      'Old',
      bookmark.tags.join(', '),
    ]);
    expect((await findBookmark(ctx.app.db, 'alice', bookmark.id))?.title).toBe('Old');

    const good = await as(ctx, 'alice').htmx.put(`/bookmarks/${bookmark.id}`, { url: 'https://new.example/', title: 'New', tags: 'X y' });
    expect(good.statusCode).toBe(200);
    const card = parseFragment(good.body);
    expect(card.querySelector('.card-title')?.textContent).toBe('New');
    expect([...card.querySelectorAll('.card .tags a')].map((t) => t.textContent)).toEqual(['x', 'y']);
    // The tag list follows out of band: 'old' is gone, x and y are there.
    const cloud = card.querySelector('#tag-cloud')!;
    expect(cloud.getAttribute('hx-swap-oob')).toBe('true');
    expect([...cloud.querySelectorAll('.tags a')].map((t) => t.textContent)).toEqual(['x', 'y']);
    const stored = (await findBookmark(ctx.app.db, 'alice', bookmark.id))!;
    expect(stored).toMatchObject({ url: 'https://new.example/', title: 'New', tags: ['x', 'y'] });
    expect(stored.createdAt).toEqual(bookmark.createdAt);
    expect(await titles('alice', 'new')).toEqual(['New']);
    expect(await titles('alice', 'old')).toEqual([]);
  });

  it('plain forms: GET …/edit is a full page and POST …/edit saves with a 303', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { title: 'Old' });
    const page = await as(ctx, 'alice').get(`/bookmarks/${bookmark.id}/edit`);
    const document = html(page.body);
    expect(document.querySelector('h1')?.textContent).toBe('Edit bookmark');
    // A page form with JavaScript too: the in-place edit's swaps (a PUT, a card for Cancel) had no list to go into here.
    const form = document.querySelector('form.bookmark-edit')!;
    expect([form.getAttribute('method'), form.getAttribute('action')]).toEqual(['post', `/bookmarks/${bookmark.id}/edit`]);
    expect(form.querySelector('.edit-cancel')?.getAttribute('href')).toBe('/dashboard');
    expect(document.querySelectorAll('main [hx-put], main [hx-get], main [hx-target], main [hx-swap]')).toHaveLength(0);
    const saved = await as(ctx, 'alice').post(`/bookmarks/${bookmark.id}/edit`, { url: 'https://example.com/', title: 'Renamed', tags: '' });
    expect(saved.statusCode).toBe(303);
    expect(await titles('alice')).toEqual(['Renamed']);
    const invalid = await as(ctx, 'alice').post(`/bookmarks/${bookmark.id}/edit`, { url: '', title: 'x', tags: '' });
    expect(invalid.statusCode).toBe(422);
    expect(html(invalid.body).querySelector(`#edit-${bookmark.id}-url-error`)).not.toBeNull();
  });

  it('plain forms go back to the search they came from: an edit\'s Save and Cancel, a delete with its Undo, and the Undo itself', async () => {
    const beta = await setupBookmark(ctx.app.db, 'alice', { title: 'Beta one', url: 'https://example.com/beta-1' });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Beta two', url: 'https://example.com/beta-2' });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Gamma', url: 'https://example.com/gamma' });
    const fromSearch = { headers: { referer: `${TEST_BASE_URL}/bookmarks/search?q=beta+t` } };
    const searchPath = '/bookmarks/search?q=beta+t';

    const editResponse = await as(ctx, 'alice').get(`/bookmarks/${beta.id}/edit`, fromSearch);
    // Not kept for revalidation: the same address serves a different back for another list (the inline form is kept).
    expect(editResponse.headers.etag).toBeUndefined();
    expect((await as(ctx, 'alice').htmx.get(`/bookmarks/${beta.id}/edit`)).headers.etag).toBeDefined();
    const editPage = html(editResponse.body);
    expect(editPage.querySelector('input[name="back"]')?.getAttribute('value')).toBe(searchPath);
    expect(editPage.querySelector('a.edit-cancel')?.getAttribute('href')).toBe(searchPath);
    const fields = { url: 'https://example.com/beta-1', title: 'Beta three', tags: '' };
    const saved = await as(ctx, 'alice').post(`/bookmarks/${beta.id}/edit`, { ...fields, back: searchPath });
    expect([saved.statusCode, saved.headers.location]).toEqual([303, searchPath]);
    const refused = await as(ctx, 'alice').post(`/bookmarks/${beta.id}/edit`, { ...fields, url: '', back: searchPath });
    expect(refused.statusCode).toBe(422);
    expect(html(refused.body).querySelector('input[name="back"]')?.getAttribute('value')).toBe(searchPath);
    // Only a list of this app: another site, or another page, is the dashboard.
    for (const back of ['https://evil.example/bookmarks/search?q=x', '//evil.example/dashboard', '/settings', 'javascript:alert(1)', '']) {
      const elsewhere = await as(ctx, 'alice').post(`/bookmarks/${beta.id}/edit`, { ...fields, back });
      expect([back, elsewhere.statusCode, elsewhere.headers.location]).toEqual([back, 303, '/dashboard']);
    }
    // Opened from elsewhere (no Referer, another site's), the edit page goes back to the dashboard.
    for (const referer of [undefined, 'https://evil.example/bookmarks/search?q=x']) {
      const page = html((await as(ctx, 'alice').get(`/bookmarks/${beta.id}/edit`, { headers: { referer } })).body);
      expect(page.querySelector('a.edit-cancel')?.getAttribute('href')).toBe('/dashboard');
    }

    const deleted = await as(ctx, 'alice').post(`/bookmarks/${beta.id}/delete`, undefined, fromSearch);
    expect(deleted.statusCode).toBe(303);
    const afterDelete = new URL(String(deleted.headers.location), TEST_BASE_URL);
    expect([afterDelete.pathname, afterDelete.searchParams.get('q')]).toEqual(['/bookmarks/search', 'beta t']);
    const token = afterDelete.searchParams.get('undo')!;
    const shown = await as(ctx, 'alice').get(`${afterDelete.pathname}${afterDelete.search}`);
    expect(shown.headers.etag, 'a page with an Undo that runs out is not kept').toBeUndefined();
    const page = html(shown.body);
    expect(page.querySelector('#search-input')?.getAttribute('value')).toBe('beta t');
    expect([...page.querySelectorAll('.card-title')].map((link) => link.textContent)).toEqual(['Beta two']);
    expect(page.querySelector('#undo-notice input[name="token"]')?.getAttribute('value')).toBe(token);

    const undone = await as(ctx, 'alice').post('/bookmarks/restore', { token }, { headers: { referer: `${TEST_BASE_URL}${afterDelete.pathname}${afterDelete.search}` } });
    expect([undone.statusCode, undone.headers.location]).toEqual([303, `${searchPath}&restored=1`]);
    const restored = html((await as(ctx, 'alice').get(String(undone.headers.location))).body);
    expect(restored.querySelector('#undo-notice')?.textContent).toContain('Bookmark restored.');
    expect([...restored.querySelectorAll('.card-title')].map((link) => link.textContent)).toEqual(['Beta two', 'Beta three']);
  });

  it('plain forms from a later page (Load more without JavaScript) go back to that page: an edit\'s Save and Cancel, a delete, its Undo', async () => {
    for (let i = 1; i <= LIST_PAGE_SIZE + 2; i++) await setupBookmark(ctx.app.db, 'alice', { title: `Item ${i}`, url: `https://example.com/${i}`, createdAt: new Date(i * 1000) });
    const first = html((await as(ctx, 'alice').get('/dashboard')).body);
    const more = first.querySelector('.load-more a')!.getAttribute('href')!;
    const laterPage = new URL(more, TEST_BASE_URL);
    expect(laterPage.searchParams.get('after')).toMatch(/^\d+\.\d+$/);
    const onLaterPage = { headers: { referer: laterPage.href } };
    const titlesOn = async (path: string) => [...html((await as(ctx, 'alice').get(path)).body).querySelectorAll('.card-title')].map((link) => link.textContent);
    expect(await titlesOn(more)).toEqual(['Item 2', 'Item 1']);

    const id = Number(html((await as(ctx, 'alice').get(more)).body).querySelector('.card')!.id.replace('bookmark-', ''));
    const editPage = html((await as(ctx, 'alice').get(`/bookmarks/${id}/edit`, onLaterPage)).body);
    expect(editPage.querySelector('a.edit-cancel')?.getAttribute('href')).toBe(more);
    const saved = await as(ctx, 'alice').post(`/bookmarks/${id}/edit`, { url: 'https://example.com/2', title: 'Item 2, renamed', tags: '', back: more });
    expect([saved.statusCode, saved.headers.location]).toEqual([303, more]);
    expect(await titlesOn(more)).toEqual(['Item 2, renamed', 'Item 1']);

    const deleted = await as(ctx, 'alice').post(`/bookmarks/${id}/delete`, undefined, onLaterPage);
    const afterDelete = new URL(String(deleted.headers.location), TEST_BASE_URL);
    expect([afterDelete.pathname, afterDelete.searchParams.get('after')]).toEqual(['/bookmarks/search', laterPage.searchParams.get('after')]);
    expect(await titlesOn(`${afterDelete.pathname}${afterDelete.search}`)).toEqual(['Item 1']);
    const undone = await as(ctx, 'alice').post('/bookmarks/restore', { token: afterDelete.searchParams.get('undo')! }, { headers: { referer: afterDelete.href } });
    expect([undone.statusCode, undone.headers.location]).toEqual([303, `${more}&restored=1`]);
    expect(await titlesOn(String(undone.headers.location))).toEqual(['Item 2, renamed', 'Item 1']);
    // A cursor that is not one is no page to go back to.
    const garbled = html((await as(ctx, 'alice').get(`/bookmarks/${id}/edit`, { headers: { referer: `${TEST_BASE_URL}/bookmarks/search?q=&after=x` } })).body);
    expect(garbled.querySelector('a.edit-cancel')?.getAttribute('href')).toBe('/dashboard');
  });

  it('another user\'s id is a 404 for every edit route, and nothing changes', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { title: 'Mine' });
    const fields = { url: 'https://evil.example/', title: 'Stolen', tags: '' };
    const bob = as(ctx, 'bob');
    for (const request of [
      () => bob.htmx.get(`/bookmarks/${bookmark.id}/edit`),
      () => bob.htmx.get(`/bookmarks/${bookmark.id}`),
      () => bob.htmx.put(`/bookmarks/${bookmark.id}`, fields),
      () => bob.post(`/bookmarks/${bookmark.id}/edit`, fields),
    ]) {
      expect((await request()).statusCode).toBe(404);
    }
    expect(await titles('alice')).toEqual(['Mine']);
  });

  it('editing a URL into one the user already has is refused next to the field', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'First', url: 'https://first.example/' });
    const second = await setupBookmark(ctx.app.db, 'alice', { title: 'Second', url: 'https://second.example/' });
    const response = await as(ctx, 'alice').htmx.put(`/bookmarks/${second.id}`, { url: 'HTTPS://FIRST.example', title: 'Second', tags: '' });
    expect(response.statusCode).toBe(422);
    expect(parseFragment(response.body).querySelector(`#edit-${second.id}-url-error`)?.textContent).toContain('First');
  });
});

describe('tags', () => {
  it('each tag chip links to a shareable tag search, which filters by that exact tag', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Tagged', tags: ['web-dev'] });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Near miss', tags: ['web'] });
    const page = html((await as(ctx, 'alice').get('/dashboard')).body);
    const chip = [...page.querySelectorAll('.card .tags a')].find((a) => a.textContent === 'web-dev')!;
    expect(chip.getAttribute('href')).toBe('/bookmarks/search?q=%23web-dev');
    const result = await as(ctx, 'alice').get(chip.getAttribute('href')!);
    const resultPage = html(result.body);
    expect([...resultPage.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Tagged']);
    expect(resultPage.querySelector('#search-input')?.getAttribute('value')).toBe('#web-dev');
  });

  it('htmx: a chip click also updates the search box out of band; the box\'s own form does not', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Tagged', tags: ['news'] });
    const fromChip = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=%23news');
    const box = parseFragment(fromChip.body).querySelector('#search-input')!;
    expect(box.getAttribute('hx-swap-oob')).toBe('true');
    expect(box.getAttribute('value')).toBe('#news');
    // Typing and Enter are sent by the box's form (views/pages/dashboard.njk): htmx names it in HX-Trigger.
    const fromBox = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=news', { headers: { 'hx-trigger': 'search-form' } });
    expect(fromBox.statusCode).toBe(200);
    const fragment = parseFragment(fromBox.body);
    expect(fragment.querySelector('#search-input')).toBeNull();
    expect([...fragment.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Tagged']);
    const dashboard = html((await as(ctx, 'alice').get('/dashboard')).body);
    expect(dashboard.querySelector('form#search-form[hx-get="/bookmarks/search"] #search-input')).not.toBeNull();
  });

  it('lists the user\'s tags with counts, most used first, never another user\'s', async () => {
    await setupBookmark(ctx.app.db, 'alice', { tags: ['b', 'a'] });
    await setupBookmark(ctx.app.db, 'alice', { tags: ['a'] });
    await setupBookmark(ctx.app.db, 'bob', { tags: ['secret', 'a'] });
    expect(await listTags(ctx.app.db, 'alice', 200)).toEqual([{ tag: 'a', count: 2 }, { tag: 'b', count: 1 }]);
    const page = html((await as(ctx, 'alice').get('/dashboard')).body);
    expect([...page.querySelectorAll('#tag-cloud .tags a')].map((a) => a.textContent)).toEqual(['a', 'b']);
    expect([...page.querySelectorAll('#tag-cloud .tag-count')].map((a) => a.textContent)).toEqual(['2', '1']);
    expect([...page.querySelectorAll('#tag-cloud .tag-count + .visually-hidden')].map((a) => a.textContent)).toEqual([' (2 bookmarks)', ' (1 bookmark)']);
  });
});

describe('duplicates', () => {
  it.each(['https://example.com/page', 'HTTPS://EXAMPLE.COM/page', 'https://example.com/page/'])(
    'saving %j when https://example.com/page exists shows the existing one instead of a second',
    async (url) => {
      const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/page', title: 'Existing' });
      const response = await as(ctx, 'alice').htmx.post('/bookmarks', { url, title: 'Again', tags: 'new' });
      expect(response.statusCode).toBe(409);
      const notice = parseFragment(response.body).querySelector('.notice')!;
      expect(notice.textContent).toContain('Existing');
      const update = notice.querySelector('button[name="update-duplicate"]')!;
      expect(update.getAttribute('value')).toBe(String(existing.id));
      expect(await titles('alice')).toEqual(['Existing']);
    },
  );

  it('without JavaScript the warning takes the focus on the page it comes back with, so it is read; swapped in by htmx it keeps the focus where it was', async () => {
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://focus.example/', title: 'Saved before' });
    const page = await as(ctx, 'alice').post('/bookmarks', { url: 'https://focus.example/', title: 'Again', tags: '' });
    expect(page.statusCode).toBe(409);
    const notice = html(page.body).querySelector('.duplicate-notice')!;
    expect({ autofocus: notice.hasAttribute('autofocus'), tabindex: notice.getAttribute('tabindex') }).toEqual({ autofocus: true, tabindex: '-1' });
    expect(html(page.body).querySelectorAll('[autofocus]')).toHaveLength(1);
    const swapped = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://focus.example/', title: 'Again', tags: '' });
    expect(swapped.statusCode).toBe(409);
    expect(parseFragment(swapped.body).querySelector('.duplicate-notice')!.hasAttribute('autofocus')).toBe(false);
  });

  it('"Update the saved one" replaces what was typed and keeps the saved title, description and tags where the form was left empty', async () => {
    const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://rich.example/', title: 'Rich one', description: 'Kept notes', tags: ['alpha', 'beta'] });
    const warned = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://rich.example/', title: '', description: '', tags: '' });
    expect(warned.statusCode).toBe(409);
    // The form shows what was typed; the notice's button names the saved one.
    const form = parseFragment(warned.body);
    expect(form.querySelector('[name="title"]')!.getAttribute('value')).toBe('');
    expect(form.querySelector('.notice button[name="update-duplicate"]')!.getAttribute('value')).toBe(String(existing.id));
    // An address pasted alone, then Update: nothing the saved one held is lost (the title is not the host).
    const alone = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://rich.example/', title: '', description: '', tags: '', 'update-duplicate': String(existing.id) });
    expect(alone.statusCode).toBe(200);
    const stored = async () => (await ownedBookmarks(ctx.app.db, 'alice')).map(({ id, title, description, tags }) => ({ id, title, description, tags }));
    expect(await stored()).toEqual([{ id: existing.id, title: 'Rich one', description: 'Kept notes', tags: ['alpha', 'beta'] }]);
    // What was typed replaces; the rest stays.
    await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://RICH.example/', title: 'New title', description: '', tags: '', 'update-duplicate': String(existing.id) });
    expect(await stored()).toEqual([{ id: existing.id, title: 'New title', description: 'Kept notes', tags: ['alpha', 'beta'] }]);
    // The new-bookmark page's own form (update) still replaces all it holds: clearing the description there clears it.
    await as(ctx, 'alice').post('/bookmarks/new', { url: 'https://rich.example/', title: 'New title', description: '', tags: 'alpha', update: String(existing.id) });
    expect(await stored()).toEqual([{ id: existing.id, title: 'New title', description: '', tags: ['alpha'] }]);
  });

  // Each looks before it writes: without the check and the write as one step, per owner, both would store.
  it('saves of one page at the same moment store it once; the others are told it is saved', async () => {
    const page = { title: 'Race', description: '', tags: [] };
    const outcomes = await Promise.all(
      ['https://race.example/page', 'https://race.example/page/', 'HTTPS://RACE.EXAMPLE/page'].map((url) => saveNewBookmark(ctx.app.db, 'alice', { ...page, url: new URL(url).href })),
    );
    expect(outcomes.filter((outcome) => 'saved' in outcome)).toHaveLength(1);
    const saved = outcomes.flatMap((outcome) => ('saved' in outcome ? [outcome.saved] : []))[0]!;
    expect(outcomes.filter((outcome) => 'duplicate' in outcome).map((outcome) => 'duplicate' in outcome && outcome.duplicate.id)).toEqual([saved.id, saved.id]);
    // Bob's save of the same page at the same moment is his own.
    const [bobs, alices] = await Promise.all([
      saveNewBookmark(ctx.app.db, 'bob', { ...page, url: 'https://race.example/other' }),
      saveNewBookmark(ctx.app.db, 'alice', { ...page, url: 'https://race.example/other' }),
    ]);
    expect(['saved' in bobs, 'saved' in alices]).toEqual([true, true]);
    // Whichever spelling came first is kept (on PostgreSQL, whichever connection took the lock first).
    expect((await ownedBookmarks(ctx.app.db, 'alice')).map((bookmark) => bookmark.url).sort()).toEqual(['https://race.example/other', saved.url].sort());
  });

  it('an edit, an Undo and a save that bring one page at the same moment store it once', async () => {
    const page = { title: 'Race', description: '', tags: [] };
    const edited = await setupBookmark(ctx.app.db, 'alice', { url: 'https://race.example/before' });
    const deleted = (await deleteBookmark(ctx.app.db, 'alice', (await setupBookmark(ctx.app.db, 'alice', { url: 'https://race.example/same' })).id))!;
    const [edit, restore, save] = await Promise.all([
      saveBookmarkChanges(ctx.app.db, 'alice', edited.id, { ...page, url: 'https://race.example/same' }),
      restoreBookmark(ctx.app.db, 'alice', deleted),
      saveNewBookmark(ctx.app.db, 'alice', { ...page, url: 'https://race.example/same' }),
    ]);
    expect([edit && 'saved' in edit, 'restored' in restore, 'saved' in save].filter(Boolean)).toHaveLength(1);
    expect((await ownedBookmarks(ctx.app.db, 'alice')).filter((bookmark) => bookmark.url === 'https://race.example/same')).toHaveLength(1);
  });

  it('"Update the saved one" updates the existing bookmark in place', async () => {
    const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/page', title: 'Existing' });
    const response = await as(ctx, 'alice').post('/bookmarks', { url: 'https://example.com/page/', title: 'Updated', tags: 'fresh', update: String(existing.id) });
    expect(response.statusCode).toBe(303);
    const stored = (await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: existing.id, title: 'Updated', tags: ['fresh'] });
  });

  it('another user having the same URL is not a duplicate, and update= cannot touch their bookmark', async () => {
    const bobs = await setupBookmark(ctx.app.db, 'bob', { url: 'https://shared.example/', title: 'Bob' });
    const response = await as(ctx, 'alice').post('/bookmarks', { url: 'https://shared.example/', title: 'Alice', tags: '' });
    expect(response.statusCode).toBe(303);
    const hijack = await as(ctx, 'alice').post('/bookmarks', { url: 'https://other.example/', title: 'Hijack', tags: '', update: String(bobs.id) });
    expect(hijack.statusCode).toBe(404);
    // Nor the duplicate notice's update-duplicate, which reads the saved one's values: none of Bob's come back either.
    const peek = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://other.example/', title: '', tags: '', 'update-duplicate': String(bobs.id) });
    expect(peek.statusCode).toBe(404);
    expect(peek.body).not.toContain('Bob');
    expect(await titles('bob')).toEqual(['Bob']);
  });
});

describe('same address: the add form and the import agree', () => {
  // [saved, typed later, same page?]
  const cases: [string, string, boolean][] = [
    ['https://q.example/x', 'https://q.example/x/', true],
    ['https://q.example/x/', 'https://q.example/x', true],
    ['HTTPS://Q.EXAMPLE/x', 'https://q.example/x/', true],
    ['https://q.example', 'https://q.example/', true],
    ['https://q.example/x/?a=1', 'https://q.example/x?a=1', true],
    ['https://q.example/x/#top', 'https://q.example/x#top', true],
    ['https://q.example/x?a=1/', 'https://q.example/x?a=1', false],
    ['https://q.example/x?a=1', 'https://q.example/x/?a=1/', false],
    ['https://q.example/x#top/', 'https://q.example/x#top', false],
    ['https://q.example/x//', 'https://q.example/x', false],
    ['https://q.example/x//', 'https://q.example/x/', false],
    ['https://q.example/x', 'https://q.example/X', false],
  ];
  const href = (url: string) => new URL(url).href;

  it.each(cases)('%j and %j: same page %j, by key and by the index lookup', (saved, typed, same) => {
    expect(sameUrlKey(href(saved)) === sameUrlKey(href(typed))).toBe(same);
    expect(equivalentUrls(href(typed)).includes(href(saved))).toBe(same);
  });

  it.each(cases)('%j saved, %j added or imported: a duplicate only if the same page (%j)', async (saved, typed, same) => {
    expect((await importBookmarks(ctx.app.db, 'alice', [{ url: saved, title: 'Saved', tags: [], createdAt: null }])).imported).toBe(1);
    const added = await as(ctx, 'alice').htmx.post('/bookmarks', { url: typed, title: 'Added', tags: '' });
    expect(added.statusCode).toBe(same ? 409 : 200);
    const imported = await importBookmarks(ctx.app.db, 'bob', [
      { url: saved, title: 'Saved', tags: [], createdAt: null },
      { url: typed, title: 'Imported', tags: [], createdAt: null },
    ]);
    expect(imported.duplicates).toBe(same ? 1 : 0);
  });
});

describe('undo delete', () => {
  /** An htmx delete, then the notice its HX-Trigger asks for; returns the undo token. */
  async function deleteAndFetchUndo(user: string, id: number): Promise<string | undefined> {
    const deleted = await as(ctx, user).htmx.delete(`/bookmarks/${id}`);
    expect(deleted.headers['hx-trigger']).toBe('bookmark-deleted');
    const notice = await as(ctx, user).htmx.get('/bookmarks/undo-notice');
    return parseFragment(notice.body).querySelector('form[data-restores] input[name="token"]')?.getAttribute('value') ?? undefined;
  }

  it('restores the bookmark exactly: same id, tags and dates', async () => {
    const original = await setupBookmark(ctx.app.db, 'alice', { title: 'Precious', tags: ['keep', 'me'], createdAt: new Date(1_600_000_000_123) });
    const token = (await deleteAndFetchUndo('alice', original.id))!;
    expect(token).toBeTruthy();
    expect(await titles('alice')).toEqual([]);
    const restored = await as(ctx, 'alice').htmx.post('/bookmarks/restore', { token });
    expect(restored.statusCode).toBe(200);
    expect(parseFragment(restored.body).querySelector('#bookmark-list .card-title')?.textContent).toBe('Precious');
    expect(await findBookmark(ctx.app.db, 'alice', original.id)).toEqual(original);
    expect(await titles('alice', 'precious')).toEqual(['Precious']);

    const again = await as(ctx, 'alice').htmx.post('/bookmarks/restore', { token });
    expect(again.statusCode).toBe(410);
  });

  it('keeps the tag list in step: a delete drops a tag only it had, Undo brings it back', async () => {
    const only = await setupBookmark(ctx.app.db, 'alice', { title: 'Alpha', url: 'https://example.com/a', tags: ['alpha', 'shared'] });
    await setupBookmark(ctx.app.db, 'alice', { title: 'Beta', url: 'https://example.com/b', tags: ['shared'] });
    const cloudTags = (body: string) => {
      const cloud = parseFragment(body).querySelector('#tag-cloud')!;
      expect(cloud.getAttribute('hx-swap-oob')).toBe('true');
      return [...cloud.querySelectorAll('.tags a')].map((a) => a.textContent);
    };
    await as(ctx, 'alice').htmx.delete(`/bookmarks/${only.id}`);
    const notice = await as(ctx, 'alice').htmx.get('/bookmarks/undo-notice');
    expect(cloudTags(notice.body)).toEqual(['shared']);
    const token = parseFragment(notice.body).querySelector('form[data-restores] input[name="token"]')!.getAttribute('value')!;
    const restored = await as(ctx, 'alice').htmx.post('/bookmarks/restore', { token });
    expect(cloudTags(restored.body)).toEqual(['shared', 'alpha']);
  });

  it('works without JavaScript: the delete redirect carries the undo notice', async () => {
    const original = await setupBookmark(ctx.app.db, 'alice', { title: 'Plain' });
    const deleted = await as(ctx, 'alice').post(`/bookmarks/${original.id}/delete`);
    const page = html((await as(ctx, 'alice').get(deleted.headers.location as string)).body);
    expect(page.querySelector('#undo-notice .toast span')?.textContent).toBe('Deleted “Plain”.');
    // Someone else's or a made-up token offers no Undo at all.
    for (const [user, url] of [['bob', deleted.headers.location as string], ['alice', '/dashboard?undo=made-up']] as const) {
      const other = html((await as(ctx, user).get(url)).body);
      expect(other.querySelector('#undo-notice .toast')).toBeNull();
    }
    const token = page.querySelector('#undo-notice input[name="token"]')!.getAttribute('value')!;
    const restored = await as(ctx, 'alice').post('/bookmarks/restore', { token });
    expect(restored.statusCode).toBe(303);
    expect(await findBookmark(ctx.app.db, 'alice', original.id)).toEqual(original);
    // The dashboard it lands on says so, as the htmx notice does.
    const landed = html((await as(ctx, 'alice').get(restored.headers.location as string)).body);
    expect(landed.querySelector('#undo-notice .toast span')?.textContent).toBe('Bookmark restored.');
    expect([...landed.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Plain']);
    // The plain dashboard says nothing of it.
    expect(html((await as(ctx, 'alice').get('/dashboard')).body).querySelector('#undo-notice .toast')).toBeNull();
  });

  it('another user cannot use the undo token', async () => {
    const original = await setupBookmark(ctx.app.db, 'alice', { title: 'Mine' });
    const token = (await deleteAndFetchUndo('alice', original.id))!;
    expect(token).toBeTruthy();
    const stolen = await as(ctx, 'bob').htmx.post('/bookmarks/restore', { token });
    expect(stolen.statusCode).toBe(410);
    expect(await titles('bob')).toEqual([]);
  });
});
