import { beforeEach, describe, expect, it } from 'vitest';
import { importBookmarks } from '../../src/bookmarks/commands.js';
import { equivalentUrls, findBookmark, listTags, sameUrlKey } from '../../src/bookmarks/queries.js';
import { searchBookmarks } from '../../src/bookmarks/search-queries.js';
import { parseSearch } from '../../src/bookmarks/search.js';
import { form, html, HTMX, SAME_ORIGIN, setupBookmark, useSignedInApp } from '../helpers.js';

const t = useSignedInApp();

const titles = (owner: string, q = '') => searchBookmarks(t.app.db, owner, parseSearch(q)).items.map((b) => b.title);
const fragmentOf = (body: string) => html(`<div id="root">${body}</div>`);

describe('edit in place', () => {
  it('htmx: GET …/edit swaps the card for a form holding its values; Cancel restores the card', async () => {
    const bookmark = setupBookmark(t.app.db, 'alice', { title: 'Old', tags: ['a', 'b'] });
    const edit = await t.app.inject({ method: 'GET', url: `/bookmarks/${bookmark.id}/edit`, headers: { cookie: t.alice, ...HTMX } });
    expect(edit.statusCode).toBe(200);
    const formEl = fragmentOf(edit.body).querySelector(`li#bookmark-${bookmark.id} form.bookmark-edit`)!;
    expect(formEl.getAttribute('hx-put')).toBe(`/bookmarks/${bookmark.id}`);
    expect(formEl.querySelector('[name="title"]')?.getAttribute('value')).toBe('Old');
    expect(formEl.querySelector('[name="tags"]')?.getAttribute('value')).toBe('a, b');
    const cancel = formEl.querySelector('.edit-cancel')!;
    const card = await t.app.inject({ method: 'GET', url: cancel.getAttribute('hx-get')!, headers: { cookie: t.alice, ...HTMX } });
    expect(fragmentOf(card.body).querySelector(`li#bookmark-${bookmark.id} .card-title`)?.textContent).toBe('Old');
  });

  it('htmx: PUT saves and returns the updated card; invalid input answers 422 with the errors and changes nothing', async () => {
    const bookmark = setupBookmark(t.app.db, 'alice', { title: 'Old', url: 'https://old.example/' });
    const bad = await t.app.inject({
      method: 'PUT', url: `/bookmarks/${bookmark.id}`, headers: { cookie: t.alice, ...HTMX, ...form({}).headers },
      payload: form({ url: 'javascript:void(0)', title: 'New', tags: '' }).payload,
    });
    expect(bad.statusCode).toBe(422);
    expect(fragmentOf(bad.body).querySelector(`#edit-${bookmark.id}-url-error`)).not.toBeNull();
    expect(findBookmark(t.app.db, 'alice', bookmark.id)?.title).toBe('Old');

    const good = await t.app.inject({
      method: 'PUT', url: `/bookmarks/${bookmark.id}`, headers: { cookie: t.alice, ...HTMX, ...form({}).headers },
      payload: form({ url: 'https://new.example/', title: 'New', tags: 'X y' }).payload,
    });
    expect(good.statusCode).toBe(200);
    const card = fragmentOf(good.body);
    expect(card.querySelector('.card-title')?.textContent).toBe('New');
    expect([...card.querySelectorAll('.card .tag')].map((t) => t.textContent)).toEqual(['x', 'y']);
    // The tag list follows out of band: 'old' is gone, x and y are there.
    const cloud = card.querySelector('#tag-cloud')!;
    expect(cloud.getAttribute('hx-swap-oob')).toBe('true');
    expect([...cloud.querySelectorAll('.tag')].map((t) => t.textContent)).toEqual(['x', 'y']);
    const stored = findBookmark(t.app.db, 'alice', bookmark.id)!;
    expect(stored).toMatchObject({ url: 'https://new.example/', title: 'New', tags: 'x y' });
    expect(stored.createdAt).toEqual(bookmark.createdAt);
    expect(titles('alice', 'new')).toEqual(['New']);
    expect(titles('alice', 'old')).toEqual([]);
  });

  it('plain forms: GET …/edit is a full page and POST …/edit saves with a 303', async () => {
    const bookmark = setupBookmark(t.app.db, 'alice', { title: 'Old' });
    const page = await t.app.inject({ method: 'GET', url: `/bookmarks/${bookmark.id}/edit`, headers: { cookie: t.alice } });
    expect(html(page.body).querySelector('h1')?.textContent).toBe('Edit bookmark');
    const saved = await t.app.inject({
      method: 'POST', url: `/bookmarks/${bookmark.id}/edit`, headers: { cookie: t.alice, ...SAME_ORIGIN, ...form({}).headers },
      payload: form({ url: 'https://example.com/', title: 'Renamed', tags: '' }).payload,
    });
    expect(saved.statusCode).toBe(303);
    expect(titles('alice')).toEqual(['Renamed']);
    const invalid = await t.app.inject({
      method: 'POST', url: `/bookmarks/${bookmark.id}/edit`, headers: { cookie: t.alice, ...SAME_ORIGIN, ...form({}).headers },
      payload: form({ url: '', title: 'x', tags: '' }).payload,
    });
    expect(invalid.statusCode).toBe(422);
    expect(html(invalid.body).querySelector(`#edit-${bookmark.id}-url-error`)).not.toBeNull();
  });

  it('another user\'s id is a 404 for every edit route, and nothing changes', async () => {
    const bookmark = setupBookmark(t.app.db, 'alice', { title: 'Mine' });
    const payload = form({ url: 'https://evil.example/', title: 'Stolen', tags: '' });
    for (const request of [
      { method: 'GET' as const, url: `/bookmarks/${bookmark.id}/edit`, headers: { cookie: t.bob, ...HTMX } },
      { method: 'GET' as const, url: `/bookmarks/${bookmark.id}`, headers: { cookie: t.bob, ...HTMX } },
      { method: 'PUT' as const, url: `/bookmarks/${bookmark.id}`, headers: { cookie: t.bob, ...HTMX, ...payload.headers }, payload: payload.payload },
      { method: 'POST' as const, url: `/bookmarks/${bookmark.id}/edit`, headers: { cookie: t.bob, ...SAME_ORIGIN, ...payload.headers }, payload: payload.payload },
    ]) {
      expect((await t.app.inject(request)).statusCode).toBe(404);
    }
    expect(titles('alice')).toEqual(['Mine']);
  });

  it('editing a URL into one the user already has is refused next to the field', async () => {
    setupBookmark(t.app.db, 'alice', { title: 'First', url: 'https://first.example/' });
    const second = setupBookmark(t.app.db, 'alice', { title: 'Second', url: 'https://second.example/' });
    const response = await t.app.inject({
      method: 'PUT', url: `/bookmarks/${second.id}`, headers: { cookie: t.alice, ...HTMX, ...form({}).headers },
      payload: form({ url: 'HTTPS://FIRST.example', title: 'Second', tags: '' }).payload,
    });
    expect(response.statusCode).toBe(422);
    expect(fragmentOf(response.body).querySelector(`#edit-${second.id}-url-error`)?.textContent).toContain('First');
  });
});

