import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { migrateDatabase } from '../../src/db/client.js';
import { etagFor } from '../../src/http/revalidation.js';
import { createToken } from '../../src/tokens/tokens.js';
import { as, buildTestApp, html, newBlankDatabase, parseFragment, setupBookmark, signIn, startTestProvider, statementsDuring, TEST_BASE_URL, useSignedInApp } from '../helpers.js';

/**
 * The dashboard, searches, cards and edit forms (pages and what htmx fetches) carry an
 * ETag from the build, the user, the user's data version and the request; a match is a 304 that runs no search and renders
 * nothing. No one ever gets a stale 304: not another user, not the same user
 * after any write, whichever writer or process made it.
 */
const ctx = useSignedInApp();

let undoToken = '';

const search = (user: string, q: string, ifNoneMatch?: string) =>
  as(ctx, user).htmx.get(`/bookmarks/search?q=${encodeURIComponent(q)}`, { headers: { 'hx-trigger': 'search-form', ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}) } });

describe('pages and fragments revalidated with ETags', () => {
  it('a search fragment carries an ETag and private, no-cache; the same again is a 304 that runs no search and renders nothing', async () => {
    for (let i = 0; i < 30; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://example.com/${i}`, title: `Drizzle ${i}` });
    const first = await search('alice', 'driz');
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]{27}"$/);

    let again!: Awaited<ReturnType<typeof search>>;
    const withCheck = await statementsDuring(ctx.app.db, async () => (again = await search('alice', 'driz', etag)));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    // The session's check, which reads the data version in the same statement: no search, no count, no tag list.
    expect(withCheck).toBe(1);
    const withoutCheck = await statementsDuring(ctx.app.db, () => search('alice', 'driz'));
    expect(withoutCheck).toBeGreaterThan(withCheck);
    // A weak validator or a list that holds it match too.
    expect((await search('alice', 'driz', `"other", W/${etag}`)).statusCode).toBe(304);
  });

  it('a page names its own ETag, for static/app.js to ask with when Back shows the browser’s copy; a fragment does not', async () => {
    const page = await as(ctx, 'alice').get('/dashboard');
    expect(page.statusCode).toBe(200);
    const named = html(page.body).querySelector('meta[name="page-etag"]')?.getAttribute('content');
    expect(named).toBe(page.headers.etag);
    expect((await as(ctx, 'alice').get('/dashboard', { headers: { 'if-none-match': named! } })).statusCode).toBe(304);
    expect((await search('alice', 'driz')).body).not.toContain('page-etag');
    // Pages that are not kept name none.
    expect((await as(ctx, 'alice').get('/settings')).body).not.toContain('page-etag');
  });

  it('a search answered in full reads the user\'s data version once, for its ETag and, on PostgreSQL, its remembered total alike', async () => {
    for (let i = 0; i < 5; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://example.com/${i}`, title: `Version ${i}` });
    let answer!: Awaited<ReturnType<typeof search>>;
    // A SQLite search keys its totals by PRAGMA data_version; its page's statement reads the version with the
    // page's ids (for the kept bookmarks, src/bookmarks/kept-bookmarks.ts), in the same statement: no statement of its own.
    const pageStatementsWithTheVersion = ctx.app.db.engine === 'sqlite' ? 1 : 0;
    expect(await statementsDuring(ctx.app.db, async () => (answer = await search('alice', 'vers')), 'owner_versions')).toBe(1 + pageStatementsWithTheVersion);
    expect(answer.statusCode).toBe(200);
    expect(parseFragment(answer.body).querySelectorAll('.card')).toHaveLength(5);
    // The total follows a write made after it was remembered.
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/more', title: 'Version more' });
    expect(parseFragment((await search('alice', 'vers')).body).querySelectorAll('.card')).toHaveLength(6);
    expect((await search('alice', 'vers')).body).toContain('6 matches');
  });

  it('differs by request: another search, load more, the card and the edit form each have their own', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { title: 'Fastify' });
    const tags = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=fast');
    const boxed = await search('alice', 'fast');
    const card = await as(ctx, 'alice').htmx.get(`/bookmarks/${bookmark.id}`);
    const edit = await as(ctx, 'alice').htmx.get(`/bookmarks/${bookmark.id}/edit`);
    const etags = [tags, boxed, card, edit].map((response) => response.headers.etag);
    expect(new Set(etags).size).toBe(4);
    expect((await as(ctx, 'alice').htmx.get(`/bookmarks/${bookmark.id}/edit`, { headers: { 'if-none-match': String(edit.headers.etag) } })).statusCode).toBe(304);
  });

  it('never answers another user with a 304 for the same request', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Alice only' });
    const alices = await search('alice', '');
    const bobs = await search('bob', '', String(alices.headers.etag));
    expect(bobs.statusCode).toBe(200);
    expect(bobs.headers.etag).not.toBe(alices.headers.etag);
    expect(parseFragment(bobs.body).querySelector('.empty-state')).not.toBeNull();
  });

  it.each([
    ['an add', async () => {}, async () => as(ctx, 'alice').post('/bookmarks', { url: 'https://new.example/', title: 'New', tags: '' })],
    ['an inline edit', async () => {}, async (id: number) => as(ctx, 'alice').htmx.put(`/bookmarks/${id}`, { url: 'https://kept.example/', title: 'Renamed', tags: '' })],
    ['a delete', async () => {}, async (id: number) => as(ctx, 'alice').htmx.delete(`/bookmarks/${id}`)],
    ['an Undo', async (id: number) => {
      const deleted = await as(ctx, 'alice').post(`/bookmarks/${id}/delete`);
      undoToken = new URL(String(deleted.headers.location), TEST_BASE_URL).searchParams.get('undo')!;
    }, async () => as(ctx, 'alice').post('/bookmarks/restore', { token: undoToken })],
    ['a tag added through the API', async () => {}, async (id: number) => {
      const { secret } = await createToken(ctx.app.db, 'alice', 'script');
      return ctx.app.inject({ method: 'PATCH', url: `/api/v1/bookmarks/${id}`, headers: { authorization: `Bearer ${secret}` }, payload: { tags: ['api'] } });
    }],
    ['an import', async () => {}, async () => {
      const boundary = 'revalidation';
      const file = '<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF="https://imported.example/">Imported</A>\n</DL>';
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\nContent-Type: text/html\r\n\r\n${file}\r\n--${boundary}--\r\n`;
      return as(ctx, 'alice').post('/import', undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    }],
  ] as const)('after %s, the same search is answered in full with a new ETag', async (_name, before, write) => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { url: 'https://kept.example/', title: 'Kept' });
    await before(bookmark.id);
    const cached = await search('alice', '');
    expect((await search('alice', '', String(cached.headers.etag))).statusCode).toBe(304);
    const keptDashboard = await as(ctx, 'alice').get('/dashboard');
    expect((await as(ctx, 'alice').get('/dashboard', { headers: { 'if-none-match': String(keptDashboard.headers.etag) } })).statusCode).toBe(304);
    const written = await write(bookmark.id);
    expect(written.statusCode).toBeLessThan(400);
    const fresh = await search('alice', '', String(cached.headers.etag));
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers.etag).not.toBe(cached.headers.etag);
    expect(fresh.body).not.toBe(cached.body);
    // Coming back to the dashboard kept from before the write: the page in full.
    expect((await as(ctx, 'alice').get('/dashboard', { headers: { 'if-none-match': String(keptDashboard.headers.etag) } })).statusCode).toBe(200);
  });

  it('an error answer is never kept: a missing card is asked again in full every time', async () => {
    const missing = await as(ctx, 'alice').htmx.get('/bookmarks/999999');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers.etag).toBeUndefined();
    expect(missing.headers['cache-control']).toBe('no-store');
  });

  it('pages too: the dashboard and a search page are 304 while unchanged, each with an ETag of its own', async () => {
    await setupBookmark(ctx.app.db, 'alice', { title: 'Paged' });
    const urls = ['/dashboard', '/bookmarks/search?q=pag'];
    const pages = await Promise.all(urls.map((url) => as(ctx, 'alice').get(url)));
    for (const [i, page] of pages.entries()) {
      expect(page.statusCode, urls[i]).toBe(200);
      expect(page.headers['cache-control'], urls[i]).toBe('private, no-cache');
      let again!: Awaited<ReturnType<typeof search>>;
      // The session's check, which reads the data version too: nothing rendered, no search, no tag list.
      expect(await statementsDuring(ctx.app.db, async () => (again = await as(ctx, 'alice').get(urls[i]!, { headers: { 'if-none-match': String(page.headers.etag) } })))).toBe(1);
      expect([again.statusCode, again.body], urls[i]).toEqual([304, '']);
    }
    // The page, the fragment and htmx's history restore of one URL are three answers: none confirms another's copy.
    const fragment = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=pag');
    const restore = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=pag', { headers: { 'hx-history-restore-request': 'true' } });
    expect(new Set([pages[1]!.headers.etag, fragment.headers.etag, restore.headers.etag]).size).toBe(3);
    const pageWithFragmentEtag = await as(ctx, 'alice').get('/bookmarks/search?q=pag', { headers: { 'if-none-match': String(fragment.headers.etag) } });
    expect(pageWithFragmentEtag.statusCode).toBe(200);
    expect(pageWithFragmentEtag.body).toContain('<!doctype html>');
  });

  it('never keeps the dashboard with an undo offer, which runs out with time rather than with a write', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { title: 'Undone' });
    const deleted = await as(ctx, 'alice').post(`/bookmarks/${bookmark.id}/delete`);
    const offer = await as(ctx, 'alice').get(String(deleted.headers.location));
    expect(offer.statusCode).toBe(200);
    expect(offer.body).toContain('Undone');
    expect(offer.headers.etag).toBeUndefined();
    expect(offer.headers['cache-control']).toBe('no-store');
  });

  it('the build is part of the ETag: another build never matches', () => {
    const request = { user: { sub: 'alice', name: 'alice' }, method: 'GET', url: '/bookmarks/search?q=a', headers: { 'hx-request': 'true' } } as never;
    expect(etagFor('build-1', request, 3)).toBe(etagFor('build-1', request, 3));
    expect(etagFor('build-2', request, 3)).not.toBe(etagFor('build-1', request, 3));
    expect(etagFor('build-1', request, 4)).not.toBe(etagFor('build-1', request, 3));
  });

  it('every part of the request the answer depends on is in the ETag: the user, the address and the htmx headers', () => {
    const base = { user: { sub: 'alice', name: 'Alice' }, method: 'GET', url: '/bookmarks/search?q=a', headers: { 'hx-request': 'true', 'hx-trigger': 'search-form' } };
    const etag = (changes: object) => etagFor('build-1', { ...base, ...changes } as never, 3);
    const variants = [
      etag({}),
      etag({ user: { sub: 'bob', name: 'Alice' } }),
      etag({ user: { sub: 'alice', name: 'Alice B.' } }),
      etag({ url: '/bookmarks/search?q=b' }),
      etag({ headers: { 'hx-trigger': 'search-form' } }),
      etag({ headers: { 'hx-request': 'true' } }),
      etag({ headers: { 'hx-request': 'true', 'hx-trigger': 'search-form', 'hx-history-restore-request': 'true' } }),
      // The separators keep parts apart: the same characters split differently are another request.
      etag({ user: { sub: 'alic', name: 'eAlice' } }),
    ];
    expect(new Set(variants).size).toBe(variants.length);
    expect(etag({ headers: { ...base.headers, 'hx-current-url': 'http://127.0.0.1/elsewhere' } })).toBe(etag({}));
  });
});

describe('a write by another process', () => {
  let apps: FastifyInstance[] = [];
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const provider = await startTestProvider();
    const blank = await newBlankDatabase();
    drop = async () => (await blank.drop(), await provider.close());
    await migrateDatabase(blank.target);
    const first = await buildTestApp(provider, { database: blank.target });
    // The second shares the first's session key, as replicas do.
    apps = [first, await buildTestApp(provider, { database: blank.target, sessionKeys: first.config.sessionKeys })];
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await drop();
  });

  it('makes the next revalidation on this one answer in full', async () => {
    const [here, there] = apps as [FastifyInstance, FastifyInstance];
    const cookies = { alice: await signIn(here, 'alice') };
    const local = { app: here, cookies };
    const cached = await as(local, 'alice').htmx.get('/bookmarks/search?q=');
    expect((await as(local, 'alice').htmx.get('/bookmarks/search?q=', { headers: { 'if-none-match': String(cached.headers.etag) } })).statusCode).toBe(304);
    const written = await as({ app: there, cookies }, 'alice').post('/bookmarks', { url: 'https://elsewhere.example/', title: 'Written elsewhere', tags: '' });
    expect([written.statusCode, written.headers.location]).toEqual([303, '/dashboard']);
    const fresh = await as(local, 'alice').htmx.get('/bookmarks/search?q=', { headers: { 'if-none-match': String(cached.headers.etag) } });
    expect(fresh.statusCode).toBe(200);
    expect(parseFragment(fresh.body).querySelector('.card-title')?.textContent).toBe('Written elsewhere');
  });
});
