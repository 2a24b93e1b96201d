import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { honoursClearSiteData } from '../../src/http/caching.js';
import { createToken } from '../../src/tokens/tokens.js';
import { as, form, html, HTMX, SAME_ORIGIN, setupBookmark, useSignedInApp } from '../helpers.js';

/**
 * What a browser may keep of a signed-in user's answers: the dashboard, searches, cards and
 * edit forms, always revalidated; nothing else. Sign-out empties what it kept, the
 * back/forward cache included (tests/e2e/sign-out-history.e2e.ts shows it in Chromium).
 */
const ctx = useSignedInApp();

/** A request, given the id of a bookmark of alice's. */
type Request = (bookmark: number) => InjectOptions;
const get = (url: string | ((bookmark: number) => string), htmx = false): Request => (bookmark) => ({
  method: 'GET',
  url: typeof url === 'string' ? url : url(bookmark),
  headers: { ...(htmx ? HTMX : SAME_ORIGIN) },
});

function withForm(values: Record<string, string>, headers: Record<string, string>): Pick<InjectOptions, 'payload' | 'headers'> {
  const { payload, headers: type } = form(values);
  return { payload, headers: { ...headers, ...type } };
}

describe('private answers are never stored, unless revalidated', () => {
  it.each([
    // An undo offer runs out with time, which no ETag can tell.
    ['the dashboard with an undo notice', get('/dashboard?undo=nope')],
    ['the undo notice', get('/bookmarks/undo-notice', true)],
    ['the import page', get('/import')],
    ['the import form', get('/import', true)],
    ['the settings page', get('/settings')],
    ['the token panel', get('/settings', true)],
    ['the export file', get('/export')],
    ['the not-found page, which names the user', get('/no-such-page')],
    ['the add form answer', () => ({ method: 'POST', url: '/bookmarks', ...withForm({ url: 'https://example.org/new', title: 'New one', tags: '' }, HTMX) })],
    ['the add form with an error', () => ({ method: 'POST', url: '/bookmarks', ...withForm({ url: 'nope', title: 'Kept words', tags: '' }, SAME_ORIGIN) })],
    ['a saved inline edit', (id) => ({ method: 'PUT', url: `/bookmarks/${id}`, ...withForm({ url: 'https://example.com/kept', title: 'Kept words', tags: 'a' }, HTMX) })],
    ['an edit page with an error', (id) => ({ method: 'POST', url: `/bookmarks/${id}/edit`, ...withForm({ url: 'nope', title: 'Kept words', tags: '' }, SAME_ORIGIN) })],
    ['an expired undo', () => ({ method: 'POST', url: '/bookmarks/restore', ...withForm({ token: 'gone' }, SAME_ORIGIN) })],
    // Where its Save and Cancel go back to comes from the Referer, which no ETag covers.
    ['the edit page (without JavaScript)', get((id) => `/bookmarks/${id}/edit`)],
    ['the new-bookmark page', get('/bookmarks/new?url=https%3A%2F%2Fexample.org%2Fshared')],
    ['the new-bookmark page for an address already saved', get('/bookmarks/new?url=https%3A%2F%2Fexample.com%2Fkept')],
    ['the saved page in the bookmarklet’s window', () => ({ method: 'POST', url: '/bookmarks/new', ...withForm({ url: 'https://example.org/popup', title: 'P', tags: '', popup: '1' }, SAME_ORIGIN) })],
    ['the address lookup', () => ({ method: 'POST', url: '/bookmarks/lookup', ...withForm({ url: 'https://example.com/kept', title: '' }, HTMX) })],
  ] as [string, Request][])('%s: Cache-Control: no-store', async (_name, request) => {
    const bookmark = (await setupBookmark(ctx.app.db, 'alice', { title: 'Kept words', url: 'https://example.com/kept' })).id;
    const options = request(bookmark);
    const response = await ctx.app.inject({ ...options, headers: { ...(options.headers as Record<string, string>), cookie: ctx.cookies.alice } });
    expect(response.statusCode, response.body.slice(0, 200)).toBeLessThan(500);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  // Kept, but always revalidated (tests/http/revalidation.test.ts); sign-out clears them (Clear-Site-Data).
  it.each([
    ['the dashboard', get('/dashboard')],
    ['a search page', get('/bookmarks/search?q=kept')],
    ['a history restore of a search', () => ({ method: 'GET', url: '/bookmarks/search?q=kept', headers: { ...HTMX, 'hx-history-restore-request': 'true' } })],
    ['a search fragment', get('/bookmarks/search?q=kept', true)],
    ['the next page of a search', get('/bookmarks/search?q=&after=1.1', true)],
    ['a card', get((id) => `/bookmarks/${id}`, true)],
    ['the inline edit form', get((id) => `/bookmarks/${id}/edit`, true)],
  ] as [string, Request][])('%s: private, no-cache with an ETag, revalidated on every use', async (_name, request) => {
    const bookmark = (await setupBookmark(ctx.app.db, 'alice', { title: 'Kept words', url: 'https://example.com/kept' })).id;
    const options = request(bookmark);
    const response = await ctx.app.inject({ ...options, headers: { ...(options.headers as Record<string, string>), cookie: ctx.cookies.alice } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('private, no-cache');
    expect(response.headers.etag).toMatch(/^".+"$/);
  });

  it('API answers to a token holder: Cache-Control: no-store', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Kept words' });
    const authorization = `Bearer ${(await createToken(ctx.app.db, 'alice', 'cache')).secret}`;
    for (const url of ['/api/v1/bookmarks', '/api/v1/tags', '/api/v1/bookmarks/999']) {
      const response = await ctx.app.inject({ method: 'GET', url, headers: { authorization } });
      expect(response.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('static files keep their own caching, signed in or not', async () => {
    for (const cookie of [ctx.cookies.alice, undefined]) {
      for (const url of ['/static/app.css', '/vendor/htmx.min.js']) {
        const response = await ctx.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
        expect(response.statusCode).toBe(200);
        expect(response.headers['cache-control'], url).toMatch(/^public, max-age=\d+$/);
      }
    }
  });
});

describe('signing out', () => {
  it.each([
    ['a form post', SAME_ORIGIN],
    ['htmx', HTMX],
  ])('by %s asks the browser to clear its cache and this site’s storage (Clear-Site-Data)', async (_name, headers) => {
    const response = await ctx.app.inject({ method: 'POST', url: '/auth/logout', headers: { ...headers, cookie: ctx.cookies.alice } });
    expect(response.statusCode).toBeLessThan(400);
    expect(response.headers['clear-site-data']).toBe('"cache", "storage"');
  });

  it('leaves htmx no copy to restore, and its history-restore request shows the signed-out browser nothing private', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Kept words' });
    const dashboard = await as(ctx, 'alice').get('/dashboard');
    const config = JSON.parse(html(dashboard.body).querySelector('meta[name="htmx-config"]')!.getAttribute('content')!) as Record<string, unknown>;
    expect(config.historyCacheSize).toBe(0);
    const restoreRequest = (url: string) => ({ ...HTMX, 'hx-history-restore-request': 'true', 'hx-current-url': `http://127.0.0.1:3999${url}`, cookie: ctx.cookies.alice });
    const kept = new Map<string, string>();
    for (const url of ['/dashboard', '/bookmarks/search?q=kept']) {
      const etag = String((await ctx.app.inject({ method: 'GET', url, headers: restoreRequest(url) })).headers.etag);
      expect(etag).toMatch(/^".+"$/);
      kept.set(url, etag);
    }

    const signedOut = await as(ctx, 'alice').post('/auth/logout');
    expect(signedOut.statusCode).toBe(303);
    // What htmx sends on Back when it has no copy, here with the cookie the browser had before
    // signing out, and the ETag of the copy a browser may have kept: no 304 confirms that copy.
    for (const url of ['/dashboard', '/bookmarks/search?q=kept']) {
      const restore = await ctx.app.inject({ method: 'GET', url, headers: { ...restoreRequest(url), 'if-none-match': kept.get(url)! } });
      expect(restore.statusCode, url).toBe(303);
      expect(restore.headers.location).toBe('/');
      expect(restore.body).not.toContain('Kept words');
      expect(restore.body).not.toContain('alice');
    }
  });
});

describe('honoursClearSiteData: browsers read Clear-Site-Data from a secure context only', () => {
  it.each([
    ['https://bookmarks.example.test/', true],
    ['http://localhost:3000/', true],
    ['http://bookmarks.localhost/', true],
    ['http://127.0.0.1:3999/', true],
    ['http://127.1.2.3/', true],
    ['http://[::1]:3000/', true],
    ['http://bookmarks.lan/', false],
    ['http://localhost.example.com/', false],
    ['http://10.0.0.5/', false],
  ])('%s: %s', (base, honoured) => {
    expect(honoursClearSiteData(new URL(base))).toBe(honoured);
  });
});