describe('tags', () => {
  it('each tag chip links to a shareable tag search, which filters by that exact tag', async () => {
    setupBookmark(t.app.db, 'alice', { title: 'Tagged', tags: ['web-dev'] });
    setupBookmark(t.app.db, 'alice', { title: 'Near miss', tags: ['web'] });
    const page = html((await t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: t.alice } })).body);
    const chip = [...page.querySelectorAll('.card .tag')].find((a) => a.textContent === 'web-dev')!;
    expect(chip.getAttribute('href')).toBe('/bookmarks/search?q=%23web-dev');
    const result = await t.app.inject({ method: 'GET', url: chip.getAttribute('href')!, headers: { cookie: t.alice } });
    const resultPage = html(result.body);
    expect([...resultPage.querySelectorAll('.card-title')].map((a) => a.textContent)).toEqual(['Tagged']);
    expect(resultPage.querySelector('#search-input')?.getAttribute('value')).toBe('#web-dev');
  });

  it('htmx: a chip click also updates the search box out of band; typing in the box does not', async () => {
    setupBookmark(t.app.db, 'alice', { title: 'Tagged', tags: ['news'] });
    const fromChip = await t.app.inject({ method: 'GET', url: '/bookmarks/search?q=%23news', headers: { cookie: t.alice, ...HTMX } });
    const box = fragmentOf(fromChip.body).querySelector('#search-input')!;
    expect(box.getAttribute('hx-swap-oob')).toBe('true');
    expect(box.getAttribute('value')).toBe('#news');
    const fromBox = await t.app.inject({ method: 'GET', url: '/bookmarks/search?q=news', headers: { cookie: t.alice, ...HTMX, 'hx-trigger': 'search-input' } });
    expect(fragmentOf(fromBox.body).querySelector('#search-input')).toBeNull();
  });

  it('lists the user\'s tags with counts, most used first, never another user\'s', async () => {
    setupBookmark(t.app.db, 'alice', { tags: ['b', 'a'] });
    setupBookmark(t.app.db, 'alice', { tags: ['a'] });
    setupBookmark(t.app.db, 'bob', { tags: ['secret', 'a'] });
    expect(listTags(t.app.db, 'alice')).toEqual([{ tag: 'a', count: 2 }, { tag: 'b', count: 1 }]);
    const page = html((await t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: t.alice } })).body);
    expect([...page.querySelectorAll('#tag-cloud .tag')].map((a) => a.textContent)).toEqual(['a', 'b']);
    expect([...page.querySelectorAll('#tag-cloud .tag-count')].map((a) => a.textContent)).toEqual(['2', '1']);
  });
});

