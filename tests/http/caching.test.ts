import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/tokens/tokens.js';
import { as, form, html, HTMX, SAME_ORIGIN, setupBookmark, useSignedInApp } from '../helpers.js';

/**
 * What a browser may keep of a signed-in user's pages: nothing. A copy in the HTTP cache
 * is what Back shows after signing out (tests/e2e/sign-out-history.e2e.ts shows it in Chromium).
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

describe('private answers are never stored', () => {
  it.each([
    ['the dashboard', get('/dashboard')],
    ['the dashboard with an undo notice', get('/dashboard?undo=nope')],
    ['a search page', get('/bookmarks/search?q=kept')],
    ['a history restore of a search', () => ({ method: 'GET', url: '/bookmarks/search?q=kept', headers: { ...HTMX, 'hx-history-restore-request': 'true' } })],
    ['the edit page', get((id) => `/bookmarks/${id}/edit`)],
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

  // What htmx fetches for search and the cards is kept, but always revalidated (tests/http/revalidation.test.ts);
  // htmx keeps no history cache, so Back never shows it, and sign-out clears it (Clear-Site-Data).
  it.each([
    ['a search fragment', '/bookmarks/search?q=kept'],
    ['the next page of a search', '/bookmarks/search?q=&after=1.1'],
    ['a card', '/bookmarks/:id'],
    ['the inline edit form', '/bookmarks/:id/edit'],
  ])('%s: private, no-cache with an ETag, revalidated on every use', async (_name, path) => {
    const bookmark = (await setupBookmark(ctx.app.db, 'alice', { title: 'Kept words', url: 'https://example.com/kept' })).id;
    const response = await as(ctx, 'alice').htmx.get(path.replace(':id', String(bookmark)));
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

    const signedOut = await as(ctx, 'alice').post('/auth/logout');
    expect(signedOut.statusCode).toBe(303);
    // What htmx sends on Back when it has no copy, here with the cookie the browser had before signing out.
    for (const url of ['/dashboard', '/bookmarks/search?q=kept']) {
      const restore = await ctx.app.inject({
        method: 'GET',
        url,
        headers: { ...HTMX, 'hx-history-restore-request': 'true', 'hx-current-url': `http://127.0.0.1:3999${url}`, cookie: ctx.cookies.alice },
      });
      expect(restore.statusCode, url).toBe(303);
      expect(restore.headers.location).toBe('/');
      expect(restore.body).not.toContain('Kept words');
      expect(restore.body).not.toContain('alice');
    }
  });
});
