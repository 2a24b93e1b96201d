import { fetchOptionsForPage } from '../../src/bookmarks/page-lookups.js';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createToken } from '../../src/tokens/tokens.js';
import { sharedFields } from '../../src/bookmarks/shared-fields.js';
import { LIMITS } from '../../src/bookmarks/validation.js';
import { as, authorizeAt, html, ownedBookmarks, parseFragment, sessionCookieFrom, setupBookmark, TEST_BASE_URL, useSignedInApp, type AppContext } from '../helpers.js';
import { pump, startServer } from '../fetch/servers.js';
import { ALLOW_LOOPBACK, htmlPage, PNG, requestsFor, startSite } from '../sites.js';

const ARTICLE_HEAD = '<title>Caf&eacute; notes &amp; more</title><meta name="description" content="Everything about \u202Ecoffee\u202C."><link rel="icon" href="/icon.png">';

/** Field values of the form on a page, by name. */
function formValues(page: Document): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of page.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('#bookmark-form [name]')) {
    values[field.getAttribute('name')!] = field.tagName === 'TEXTAREA' ? (field.textContent ?? '') : (field.getAttribute('value') ?? '');
  }
  return values;
}

const ownBookmarks = async (ctx: AppContext, owner: string) => ownedBookmarks(ctx.app.db, owner);