describe('duplicates', () => {
  it.each(['https://example.com/page', 'HTTPS://EXAMPLE.COM/page', 'https://example.com/page/'])(
    'saving %j when https://example.com/page exists shows the existing one instead of a second',
    async (url) => {
      const existing = setupBookmark(t.app.db, 'alice', { url: 'https://example.com/page', title: 'Existing' });
      const response = await t.app.inject({
        method: 'POST', url: '/bookmarks', headers: { cookie: t.alice, ...HTMX, ...form({}).headers },
        payload: form({ url, title: 'Again', tags: 'new' }).payload,
      });
      expect(response.statusCode).toBe(409);
      const notice = fragmentOf(response.body).querySelector('.notice')!;
      expect(notice.textContent).toContain('Existing');
      const update = notice.querySelector('button[name="update"]')!;
      expect(update.getAttribute('value')).toBe(String(existing.id));
      expect(titles('alice')).toEqual(['Existing']);
    },
  );

  it('"Update the saved one" updates the existing bookmark in place', async () => {
    const existing = setupBookmark(t.app.db, 'alice', { url: 'https://example.com/page', title: 'Existing' });
    const response = await t.app.inject({
      method: 'POST', url: '/bookmarks', headers: { cookie: t.alice, ...SAME_ORIGIN, ...form({}).headers },
      payload: form({ url: 'https://example.com/page/', title: 'Updated', tags: 'fresh', update: String(existing.id) }).payload,
    });
    expect(response.statusCode).toBe(303);
    const stored = searchBookmarks(t.app.db, 'alice', parseSearch('')).items;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: existing.id, title: 'Updated', tags: 'fresh' });
  });

  it('another user having the same URL is not a duplicate, and update= cannot touch their bookmark', async () => {
    const bobs = setupBookmark(t.app.db, 'bob', { url: 'https://shared.example/', title: 'Bob' });
    const response = await t.app.inject({
      method: 'POST', url: '/bookmarks', headers: { cookie: t.alice, ...SAME_ORIGIN, ...form({}).headers },
      payload: form({ url: 'https://shared.example/', title: 'Alice', tags: '' }).payload,
    });
    expect(response.statusCode).toBe(303);
    const hijack = await t.app.inject({
      method: 'POST', url: '/bookmarks', headers: { cookie: t.alice, ...SAME_ORIGIN, ...form({}).headers },
      payload: form({ url: 'https://other.example/', title: 'Hijack', tags: '', update: String(bobs.id) }).payload,
    });
    expect(hijack.statusCode).toBe(404);
    expect(titles('bob')).toEqual(['Bob']);
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
    expect(importBookmarks(t.app.db, 'alice', [{ url: saved, title: 'Saved', tags: [], createdAt: null }]).imported).toBe(1);
    const added = await t.app.inject({
      method: 'POST', url: '/bookmarks', headers: { cookie: t.alice, ...HTMX, ...form({}).headers },
      payload: form({ url: typed, title: 'Added', tags: '' }).payload,
    });
    expect(added.statusCode).toBe(same ? 409 : 200);
    const imported = importBookmarks(t.app.db, 'bob', [
      { url: saved, title: 'Saved', tags: [], createdAt: null },
      { url: typed, title: 'Imported', tags: [], createdAt: null },
    ]);
    expect(imported.duplicates).toBe(same ? 1 : 0);
  });
});

