import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { findFavicon, storeFavicon } from '../../src/favicons/favicons.js';
import { findBookmark } from '../../src/bookmarks/queries.js';
import { userWithToken } from '../api/support.js';
import { as, html, parseFragment, useSignedInApp } from '../helpers.js';
import { ALLOW_LOOPBACK, htmlPage, PNG, requestsFor, startSite } from '../sites.js';
import { startServer } from '../fetch/servers.js';

/**
 * Site icons come from the same page fetch, through the same guard, and are served from
 * our own origin: raster only, at most 32 KB, per owner, cached, a placeholder otherwise.
 */
const ctx = useSignedInApp({ fetchAllowHosts: ALLOW_LOOPBACK });

const iconPage = (href: string) => htmlPage(`<title>With an icon</title><link rel="icon" href="${href}">`);

/** Saves the page with an empty title (so it is fetched) and waits for its icon. */
async function saveAndSettle(user: string, url: string): Promise<void> {
  const response = await as(ctx, user).post('/bookmarks', { url, title: '', tags: '' });
  expect(response.statusCode).toBe(303);
  await ctx.app.pageLookups.settled();
}

describe('site icons', () => {
  it('are fetched with the page, stored, and served from our own origin, privately cached for a day', async () => {
    const site = await startSite({ '/': iconPage('/static/icon.png'), '/static/icon.png': { headers: { 'content-type': 'text/plain' }, body: PNG } });
    await saveAndSettle('alice', `${site.origin}/`);
    const host = `127.0.0.1:${site.port}`;

    const dashboard = html((await as(ctx, 'alice').get('/dashboard')).body);
    const img = dashboard.querySelector('#bookmark-cards .card-title img.card-icon');
    expect(img?.getAttribute('src')).toBe(`/favicons/${host}`);
    expect(img?.getAttribute('alt')).toBe('');

    const icon = await as(ctx, 'alice').get(`/favicons/${host}`);
    expect(icon.statusCode).toBe(200);
    // Its type from its bytes, not from what the site said.
    expect(icon.headers['content-type']).toBe('image/png');
    expect(icon.headers['cache-control']).toBe('private, max-age=86400');
    expect(icon.headers['x-content-type-options']).toBe('nosniff');
    expect(icon.rawPayload.equals(PNG)).toBe(true);
    // The card's icon is ours: the CSP lets images come from nowhere else.
    expect(icon.headers['content-security-policy']).toMatch(/img-src 'self' data:;/);
  });

  it('are kept per owner: another user gets the placeholder, and a second save fetches nothing again', async () => {
    const site = await startSite({ '/': iconPage('/icon.png'), '/icon.png': { headers: { 'content-type': 'image/png' }, body: PNG } });
    const host = `127.0.0.1:${site.port}`;
    await saveAndSettle('alice', `${site.origin}/`);
    const bobs = await as(ctx, 'bob').get(`/favicons/${host}`);
    expect(bobs.headers['content-type']).toBe('image/svg+xml');
    // Never asked for bob: kept a few minutes.
    expect(bobs.headers['cache-control']).toBe('private, max-age=300');
    expect(await findFavicon(ctx.app.db, 'bob', host)).toBeUndefined();

    await as(ctx, 'alice').post('/bookmarks', { url: `${site.origin}/other`, title: 'Typed title', tags: '' });
    await ctx.app.pageLookups.settled();
    expect(requestsFor(site, '/icon.png')).toBe(1);
  });

  it('are fetched in the background for a save with a typed title, from the icon the page names', async () => {
    const site = await startSite({ '/page': iconPage('https://ignored.invalid/x.svg'), '/favicon.ico': { body: PNG } });
    const response = await as(ctx, 'alice').htmx.post('/bookmarks', { url: `${site.origin}/page`, title: 'Typed', tags: '' });
    expect(parseFragment(response.body).querySelector('.card-title')?.textContent).toBe('Typed');
    await ctx.app.pageLookups.settled();
    // An SVG link is skipped (never fetched), so the site's /favicon.ico is the icon.
    expect((await findFavicon(ctx.app.db, 'alice', `127.0.0.1:${site.port}`))?.contentType).toBe('image/png');
  });

  it('are not cached as the placeholder while being fetched, so the next list shows them', async () => {
    let answerIcon!: () => void;
    const iconAnswered = new Promise<void>((resolve) => (answerIcon = resolve));
    const site = await startSite({
      '/': iconPage('/slow-icon.png'),
      '/slow-icon.png': (_request, response) => void iconAnswered.then(() => response.writeHead(200, { 'content-type': 'image/png' }).end(PNG)),
    });
    const host = `127.0.0.1:${site.port}`;
    await as(ctx, 'alice').post('/bookmarks', { url: `${site.origin}/`, title: 'Typed', tags: '' });
    await expect.poll(() => requestsFor(site, '/slow-icon.png')).toBe(1);
    const meanwhile = await as(ctx, 'alice').get(`/favicons/${host}`);
    expect(meanwhile.headers['content-type']).toBe('image/svg+xml');
    expect(meanwhile.headers['cache-control']).toBe('no-store');
    answerIcon();
    await ctx.app.pageLookups.settled();
    const after = await as(ctx, 'alice').get(`/favicons/${host}`);
    expect(after.headers['content-type']).toBe('image/png');
  });

  it('are never SVG, never over 32 KB and never HTML: the placeholder stays, and the site is not asked again at once', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    const cases: [string, Record<string, { headers?: Record<string, string>; body: string | Buffer }>][] = [
      ['svg', { '/icon': { headers: { 'content-type': 'image/png' }, body: svg } }],
      ['too large', { '/icon': { headers: { 'content-type': 'image/png' }, body: Buffer.concat([PNG, Buffer.alloc(32 * 1024)]) } }],
      ['html', { '/icon': { headers: { 'content-type': 'image/png' }, body: '<html><script>alert(1)</script></html>' } }],
    ];
    for (const [name, pages] of cases) {
      const site = await startSite({ '/': iconPage('/icon'), ...pages });
      await saveAndSettle('alice', `${site.origin}/`);
      const icon = await as(ctx, 'alice').get(`/favicons/127.0.0.1:${site.port}`);
      expect(icon.headers['content-type'], name).toBe('image/svg+xml');
      expect(icon.body, name).not.toContain('alert');
      // The site has none: the placeholder is kept as long as an icon would be.
      expect(icon.headers['cache-control'], name).toBe('private, max-age=86400');
      await as(ctx, 'alice').post('/bookmarks', { url: `${site.origin}/again`, title: 'Again', tags: '' });
      await ctx.app.pageLookups.settled();
      expect(requestsFor(site, '/icon'), name).toBe(1);
    }
  });

  it('named by the page at an address the guard refuses are never fetched (the favicon fetch is guarded too)', async () => {
    // Only 127.0.0.1 is allowed: an icon on 127.0.0.2 (loopback, not listed) must not be reached, nor through a redirect.
    const elsewhere = await startServer((_request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(PNG), { host: '127.0.0.2' });
    const direct = await startSite({ '/': iconPage(`${elsewhere.origin}/icon.png`) });
    const redirected = await startSite({ '/': iconPage('/icon.png'), '/icon.png': { status: 302, headers: { location: `${elsewhere.origin}/icon.png` } } });
    await saveAndSettle('alice', `${direct.origin}/`);
    await saveAndSettle('alice', `${redirected.origin}/`);
    expect(elsewhere.connections).toBe(0);
    expect(await findFavicon(ctx.app.db, 'alice', `127.0.0.1:${direct.port}`)).toBeUndefined();
    expect(await findFavicon(ctx.app.db, 'alice', `127.0.0.1:${redirected.port}`)).toBeUndefined();
  });

  it('answer the placeholder for a host that names nothing, and only to a signed-in user', async () => {
    for (const host of ['..%2F..%2Fetc', 'a%20b', '%5B%3A%3A1', 'example.com%00', 'example.com:99999']) {
      const answer = await as(ctx, 'alice').get(`/favicons/${host}`);
      expect(answer.statusCode, host).toBe(200);
      expect(answer.headers['content-type'], host).toBe('image/svg+xml');
    }
    const anonymous = await as(ctx, null).get('/favicons/example.com');
    expect(anonymous.statusCode).toBe(303);
  });

  it('are served for any host a URL can name, one with an underscore too, as the card asks for them (a narrower pattern answered the placeholder for ever)', async () => {
    const saved = await as(ctx, 'alice').post('/bookmarks', { url: 'https://my_app.example.com/page', title: 'Mine', tags: '' });
    expect(saved.statusCode).toBe(303);
    await ctx.app.pageLookups.settled();
    const src = html((await as(ctx, 'alice').get('/dashboard')).body).querySelector('.card-title img.card-icon')!.getAttribute('src');
    expect(src).toBe('/favicons/my_app.example.com');
    // What the background fetch stores under url.host once it finds the icon.
    const { owner } = (await ctx.app.db.get<{ owner: string }>(sql`SELECT owner_sub AS owner FROM bookmarks WHERE url = 'https://my_app.example.com/page'`))!;
    await storeFavicon(ctx.app.db, owner, 'my_app.example.com', { url: 'https://my_app.example.com/favicon.ico', bytes: PNG, contentType: 'image/png' });
    const icon = await as(ctx, 'alice').get(src!);
    expect(icon.headers['content-type']).toBe('image/png');
  });

  it('never fail a save: when the icons cannot be read, a new address and an edit are saved and answered as usual', async () => {
    const site = await startSite({ '/a': htmlPage('<title>A</title>'), '/b': htmlPage('<title>B</title>'), '/c': htmlPage('<title>C</title>'), '/favicon.ico': { body: PNG } });
    const { auth } = await userWithToken(ctx, 'alice');
    // The icons' table out of reach (as when the database fails for a moment): the icon is what fails, not the save.
    await ctx.app.db.run(sql`ALTER TABLE favicons RENAME TO favicons_away`);
    try {
      const added = await as(ctx, 'alice').htmx.post('/bookmarks', { url: `${site.origin}/a`, title: 'Typed', tags: '' });
      expect(added.statusCode).toBe(200);
      const id = Number(parseFragment(added.body).querySelector('.card')!.id.replace('bookmark-', ''));
      const edited = await as(ctx, 'alice').htmx.put(`/bookmarks/${id}`, { url: `${site.origin}/b`, title: 'Typed', tags: '' });
      expect(edited.statusCode).toBe(200);
      expect((await findBookmark(ctx.app.db, 'alice', id))?.url).toBe(`${site.origin}/b`);
      const patched = await ctx.app.inject({ method: 'PATCH', url: `/api/v1/bookmarks/${id}`, headers: auth, payload: { url: `${site.origin}/c` } });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ id, url: `${site.origin}/c` });
    } finally {
      await ctx.app.db.run(sql`ALTER TABLE favicons_away RENAME TO favicons`);
    }
  });
});