describe('the new-bookmark page', () => {
  const ctx = useSignedInApp();

  it('prefills the form from its query, and a GET stores nothing', async () => {
    const query = new URLSearchParams({ url: 'https://example.com/a', title: 'A <page>', description: 'Selected text', tags: 'read, later' });
    const response = await as(ctx, 'alice').get(`/bookmarks/new?${query}`);
    expect(response.statusCode).toBe(200);
    const page = html(response.body);
    expect(page.querySelector('h1')?.textContent).toBe('Save a link');
    expect(page.querySelector('#bookmark-form')?.getAttribute('action')).toBe('/bookmarks/new');
    expect(page.querySelector('#bookmark-form')?.hasAttribute('hx-post')).toBe(false);
    expect(formValues(page)).toEqual({ url: 'https://example.com/a', title: 'A <page>', description: 'Selected text', tags: 'read, later', popup: '0' });
    expect(await ownBookmarks(ctx, 'alice')).toEqual([]);
  });

  it('looks the page up as it opens only when the user opened it: not from a link on another site', async () => {
    const path = `/bookmarks/new?${new URLSearchParams({ url: 'https://example.com/linked' })}`;
    const triggers = async (fetchSite: string) =>
      html((await as(ctx, 'alice').get(path, { headers: { 'sec-fetch-site': fetchSite } })).body).querySelector('#bookmark-url')?.getAttribute('hx-trigger');
    // Typed or shared from the phone ('none'), or followed from this app: the title is filled in at once.
    expect(await triggers('none')).toMatch(/, load$/);
    expect(await triggers('same-origin')).toMatch(/, load$/);
    // A link on another site would spend the user's fetches and store an icon under them.
    expect(await triggers('cross-site')).not.toContain('load');
    expect(await triggers('same-site')).not.toContain('load');
  });

  it('takes the address out of shared text, as Android shares it', () => {
    expect(sharedFields({ text: 'https://example.com/story?id=1' })).toEqual({ url: 'https://example.com/story?id=1', title: '', description: '', tags: '' });
    expect(sharedFields({ title: 'A story', text: 'Worth reading: https://example.com/story.' })).toMatchObject({
      url: 'https://example.com/story',
      title: 'A story',
      description: 'Worth reading:',
    });
    expect(sharedFields({ text: '(see https://en.wikipedia.org/wiki/Fish_(disambiguation))' }).url).toBe('https://en.wikipedia.org/wiki/Fish_(disambiguation)');
    expect(sharedFields({ text: '(see https://example.com/a)' }).url).toBe('https://example.com/a');
    // The bracket the address closed goes with it.
    expect(sharedFields({ text: 'Look at this (https://en.wikipedia.org/wiki/Fish_(food)), nice' })).toMatchObject({
      url: 'https://en.wikipedia.org/wiki/Fish_(food)',
      description: 'Look at this nice',
    });
    expect(sharedFields({ text: 'A list (not a link) https://example.com/x' }).description).toBe('A list (not a link)');
    // A share with its own url field keeps it; text that only repeats the title or the address is no description.
    expect(sharedFields({ url: 'https://example.com/', title: 'Example', text: 'Example' })).toMatchObject({ url: 'https://example.com/', description: '' });
    expect(sharedFields({ url: 'https://example.com/', text: 'https://example.com/' }).description).toBe('');
    expect(sharedFields({ text: 'no address here' })).toMatchObject({ url: '', description: 'no address here' });
    expect(sharedFields({ url: ['https://a.example/', 'https://b.example/'], title: { x: 1 } })).toMatchObject({ url: '', title: '' });
  });

  it('ends an address in shared text at closing curly quotes and at Chinese, Japanese and Korean punctuation', () => {
    const url = 'https://example.com/story';
    for (const [text, description] of [
      [`He said “${url}” twice`, 'He said twice'],
      [`It’s at ‘${url}’.`, 'It’s at'],
      [`«${url}», lu ce matin`, 'lu ce matin'],
      [`「${url}」を読んだ。`, 'を読んだ。'],
      [`『${url}』より`, 'より'],
      [`ニュース：${url}。詳しくは、リンク先で`, 'ニュース： 詳しくは、リンク先で'],
      [`见${url}、很好`, '见 很好'],
      [`（${url}）很好`, '很好'],
      [`【${url}】참고하세요`, '참고하세요'],
      [`(see “${url}”)`, '(see'],
    ]) {
      expect(sharedFields({ text }), text).toMatchObject({ url, description });
    }
    // Straight quotes open and close alike: both go when written around the address, and one that only
    // opens what follows stays with it.
    for (const [text, description] of [
      [`He said "${url}" twice`, 'He said twice'],
      [`It's at '${url}'.`, "It's at"],
      [`${url}"nice" thing`, '"nice" thing'],
      [`see ${url}:"quote"`, 'see "quote"'],
      [`(see "${url}")`, '(see'],
      [`a "${url}", then`, 'a then'],
    ]) {
      expect(sharedFields({ text }), text).toMatchObject({ url, description });
    }
    // Letters of any script are part of an address; only the punctuation around it ends it.
    expect(sharedFields({ text: 'https://ja.wikipedia.org/wiki/東京駅。便利' }).url).toBe('https://ja.wikipedia.org/wiki/東京駅');
    expect(sharedFields({ text: 'https://example.com/a、https://example.com/b' }).url).toBe('https://example.com/a');
  });

  it('opens a share of Japanese text with the address in the form, and saves it without the punctuation after it', async () => {
    const text = '図書館が開館「https://news.example.jp/articles/12345」とのこと。';
    const page = html((await as(ctx, 'alice').get(`/bookmarks/new?${new URLSearchParams({ title: '図書館', text })}`)).body);
    expect(formValues(page)).toMatchObject({ url: 'https://news.example.jp/articles/12345', title: '図書館', description: '図書館が開館 とのこと。' });
    expect((await as(ctx, 'alice').post('/bookmarks/new', formValues(page))).statusCode).toBe(303);
    expect(await ownBookmarks(ctx, 'alice')).toMatchObject([{ url: 'https://news.example.jp/articles/12345', title: '図書館' }]);
  });

  // Each of these once took time in the square of its length, the process answering no one meanwhile (1.1 s for
  // 15,500 brackets, the most a query holds; over a minute for 200,000). What they must still give:
  it('takes the address out of a long run of brackets or punctuation', () => {
    expect(sharedFields({ text: `https://example.com/(${')'.repeat(200_000)}` }).url).toBe('https://example.com/()');
    expect(sharedFields({ text: `https://example.com/a${'.)'.repeat(100_000)} after` }).url).toBe('https://example.com/a');
    const commasThenLetter = `https://example.com/${','.repeat(200_000)}a`;
    expect(sharedFields({ text: commasThenLetter }).url).toBe(commasThenLetter);
  });

  it('answers the most brackets a query can hold at once, with the address in the form', async () => {
    const response = await as(ctx, 'alice').get(`/bookmarks/new?text=${encodeURIComponent(`https://example.com/(${')'.repeat(15_500)}`)}`);
    expect(response.statusCode).toBe(200);
    expect(formValues(html(response.body)).url).toBe('https://example.com/()');
  });

  it('cuts shared text longer than a description holds, so the form saves as it arrives', async () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const shared = sharedFields({ text: `https://example.com/long ${words}`, title: 't'.repeat(600) });
    expect([...shared.description!].length).toBeLessThanOrEqual(LIMITS.descriptionLength);
    expect(shared.description).toMatch(/^word0 word1 .* word\d+…$/);
    expect([...shared.title].length).toBeLessThanOrEqual(LIMITS.titleLength);
    const page = html((await as(ctx, 'alice').get(`/bookmarks/new?${new URLSearchParams({ text: `https://example.com/long ${words}` })}`)).body);
    const saved = await as(ctx, 'alice').post('/bookmarks/new', formValues(page));
    expect(saved.statusCode).toBe(303);
    expect((await ownBookmarks(ctx, 'alice'))[0]!.description).toBe(shared.description);
  });

  it('opens from the share target with text only and saves what was shared', async () => {
    const page = html((await as(ctx, 'alice').get(`/bookmarks/new?${new URLSearchParams({ title: 'Shared', text: 'Look https://example.com/shared' })}`)).body);
    const fields = formValues(page);
    expect(fields).toMatchObject({ url: 'https://example.com/shared', title: 'Shared', description: 'Look' });
    const saved = await as(ctx, 'alice').post('/bookmarks/new', fields);
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe('/dashboard');
    expect(await ownBookmarks(ctx, 'alice')).toMatchObject([{ url: 'https://example.com/shared', title: 'Shared', description: 'Look' }]);
  });

  it('says when the address is already saved, shows the saved bookmark and offers to edit it', async () => {
    const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/docs/', title: 'Docs', tags: ['ref'] });
    const page = html((await as(ctx, 'alice').get(`/bookmarks/new?${new URLSearchParams({ url: 'HTTPS://EXAMPLE.COM/docs', title: 'Other title', description: 'A note' })}`)).body);
    expect(page.querySelector('h1')?.textContent).toBe('Already saved');
    expect(page.querySelector('.bookmark-summary .card-title')?.textContent).toBe('Docs');
    expect(page.querySelector('.bookmark-summary .card-title')?.getAttribute('href')).toBe('https://example.com/docs/');
    // The form edits the saved one: its own values, plus the shared description it lacked.
    expect(formValues(page)).toEqual({ url: 'https://example.com/docs/', title: 'Docs', description: 'A note', tags: 'ref', popup: '0', update: String(existing.id) });
    expect(page.querySelector('#bookmark-form-button')?.textContent).toContain('Save changes');

    const saved = await as(ctx, 'alice').post('/bookmarks/new', { ...formValues(page), title: 'Docs, edited' });
    expect(saved.statusCode).toBe(303);
    expect(await ownBookmarks(ctx, 'alice')).toMatchObject([{ id: existing.id, title: 'Docs, edited', description: 'A note', tags: ['ref'] }]);
    // Someone else's bookmark for the same address is not theirs to see.
    expect(html((await as(ctx, 'bob').get('/bookmarks/new?url=https%3A%2F%2Fexample.com%2Fdocs%2F')).body).querySelector('h1')?.textContent).toBe('Save a link');
  });

  it('a mistake while editing the saved one answers on the “Already saved” page, still updating it', async () => {
    const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/docs/', title: 'Docs', tags: ['ref'] });
    const opened = html((await as(ctx, 'alice').get(`/bookmarks/new?${new URLSearchParams({ url: 'https://example.com/docs/', popup: '1' })}`)).body);
    const mistake = await as(ctx, 'alice').post('/bookmarks/new', { ...formValues(opened), title: 'Docs, edited', description: 'd'.repeat(1001) });
    expect(mistake.statusCode).toBe(422);
    const page = html(mistake.body);
    expect(page.querySelector('#bookmark-description-error')?.textContent).toBe('Descriptions can be at most 1000 characters.');
    // The page it was: the saved one shown above the form, which still updates it, with what was typed.
    expect(page.querySelector('h1')?.textContent).toBe('Already saved');
    expect(page.querySelector('title')?.textContent).toContain('Already saved');
    expect(page.querySelector('.bookmark-summary .card-title')?.textContent).toBe('Docs');
    expect(formValues(page)).toEqual({ url: 'https://example.com/docs/', title: 'Docs, edited', description: 'd'.repeat(1001), tags: 'ref', popup: '1', update: String(existing.id) });
    expect(page.querySelector('#bookmark-form-button')?.textContent).toContain('Save changes');

    const saved = await as(ctx, 'alice').post('/bookmarks/new', { ...formValues(page), description: 'Short now' });
    expect(saved.statusCode).toBe(200);
    expect(await ownBookmarks(ctx, 'alice')).toMatchObject([{ id: existing.id, title: 'Docs, edited', description: 'Short now', tags: ['ref'] }]);
  });

  it('editing the saved one into another saved address keeps the update: the form still changes the first, never adds a bookmark', async () => {
    const first = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/first', title: 'First', tags: ['one'] });
    const second = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/second', title: 'Second' });
    const opened = html((await as(ctx, 'alice').get(`/bookmarks/new?${new URLSearchParams({ url: first.url })}`)).body);
    const clash = await as(ctx, 'alice').post('/bookmarks/new', { ...formValues(opened), url: second.url });
    expect(clash.statusCode).toBe(409);
    const page = html(clash.body);
    expect(page.querySelector('h1')?.textContent).toBe('Already saved');
    expect(page.querySelector('.bookmark-summary .card-title')?.textContent).toBe('First');
    // The notice offers the other one; the form's own button still saves the first, which the hidden field names.
    expect(page.querySelector('.duplicate-notice button[name="update-duplicate"]')?.getAttribute('value')).toBe(String(second.id));
    expect(formValues(page)).toMatchObject({ url: second.url, title: 'First', update: String(first.id) });
    expect(page.querySelector('#bookmark-form-button')?.textContent).toContain('Save changes');

    // The address corrected, the form's own button (or Enter) updates the first one: no third bookmark.
    const { 'update-duplicate': _notPressed, ...fields } = formValues(page);
    const saved = await as(ctx, 'alice').post('/bookmarks/new', { ...fields, url: 'https://example.com/first-moved' });
    expect(saved.statusCode).toBe(303);
    const all = await ownBookmarks(ctx, 'alice');
    expect(all).toHaveLength(2);
    expect(all.find((bookmark) => bookmark.id === first.id)).toMatchObject({ url: 'https://example.com/first-moved', title: 'First', tags: ['one'] });
    expect(all.find((bookmark) => bookmark.id === second.id)).toMatchObject({ url: second.url, title: 'Second' });
  });

  it('in the bookmarklet’s window (popup=1), answers a save with a page that closes it, with no inline script', async () => {
    const page = html((await as(ctx, 'alice').get('/bookmarks/new?url=https%3A%2F%2Fexample.com%2F&title=Example&popup=1')).body);
    expect(formValues(page).popup).toBe('1');
    expect(page.querySelector('[data-action="close-window"]')?.hasAttribute('hidden')).toBe(true);

    const saved = await as(ctx, 'alice').post('/bookmarks/new', formValues(page));
    expect(saved.statusCode).toBe(200);
    const done = html(saved.body);
    expect(done.querySelector('h1')?.textContent?.trim()).toBe('Saved');
    expect(done.querySelector('[data-close-window-after]')).not.toBeNull();
    expect(done.querySelector('.bookmark-summary .card-title')?.textContent).toBe('Example');
    expect([...done.querySelectorAll('script')].map((script) => script.getAttribute('src')?.split('?v=')[0])).toEqual(['/vendor/htmx.min.js', '/static/app.js']);
    expect([...done.querySelectorAll('script')].every((script) => script.textContent === '')).toBe(true);
    expect(saved.headers['content-security-policy']).toMatch(/(^|;)script-src 'self'(;|$)/);
    expect(saved.headers['cache-control']).toBe('no-store');
  });

  it('answers bad input on the page itself, next to the field, keeping what was typed', async () => {
    const invalid = await as(ctx, 'alice').post('/bookmarks/new', { url: 'ftp://example.com/', title: 'T', description: 'D', tags: '', popup: '1' });
    expect(invalid.statusCode).toBe(422);
    const page = html(invalid.body);
    expect(page.querySelector('#bookmark-url-error')?.textContent).toContain('http:// or https://');
    expect(formValues(page)).toMatchObject({ url: 'ftp://example.com/', title: 'T', description: 'D', popup: '1' });

    const long = await as(ctx, 'alice').post('/bookmarks/new', { url: 'https://example.com/', title: '', description: 'd'.repeat(1001), tags: '', popup: '0' });
    expect(long.statusCode).toBe(422);
    const longPage = html(long.body);
    expect(longPage.querySelector('#bookmark-description-error')?.textContent).toBe('Descriptions can be at most 1000 characters.');
    expect(longPage.querySelector('#bookmark-description')?.hasAttribute('autofocus')).toBe(true);

    // A javascript: address is shown, never stored.
    const script = html((await as(ctx, 'alice').get('/bookmarks/new?url=javascript%3Aalert(1)&title=x')).body);
    expect(formValues(script).url).toBe('javascript:alert(1)');
    expect((await as(ctx, 'alice').post('/bookmarks/new', formValues(script))).statusCode).toBe(422);
    expect(await ownBookmarks(ctx, 'alice')).toEqual([]);
  });

  it('signed out, leads through the sign-in and back to the shared address', async () => {
    const path = `/bookmarks/new?${new URLSearchParams({ url: 'https://example.com/shared', title: 'Shared' })}`;
    const anonymous = await as(ctx, null).get(path);
    expect(anonymous.statusCode).toBe(303);
    const login = anonymous.headers.location as string;
    expect(login).toBe(`/auth/login?${new URLSearchParams({ returnTo: path })}`);
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'carol', login);
    const callback = await ctx.app.inject({ method: 'GET', url: `${callbackUrl.pathname}${callbackUrl.search}`, headers: { cookie: pendingCookie } });
    expect(callback.headers.location).toBe(path);
    const back = await ctx.app.inject({ method: 'GET', url: path, headers: { cookie: sessionCookieFrom(callback)! } });
    expect(formValues(html(back.body))).toMatchObject({ url: 'https://example.com/shared', title: 'Shared' });
  });

  /** Signs in from `path` as carol: where the sign-in leads back to, and the cookie that carried it. */
  async function signInFrom(path: string): Promise<{ returned: string; pendingCookie: string; back: Document }> {
    const anonymous = await as(ctx, null).get(path);
    expect(anonymous.statusCode).toBe(303);
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'carol', anonymous.headers.location as string);
    const callback = await ctx.app.inject({ method: 'GET', url: `${callbackUrl.pathname}${callbackUrl.search}`, headers: { cookie: pendingCookie } });
    const returned = callback.headers.location as string;
    const back = await ctx.app.inject({ method: 'GET', url: returned, headers: { cookie: sessionCookieFrom(callback)! } });
    return { returned, pendingCookie, back: html(back.body) };
  }

  it('signed out, leads back to a long shared address whole: one of 1,500 characters once went to the dashboard', async () => {
    // A map's or a tracking link's address, as phones share them.
    const url = `https://maps.example.com/place/Caf%C3%A9?data=${'A1b2'.repeat(360)}`;
    const path = `/bookmarks/new?${new URLSearchParams({ url, title: 'Café', popup: '1' })}`;
    expect(path.length).toBeGreaterThan(1500);
    const { returned, pendingCookie, back } = await signInFrom(path);
    expect(pendingCookie.length).toBeLessThanOrEqual(4096);
    // The é comes back written as itself, which is the same address.
    const readable = `https://maps.example.com/place/Café?data=${'A1b2'.repeat(360)}`;
    expect(returned).toBe(`/bookmarks/new?${new URLSearchParams({ url: readable, title: 'Café', popup: '1' })}`);
    expect(formValues(back)).toMatchObject({ url: readable, title: 'Café', popup: '1' });
    expect(new URL(readable).href).toBe(url);
  });

  it('signed out, leads back to a shared address of escaped non-ASCII characters whole: their escapes, escaped again, once went past what the sign-in carries', async () => {
    // 1,290 characters, under the form's 2,048: escaped again in the return address, 2,150.
    const url = `https://ja.wikipedia.org/wiki/${'%E6%97%A5'.repeat(140)}`;
    const { returned, pendingCookie, back } = await signInFrom(`/bookmarks/new?${new URLSearchParams({ url, title: 'T' })}`);
    expect(pendingCookie.length).toBeLessThanOrEqual(4096);
    expect(returned.startsWith('/bookmarks/new?')).toBe(true);
    const carried = new URL(returned, TEST_BASE_URL).searchParams.get('url')!;
    expect(carried).toBe(`https://ja.wikipedia.org/wiki/${'日'.repeat(140)}`);
    expect(new URL(carried).href).toBe(url);
    expect(formValues(back)).toMatchObject({ url: carried, title: 'T' });
  });

  it('signed out, leads back to a shared page too long for the sign-in to carry whole: the address whole, the description and then the title cut', async () => {
    // A Japanese news page as the bookmarklet sends it: each character is nine once percent-encoded.
    const title = '東京で新しい図書館が開館、市民から歓迎の声。週末には多くの家族連れが訪れた';
    const description = '東京都内に新しい図書館が開館した。蔵書は約五十万冊で、子ども向けの読み聞かせコーナーや学習スペースも備える。'.repeat(18).slice(0, LIMITS.descriptionLength);
    const url = 'https://news.example.jp/articles/2026/01/15/12345?from=top';
    const shared = { url, title, description, popup: '1' };
    const { returned, pendingCookie, back } = await signInFrom(`/bookmarks/new?${new URLSearchParams(shared)}`);
    // A browser keeps a cookie of at most 4,096 bytes, its name included.
    expect(pendingCookie.length).toBeLessThanOrEqual(4096);
    expect(returned.startsWith('/bookmarks/new?')).toBe(true);
    const params = Object.fromEntries(new URL(returned, TEST_BASE_URL).searchParams);
    expect(params).toMatchObject({ url, title, popup: '1' });
    expect(description.startsWith(params.description!)).toBe(true);
    expect([...params.description!].length).toBeGreaterThan(40);
    expect(formValues(back)).toMatchObject({ url, title, description: params.description });

    // A phone's share sends its text, the address inside it: what the page read of it comes back, cut the same way.
    const shareText = `図書館のニュース ${url} ${description}`;
    const shared2 = await signInFrom(`/bookmarks/new?${new URLSearchParams({ title, text: shareText })}`);
    const sharedParams = Object.fromEntries(new URL(shared2.returned, TEST_BASE_URL).searchParams);
    expect(sharedParams).toMatchObject({ url, title });
    expect(`図書館のニュース ${description}`.startsWith(sharedParams.description!)).toBe(true);
    expect(formValues(shared2.back)).toMatchObject({ url, title, description: sharedParams.description });

    // A title of 500 such characters leaves no room for any description, and is cut itself.
    const longTitle = '図書館'.repeat(167).slice(0, LIMITS.titleLength);
    const cut = await signInFrom(`/bookmarks/new?${new URLSearchParams({ ...shared, title: longTitle })}`);
    const cutParams = Object.fromEntries(new URL(cut.returned, TEST_BASE_URL).searchParams);
    expect(cutParams).toMatchObject({ url, description: '', popup: '1' });
    expect(longTitle.startsWith(cutParams.title!)).toBe(true);
    expect(cutParams.title!.length).toBeGreaterThan(40);
    expect(formValues(cut.back)).toMatchObject({ url, title: cutParams.title });
  });
});

describe('titles, descriptions and icons fetched for you', () => {
  const ctx = useSignedInApp({ fetchAllowHosts: ALLOW_LOOPBACK, fetchTimeouts: { saveMs: 2000 } });

  it('looks up an address typed into the add form: the page’s title and description, and its icon', async () => {
    const site = await startSite({ '/article': htmlPage(ARTICLE_HEAD), '/icon.png': { headers: { 'content-type': 'image/png' }, body: PNG } });
    const url = `${site.origin}/article`;
    const response = await as(ctx, 'alice').htmx.post('/bookmarks/lookup', { url: `  ${url} `, title: '', description: '', tags: '' });
    expect(response.statusCode).toBe(200);
    const found = parseFragment(response.body).querySelector<HTMLElement>('[data-typed-url]');
    expect(found?.getAttribute('data-typed-url')).toBe(url);
    // Cleaned as typed text is: the bidi override is gone.
    expect(found?.getAttribute('data-title')).toBe('Café notes & more');
    expect(found?.getAttribute('data-description')).toBe('Everything about coffee.');
    expect(await ownBookmarks(ctx, 'alice')).toEqual([]);

    await ctx.app.pageLookups.settled();
    const icon = await as(ctx, 'alice').get(`/favicons/127.0.0.1:${site.port}`);
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/png');
    expect(icon.rawPayload.equals(PNG)).toBe(true);
  });

  it('two saves of one page at once, both fetching its title, store it once: the second is shown the saved one', async () => {
    // The page answers once both saves are fetching it, so both have looked for a duplicate and found none.
    const waiting: (() => void)[] = [];
    const answerAll = (): void => void waiting.splice(0).forEach((answer) => answer());
    const site = await startSite({
      '/slow': (_request, response) => {
        waiting.push(() => response.writeHead(200, { 'content-type': 'text/html' }).end('<title>Slow page</title>'));
        if (waiting.length === 2) answerAll();
        else setTimeout(answerAll, 1500);
      },
    });
    const url = `${site.origin}/slow`;
    const answers = await Promise.all([1, 2].map(() => as(ctx, 'alice').htmx.post('/bookmarks', { url, title: '', description: '', tags: '' })));
    expect(requestsFor(site, '/slow')).toBe(2);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    const refused = answers.find((answer) => answer.statusCode === 409)!;
    expect(parseFragment(refused.body).querySelector('.notice')?.textContent).toContain('Slow page');
    expect(await ownBookmarks(ctx, 'alice')).toMatchObject([{ url, title: 'Slow page' }]);
  });

  it('fetches nothing once a title and description are typed, and says when the address is saved already', async () => {
    const site = await startSite({ '/article': htmlPage(ARTICLE_HEAD) });
    const typed = await as(ctx, 'alice').htmx.post('/bookmarks/lookup', { url: `${site.origin}/article`, title: 'Mine', description: 'Also mine', tags: '' });
    expect(typed.body.trim()).toBe('');
    await setupBookmark(ctx.app.db, 'alice', { url: `${site.origin}/article`, title: 'Saved before' });
    const saved = parseFragment((await as(ctx, 'alice').htmx.post('/bookmarks/lookup', { url: `${site.origin}/article`, title: '' })).body);
    expect(saved.querySelector('.lookup-note')?.textContent).toContain('You already saved this address as “Saved before”');
    expect(saved.querySelector('[data-typed-url]')).toBeNull();
    // Not an address, or only half of one: nothing is fetched, nothing is said.
    for (const url of ['', 'not a url', 'https://exa', 'ftp://example.com/']) {
      expect((await as(ctx, 'alice').htmx.post('/bookmarks/lookup', { url, title: '' })).body.trim(), url).toBe('');
    }
    expect(site.requests).toEqual([]);
  });

  it('looks up an address typed without its scheme as the https one it will be saved as', async () => {
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.org/notes', title: 'Saved before' });
    const saved = parseFragment((await as(ctx, 'alice').htmx.post('/bookmarks/lookup', { url: ' example.org/notes ', title: '' })).body);
    expect(saved.querySelector('.lookup-note')?.textContent).toContain('You already saved this address as “Saved before”');
    const page = await as(ctx, 'alice').post('/bookmarks/lookup', { url: 'example.org/other', title: '', description: '', tags: '' });
    expect(Object.fromEntries(new URL(page.headers.location as string, 'http://app').searchParams)).toMatchObject({ url: 'https://example.org/other' });
    // Typed into the new-bookmark page's own address by hand, as the form reads it.
    const opened = html((await as(ctx, 'alice').get('/bookmarks/new?url=example.org/notes')).body);
    expect(opened.querySelector('h1')?.textContent).toBe('Already saved');
    expect(opened.querySelector<HTMLInputElement>('#bookmark-url')?.getAttribute('value')).toBe('https://example.org/notes');
  });

  it('without JavaScript, the lookup leads to the new-bookmark page with what it found', async () => {
    const site = await startSite({ '/article': htmlPage(ARTICLE_HEAD) });
    const response = await as(ctx, 'alice').post('/bookmarks/lookup', { url: `${site.origin}/article`, title: '', description: '', tags: 'x' });
    expect(response.statusCode).toBe(303);
    const target = new URL(response.headers.location as string, 'http://app');
    expect(target.pathname).toBe('/bookmarks/new');
    expect(Object.fromEntries(target.searchParams)).toEqual({ url: `${site.origin}/article`, title: 'Café notes & more', description: 'Everything about coffee.', tags: 'x' });
    await ctx.app.pageLookups.settled();
  });

  it('without JavaScript, the lookup’s page opens whatever title and description were found: cut to fit the address a server takes', async () => {
    // Within the form's limits, 500 and 1,000 characters, but 12 characters each once percent-encoded.
    const title = '😀'.repeat(LIMITS.titleLength);
    const site = await startSite({ '/': htmlPage(`<title>${title}</title><meta name="description" content="${'😃'.repeat(LIMITS.descriptionLength)}">`) });
    const lookup = await as(ctx, 'alice').post('/bookmarks/lookup', { url: `${site.origin}/`, title: '', description: '', tags: 'x' });
    expect(lookup.statusCode).toBe(303);
    const location = lookup.headers.location as string;
    const found = Object.fromEntries(new URL(location, TEST_BASE_URL).searchParams);
    expect(found).toMatchObject({ url: `${site.origin}/`, description: '', tags: 'x' });
    expect(title.startsWith(found.title!)).toBe(true);
    expect([...found.title!].length).toBeGreaterThan(400);
    await ctx.app.pageLookups.settled();
    // Followed over HTTP, as a browser does (inject knows no limit on a request's head): it was 431 at 18 kB.
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as AddressInfo;
    const page = await fetch(`http://127.0.0.1:${port}${location}`, { headers: { cookie: ctx.cookies.alice!, 'sec-fetch-site': 'same-origin' } });
    expect(page.status).toBe(200);
    expect(formValues(html(await page.text()))).toMatchObject({ url: `${site.origin}/`, title: found.title, tags: 'x' });
  });

  it('saving with an empty title takes the page’s title and description; anything typed wins', async () => {
    const site = await startSite({ '/a': htmlPage(ARTICLE_HEAD), '/b': htmlPage(ARTICLE_HEAD), '/c': htmlPage(ARTICLE_HEAD) });
    expect((await as(ctx, 'alice').post('/bookmarks', { url: `${site.origin}/a`, title: '', description: '', tags: '' })).statusCode).toBe(303);
    expect((await as(ctx, 'alice').htmx.post('/bookmarks', { url: `${site.origin}/b`, title: ' ', description: 'My words', tags: '' })).statusCode).toBe(200);
    expect((await as(ctx, 'alice').post('/bookmarks', { url: `${site.origin}/c`, title: 'My title', description: '', tags: '' })).statusCode).toBe(303);
    await ctx.app.pageLookups.settled();
    const saved = Object.fromEntries((await ownBookmarks(ctx, 'alice')).map((b) => [new URL(b.url).pathname, [b.title, b.description]]));
    expect(saved).toEqual({
      '/a': ['Café notes & more', 'Everything about coffee.'],
      '/b': ['Café notes & more', 'My words'],
      // A typed title means no page is fetched for the answer: the description stays empty.
      '/c': ['My title', ''],
    });
  });
});

describe('a page that is unreachable, slow, huge or hostile', () => {
  const ctx = useSignedInApp({ fetchAllowHosts: ALLOW_LOOPBACK, fetchTimeouts: { saveMs: 300, lookupMs: 10_000 } });

  it('never holds up the add form, the list or anyone else while it is being read', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const site = await startSite({
      '/slow': (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.write('<html><head>');
        void released.then(() => response.end('<title>At last</title></head>'));
      },
    });
    let answered = false;
    const lookup = as(ctx, 'alice')
      .htmx.post('/bookmarks/lookup', { url: `${site.origin}/slow`, title: '' })
      .then((response) => ((answered = true), response));
    await expect.poll(() => requestsFor(site, '/slow')).toBe(1);

    // While that page is still being read: the same user saves (with a title) and lists; another user too.
    expect((await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://example.com/typed', title: 'Typed', tags: '' })).statusCode).toBe(200);
    expect((await as(ctx, 'alice').get('/dashboard')).statusCode).toBe(200);
    expect((await as(ctx, 'bob').post('/bookmarks', { url: 'https://example.com/bob', title: 'Bob', tags: '' })).statusCode).toBe(303);
    expect(answered).toBe(false);

    release();
    const found = parseFragment((await lookup).body).querySelector('[data-typed-url]');
    expect(found?.getAttribute('data-title')).toBe('At last');
  });

  const closedPort = async (): Promise<string> => {
    const server = await startServer(() => {});
    await server.close();
    return server.origin;
  };
  const hostile: [string, () => Promise<string>][] = [
    ['unreachable (connection refused)', closedPort],
    [
      'slow (headers never come)',
      async () => (await startSite({ '/': () => {} })).origin,
    ],
    [
      'huge (a head that never ends)',
      async () => {
        const site = await startServer((_request, response) => {
          response.writeHead(200, { 'content-type': 'text/html' });
          response.write('<html><head>');
          void pump(response, Buffer.from('<meta name="x" content="y">'.repeat(100)), 64 * 1024 * 1024);
        });
        return site.origin;
      },
    ],
    [
      'a gzip bomb',
      async () => {
        const member = gzipSync(Buffer.alloc(1024 * 1024, ' '), { level: 9 });
        const bomb = Buffer.concat([gzipSync('<html><head>'), ...Array.from({ length: 64 }, () => member)]);
        return (await startSite({ '/': { headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' }, body: bomb } })).origin;
      },
    ],
    ['not a web page', async () => (await startSite({ '/': { headers: { 'content-type': 'image/png' }, body: PNG } })).origin],
    [
      'a redirect loop',
      async () => {
        const site = await startServer((request, response) => response.writeHead(302, { location: `/${Number(request.url!.slice(1) || 0) + 1}` }).end());
        return site.origin;
      },
    ],
  ];

  it.each([...hostile])('%s: the save still works, titled by the host', async (_name, start) => {
    const origin = await start();
    const response = await as(ctx, 'alice').htmx.post('/bookmarks', { url: `${origin}/`, title: '', tags: 'kept' });
    expect(response.statusCode).toBe(200);
    expect(parseFragment(response.body).querySelector('#bookmark-cards .card-title')?.textContent).toBe('127.0.0.1');
    expect(await ownBookmarks(ctx, 'alice')).toMatchObject([{ url: `${origin}/`, title: '127.0.0.1', description: '', tags: ['kept'] }]);
    await ctx.app.pageLookups.settled();
  });
});

describe('the fetcher as a security boundary, through the app', () => {
  it('lets only an allowed host’s own pages lead into allowed hosts: from any other page, no redirect or icon link does', () => {
    const options = { allowHosts: [{ host: 'wiki.corp', port: null }], userAgent: 'test' };
    expect(fetchOptionsForPage(new URL('https://wiki.corp/page'), options).allowHosts).toEqual(options.allowHosts);
    expect(fetchOptionsForPage(new URL('https://public.example/page'), options).allowHosts).toEqual([]);
  });

  describe('by default (no FETCH_ALLOW_HOSTS)', () => {
    const allowedOnly = useSignedInApp({ fetchSites: 'allowed' });
    it('reaches no address that is not listed: nothing connects, and the save falls back to the host', async () => {
      const site = await startSite({ '/': htmlPage('<title>Private</title>') });
      const lookup = await as(allowedOnly, 'alice').htmx.post('/bookmarks/lookup', { url: `${site.origin}/`, title: '' });
      expect(lookup.body.trim()).toBe('');
      await as(allowedOnly, 'alice').post('/bookmarks', { url: `${site.origin}/`, title: '', tags: '' });
      await allowedOnly.app.pageLookups.settled();
      expect(await ownBookmarks(allowedOnly, 'alice')).toMatchObject([{ title: '127.0.0.1' }]);
      expect(site.connections).toBe(0);
    });
  });

  describe('with FETCH_SITES=public and no FETCH_ALLOW_HOSTS', () => {
    const publicSites = useSignedInApp({ fetchSites: 'public' });
    it('refuses loopback, private and metadata addresses before connecting, and says so without naming them', async () => {
      const site = await startSite({ '/': htmlPage('<title>Private</title>') });
      for (const url of [`${site.origin}/`, `http://[::ffff:127.0.0.1]:${site.port}/`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/']) {
        const note = parseFragment((await as(publicSites, 'alice').htmx.post('/bookmarks/lookup', { url, title: '' })).body).querySelector('.lookup-note');
        expect(note?.textContent, url).toContain('That address cannot be fetched: only public http and https sites can.');
        expect(note?.textContent).not.toMatch(/127\.0\.0\.1|169\.254|10\.0\.0\.1|loopback|private/);
      }
      await as(publicSites, 'alice').post('/bookmarks', { url: `${site.origin}/`, title: '', tags: '' });
      await publicSites.app.pageLookups.settled();
      expect(site.connections).toBe(0);
    });
  });

  describe('with FETCH_SITES=none', () => {
    const none = useSignedInApp({ fetchSites: 'none', fetchAllowHosts: ALLOW_LOOPBACK });
    it('never fetches, even an allowed host', async () => {
      const site = await startSite({ '/': htmlPage('<title>Allowed</title>') });
      expect((await as(none, 'alice').htmx.post('/bookmarks/lookup', { url: `${site.origin}/`, title: '' })).body.trim()).toBe('');
      await as(none, 'alice').post('/bookmarks', { url: `${site.origin}/`, title: '', tags: '' });
      await none.app.pageLookups.settled();
      expect(site.connections).toBe(0);
    });
  });

  describe('the per-user fetch limit', () => {
    const limited = useSignedInApp({ fetchAllowHosts: ALLOW_LOOPBACK, rateLimits: { fetchesPerUser: 2 } });
    it('counts lookups and saves together, per user: past it the lookup says so, and a save falls back to the host without fetching', async () => {
      const page = htmlPage('<title>Counted</title><link rel="icon" href="data:,">');
      const site = await startSite({ '/': page, '/saved': page, '/third': page });
      const lookUp = async (user: string) => parseFragment((await as(limited, user).htmx.post('/bookmarks/lookup', { url: `${site.origin}/`, title: '' })).body);
      expect((await lookUp('alice')).querySelector('[data-title]')?.getAttribute('data-title')).toBe('Counted');
      await as(limited, 'alice').post('/bookmarks', { url: `${site.origin}/saved`, title: '', tags: '' });
      await limited.app.pageLookups.settled();
      const before = requestsFor(site, '/') + requestsFor(site, '/saved');
      expect((await lookUp('alice')).querySelector('.lookup-note')?.textContent).toContain('Too many page lookups just now');
      await as(limited, 'alice').post('/bookmarks', { url: `${site.origin}/third`, title: '', tags: '' });
      await limited.app.pageLookups.settled();
      expect(requestsFor(site, '/') + requestsFor(site, '/saved') + requestsFor(site, '/third')).toBe(before);
      expect((await ownBookmarks(limited, 'alice')).map((b) => b.title).sort()).toEqual(['127.0.0.1', 'Counted']);
      // The API draws on the same count: its save without a title falls back to the host too.
      const { secret } = await createToken(limited.app.db, 'alice', 'script');
      const viaApi = await limited.app.inject({ method: 'POST', url: '/api/v1/bookmarks', headers: { authorization: `Bearer ${secret}` }, payload: { url: `${site.origin}/api` } });
      expect(viaApi.json()).toMatchObject({ title: '127.0.0.1' });
      expect(requestsFor(site, '/api')).toBe(0);
      // Bob has his own count; the counter lives in the counters' database, shared by every process.
      expect((await lookUp('bob')).querySelector('[data-title]')?.getAttribute('data-title')).toBe('Counted');
      const hits = await limited.app.counterDb.all<{ key: string }>(sql`SELECT key FROM rate_limit_hits WHERE key LIKE 'fetch:%' ORDER BY key`);
      expect(hits.map((row) => row.key)).toEqual(['fetch:alice', 'fetch:bob']);
    });
  });
});

describe('the dashboard on a phone', () => {
  const ctx = useSignedInApp();

  it('puts search first and folds the add form behind “Save a link”, a <details> that works without JavaScript', async () => {
    const page = html((await as(ctx, 'alice').get('/dashboard')).body);
    const fold = page.querySelector('details#add-fold')!;
    // In document order (what a screen reader reads): the search box, the fold, the tags, the list. A phone's
    // column shows the tags after the list (CSS order); tests/e2e/save-anywhere.e2e.ts checks what it shows.
    expect([...page.querySelectorAll('#search-input, #add-fold, #bookmark-list, #tag-cloud')].map((element) => element.id)).toEqual([
      'search-input',
      'add-fold',
      'tag-cloud',
      'bookmark-list',
    ]);
    expect(fold.hasAttribute('open')).toBe(false);
    expect(fold.querySelector(':scope > summary')?.textContent?.trim()).toBe('Save a link');
    expect(fold.querySelector('#bookmark-form')).not.toBeNull();
  });

  it('shows the form unfolded when it has something to say: an error, or a duplicate', async () => {
    const invalid = html((await as(ctx, 'alice').post('/bookmarks', { url: 'nope', title: '', tags: '' })).body);
    expect(invalid.querySelector('details#add-fold')?.hasAttribute('open')).toBe(true);
    expect(invalid.querySelector('details#add-fold #bookmark-url-error')).not.toBeNull();
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/' });
    const duplicate = html((await as(ctx, 'alice').post('/bookmarks', { url: 'https://example.com/', title: '', tags: '' })).body);
    expect(duplicate.querySelector('details#add-fold')?.hasAttribute('open')).toBe(true);
  });
});