describe('undo delete', () => {
  /** An htmx delete, then the notice its HX-Trigger asks for; returns the undo token. */
  async function deleteAndFetchUndo(cookie: string, id: number): Promise<string | undefined> {
    const deleted = await t.app.inject({ method: 'DELETE', url: `/bookmarks/${id}`, headers: { cookie, ...HTMX } });
    expect(deleted.headers['hx-trigger']).toBe('bookmark-deleted');
    const notice = await t.app.inject({ method: 'GET', url: '/bookmarks/undo-notice', headers: { cookie, ...HTMX } });
    return fragmentOf(notice.body).querySelector('#undo-notice input[name="token"]')?.getAttribute('value') ?? undefined;
  }

  it('restores the bookmark exactly: same id, tags and dates', async () => {
    const original = setupBookmark(t.app.db, 'alice', { title: 'Precious', tags: ['keep', 'me'], createdAt: new Date(1_600_000_000_123) });
    const token = (await deleteAndFetchUndo(t.alice, original.id))!;
    expect(token).toBeTruthy();
    expect(titles('alice')).toEqual([]);
    const restored = await t.app.inject({
      method: 'POST', url: '/bookmarks/restore', headers: { cookie: t.alice, ...HTMX, ...form({}).headers }, payload: form({ token }).payload,
    });
    expect(restored.statusCode).toBe(200);
    expect(fragmentOf(restored.body).querySelector('#bookmark-list .card-title')?.textContent).toBe('Precious');
    expect(findBookmark(t.app.db, 'alice', original.id)).toEqual(original);
    expect(titles('alice', 'precious')).toEqual(['Precious']);

    const again = await t.app.inject({
      method: 'POST', url: '/bookmarks/restore', headers: { cookie: t.alice, ...HTMX, ...form({}).headers }, payload: form({ token }).payload,
    });
    expect(again.statusCode).toBe(410);
  });

  it('keeps the tag list in step: a delete drops a tag only it had, Undo brings it back', async () => {
    const only = setupBookmark(t.app.db, 'alice', { title: 'Alpha', url: 'https://example.com/a', tags: ['alpha', 'shared'] });
    setupBookmark(t.app.db, 'alice', { title: 'Beta', url: 'https://example.com/b', tags: ['shared'] });
    const cloudTags = (body: string) => {
      const cloud = fragmentOf(body).querySelector('#tag-cloud')!;
      expect(cloud.getAttribute('hx-swap-oob')).toBe('true');
      return [...cloud.querySelectorAll('.tag')].map((a) => a.textContent);
    };
    await t.app.inject({ method: 'DELETE', url: `/bookmarks/${only.id}`, headers: { cookie: t.alice, ...HTMX } });
    const notice = await t.app.inject({ method: 'GET', url: '/bookmarks/undo-notice', headers: { cookie: t.alice, ...HTMX } });
    expect(cloudTags(notice.body)).toEqual(['shared']);
    const token = fragmentOf(notice.body).querySelector('#undo-notice input[name="token"]')!.getAttribute('value')!;
    const restored = await t.app.inject({
      method: 'POST', url: '/bookmarks/restore', headers: { cookie: t.alice, ...HTMX, ...form({}).headers }, payload: form({ token }).payload,
    });
    expect(cloudTags(restored.body)).toEqual(['shared', 'alpha']);
  });

  it('works without JavaScript: the delete redirect carries the undo notice', async () => {
    const original = setupBookmark(t.app.db, 'alice', { title: 'Plain' });
    const deleted = await t.app.inject({ method: 'POST', url: `/bookmarks/${original.id}/delete`, headers: { cookie: t.alice, ...SAME_ORIGIN } });
    const page = html((await t.app.inject({ method: 'GET', url: deleted.headers.location as string, headers: { cookie: t.alice } })).body);
    expect(page.querySelector('#undo-notice .toast span')?.textContent).toBe('Deleted “Plain”.');
    // Someone else's or a made-up token offers no Undo at all.
    for (const [cookie, url] of [[t.bob, deleted.headers.location as string], [t.alice, '/dashboard?undo=made-up']]) {
      const other = html((await t.app.inject({ method: 'GET', url, headers: { cookie } })).body);
      expect(other.querySelector('#undo-notice .toast')).toBeNull();
    }
    const token = page.querySelector('#undo-notice input[name="token"]')!.getAttribute('value')!;
    const restored = await t.app.inject({
      method: 'POST', url: '/bookmarks/restore', headers: { cookie: t.alice, ...SAME_ORIGIN, ...form({}).headers }, payload: form({ token }).payload,
    });
    expect(restored.statusCode).toBe(303);
    expect(findBookmark(t.app.db, 'alice', original.id)).toEqual(original);
  });

  it('another user cannot use the undo token', async () => {
    const original = setupBookmark(t.app.db, 'alice', { title: 'Mine' });
    const token = (await deleteAndFetchUndo(t.alice, original.id))!;
    expect(token).toBeTruthy();
    const stolen = await t.app.inject({
      method: 'POST', url: '/bookmarks/restore', headers: { cookie: t.bob, ...HTMX, ...form({}).headers }, payload: form({ token }).payload,
    });
    expect(stolen.statusCode).toBe(410);
    expect(titles('bob')).toEqual([]);
  });
});
