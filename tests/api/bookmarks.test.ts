import { describe, expect, it, vi } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createToken } from '../../src/tokens/tokens.js';
import { findBookmark } from '../../src/bookmarks/queries.js';
import { insertBookmarkRows, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import { LIST_COUNT_UP_TO } from '../../src/bookmarks/routes.js';
import { MAX_SEARCH_TERMS } from '../../src/bookmarks/search-syntax.js';
import { as, ownedBookmarks, setupBookmark, useSignedInApp } from '../helpers.js';
import { expectProblem, userWithToken } from './support.js';

const ctx = useSignedInApp();

async function tokenFor(ownerSub: string, expiresAt: Date | null = null): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await createToken(ctx.app.db, ownerSub, 'test', expiresAt)).secret}` };
}

/** An API client's request: only the headers it sets (a bearer token, no browser headers). */
const call = (options: InjectOptions) => ctx.app.inject(options);

describe('authentication', () => {
  it('asks for a bearer token when none is sent', async () => {
    const response = await call({ method: 'GET', url: '/api/v1/bookmarks' });
    const problem = expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="bookmarks"');
    expect(problem).toMatchObject({ type: 'about:blank', title: 'Unauthorized' });
  });

  it.each([
    ['Basic YWxpY2U6c2VjcmV0', 'invalid_request'],
    ['Bearer', 'invalid_request'],
    ['Bearer a b', 'invalid_request'],
    ['Bearer not-a-token', 'invalid_token'],
    ['Bearer bm_short', 'invalid_token'],
    [`Bearer bm_${'A'.repeat(43)}`, 'invalid_token'],
    [`Bearer bm_${'A'.repeat(42)}!`, 'invalid_token'],
  ])('refuses the Authorization header %j', async (authorization, error) => {
    const response = await call({ method: 'GET', url: '/api/v1/bookmarks', headers: { authorization } });
    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toBe(`Bearer realm="bookmarks", error="${error}"`);
  });

  it('refuses an expired token', async () => {
    const response = await call({ method: 'GET', url: '/api/v1/bookmarks', headers: await tokenFor('alice', new Date(Date.now() - 1000)) });
    expectProblem(response, 401);
    expect(response.headers['www-authenticate']).toContain('invalid_token');
  });

  it('accepts the scheme name in any case', async () => {
    const { authorization } = await tokenFor('alice');
    const response = await call({ method: 'GET', url: '/api/v1/tags', headers: { authorization: authorization.replace('Bearer', 'bearer') } });
    expect(response.statusCode).toBe(200);
  });

  it('refuses a session cookie, and a cookie never changes whose data a token sees', async () => {
    const cookie = ctx.cookies.alice!;
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://alice.example/' });
    await setupBookmark(ctx.app.db, 'bob', { url: 'https://bob.example/' });
    for (const method of ['GET', 'POST'] as const) {
      const response = await call({ method, url: '/api/v1/bookmarks', headers: { cookie, 'sec-fetch-site': 'same-origin' }, ...(method === 'POST' ? { payload: { url: 'https://x.example/' } } : {}) });
      expectProblem(response, 401);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    const mixed = await call({ method: 'GET', url: '/api/v1/bookmarks', headers: { cookie, ...(await tokenFor('bob')) } });
    expect(mixed.json().items.map((b: { url: string }) => b.url)).toEqual(['https://bob.example/']);
  });

  it('never reads or refreshes the session cookie, even one due for its hourly refresh', async () => {
    const cookie = ctx.cookies.alice!;
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * 3600 * 1000 });
    try {
      const api = await call({ method: 'GET', url: '/api/v1/tags', headers: { cookie, ...(await tokenFor('alice')) } });
      expect(api.statusCode).toBe(200);
      expect(api.headers['set-cookie']).toBeUndefined();
      // The same cookie on an HTML page two hours later is refreshed: the check above can fail.
      const page = await as(ctx, 'alice').get('/dashboard');
      expect(page.statusCode).toBe(200);
      expect(String(page.headers['set-cookie'])).toMatch(/^session=/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers a cross-site write to an unknown API path as the API, in problem+json', async () => {
    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    expectProblem(await call({ method: 'POST', url: '/api/v1/nothing', headers: crossSite, payload: {} }), 401);
    expectProblem(await call({ method: 'POST', url: '/api/v1/nothing', headers: { ...crossSite, ...(await tokenFor('alice')) }, payload: {} }), 404);
    for (const url of ['/api/v1', '/api/v1?x=1']) {
      const bare = await call({ method: 'POST', url, headers: { ...crossSite, cookie: ctx.cookies.alice! }, payload: {} });
      expectProblem(bare, 401);
      expect(bare.headers['set-cookie']).toBeUndefined();
    }
    // An HTML route keeps its guard.
    expect((await call({ method: 'POST', url: '/bookmarks', headers: crossSite, payload: {} })).statusCode).toBe(403);
  });

  it('does not take a token from the query string', async () => {
    const token = (await tokenFor('alice')).authorization.slice('Bearer '.length);
    expectProblem(await call({ method: 'GET', url: `/api/v1/bookmarks?access_token=${token}` }), 401);
  });

  it('lets a browser extension post cross-origin: no cookies, so no CSRF guard on /api', async () => {
    const response = await call({
      method: 'POST',
      url: '/api/v1/bookmarks',
      headers: { ...(await tokenFor('alice')), origin: 'chrome-extension://abcdefghijklmnop', 'sec-fetch-site': 'cross-site' },
      payload: { url: 'https://from-extension.example/' },
    });
    expect(response.statusCode).toBe(201);
  });
});

describe('bookmarks', () => {
  it('adds, reads, edits and deletes a bookmark', async () => {
    const auth = await tokenFor('alice');
    const created = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: 'https://Example.com/docs', tags: ['#Docs', 'web', 'docs'] } });
    expect(created.statusCode).toBe(201);
    const bookmark = created.json();
    expect(bookmark).toMatchObject({ url: 'https://example.com/docs', title: 'example.com', tags: ['docs', 'web'] });
    expect(new Date(bookmark.createdAt).toISOString()).toBe(bookmark.createdAt);
    expect(created.headers.location).toBe(`/api/v1/bookmarks/${bookmark.id}`);

    const read = await call({ method: 'GET', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth });
    expect(read.json()).toEqual(bookmark);

    const patched = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth, payload: { title: '  The docs  ' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toEqual({ ...bookmark, title: 'The docs' });

    const retagged = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth, payload: { tags: [] } });
    expect(retagged.json()).toMatchObject({ title: 'The docs', tags: [] });

    const deleted = await call({ method: 'DELETE', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expectProblem(await call({ method: 'GET', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth }), 404);
    expectProblem(await call({ method: 'DELETE', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth }), 404);
  });

  it('stores a lone surrogate in the JSON it is sent as white space, as a control character, never as U+FFFD read back', async () => {
    const auth = await tokenFor('alice');
    const created = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: 'https://example.com/', title: 'Half\uD800 title', description: 'x\uDC00y', tags: ['a\uD800', '\uDC00b'] } });
    expect(created.statusCode).toBe(201);
    const read = (await call({ method: 'GET', url: `/api/v1/bookmarks/${created.json().id}`, headers: auth })).json();
    expect(read).toMatchObject({ title: 'Half  title', description: 'x y', tags: ['a', 'b'] });
  });

  it('searches with the same syntax as the search box', async () => {
    const auth = await tokenFor('alice');
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://a.example/', title: 'Rust book', tags: ['lang'] });
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://b.example/', title: 'Rust blog', tags: ['news'] });
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://c.example/', title: 'Go book', tags: ['lang'] });
    const titles = async (q: string) =>
      (await call({ method: 'GET', url: `/api/v1/bookmarks?q=${encodeURIComponent(q)}`, headers: auth })).json().items.map((b: { title: string }) => b.title).sort();
    expect(await titles('rust')).toEqual(['Rust blog', 'Rust book']);
    expect(await titles('#lang')).toEqual(['Go book', 'Rust book']);
    expect(await titles('book -#lang')).toEqual([]);
    expect(await titles('"rust blog"')).toEqual(['Rust blog']);
    expect(await titles('ru -blog')).toEqual(['Rust book']);
    expect(await titles('"unclosed OR NEAR(')).toEqual([]);
  });

  it('refuses a search of more than MAX_SEARCH_TERMS words with 400 naming q, rather than searching part of it', async () => {
    const auth = await tokenFor('alice');
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://a.example/', title: 'a b c d e f g h' });
    const search = (q: string) => call({ method: 'GET', url: `/api/v1/bookmarks?q=${encodeURIComponent(q)}`, headers: auth });
    // Searched in part, the -a left out would bring back the bookmark it excludes.
    const problem = expectProblem(await search('a b c d e f g h -a'), 400);
    expect(problem.invalidParams).toEqual([{ name: 'q', in: 'querystring', reason: expect.stringContaining(`more than ${MAX_SEARCH_TERMS} words`) }]);
    expect((await search('a b c d e f g h a b')).json().items.map((b: { title: string }) => b.title)).toEqual(['a b c d e f g h']);
    expect((await search('a b c d e f g -a')).json().items).toEqual([]);
  });

  it('lists tags with counts, most used first', async () => {
    const auth = await tokenFor('alice');
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://a.example/', tags: ['a', 'b'] });
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://b.example/', tags: ['b'] });
    await setupBookmark(ctx.app.db, 'bob', { url: 'https://c.example/', tags: ['secret'] });
    const response = await call({ method: 'GET', url: '/api/v1/tags', headers: auth });
    expect(response.json()).toEqual({ items: [{ tag: 'b', count: 2 }, { tag: 'a', count: 1 }] });
  });

  it('answers 409 with the existing id for an address already saved, on create and on edit', async () => {
    const auth = await tokenFor('alice');
    const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/page' });
    const other = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/other' });
    const create = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: 'https://example.com/page/' } });
    expect(expectProblem(create, 409)).toMatchObject({ existingId: existing.id, type: 'tag:bookmarks,2026:problem/duplicate-url' });
    expect(create.headers.location).toBe(`/api/v1/bookmarks/${existing.id}`);
    const edit = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${other.id}`, headers: auth, payload: { url: 'https://example.com/page' } });
    expect(expectProblem(edit, 409).existingId).toBe(existing.id);
    expect((await findBookmark(ctx.app.db, 'alice', other.id))!.url).toBe('https://example.com/other');
    // Bob saving the same address is no duplicate.
    expect((await call({ method: 'POST', url: '/api/v1/bookmarks', headers: await tokenFor('bob'), payload: { url: 'https://example.com/page' } })).statusCode).toBe(201);
  });

  it.each([
    [{ url: '' }, 'url', 'Enter the address'],
    [{ url: 'ftp://example.com/' }, 'url', 'http:// or https://'],
    [{ url: 'javascript:alert(1)' }, 'url', 'http:// or https://'],
    // Only the HTML forms read an address without its scheme as https.
    [{ url: 'example.com/page' }, 'url', 'Enter a full web address starting with http:// or https://.'],
    [{ url: 'https://example.com/', title: 'x'.repeat(501) }, 'title', 'at most 500'],
    [{ url: 'https://example.com/', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags', 'at most 20 tags'],
    [{ url: 'https://example.com/', tags: ['x'.repeat(51)] }, 'tags', 'at most 50 characters'],
  ])('answers 422 with the field and the form’s message for %j', async (payload, field, message) => {
    const response = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: await tokenFor('alice'), payload });
    const problem = expectProblem(response, 422);
    expect(problem.type).toBe('tag:bookmarks,2026:problem/invalid-fields');
    expect(problem.invalidParams).toEqual([{ name: field, in: 'body', reason: expect.stringContaining(message) }]);
  });

  it('refuses a tag item the form would read as several (a space or a comma inside) with 422 naming tags, on POST and PATCH, storing nothing', async () => {
    const auth = await tokenFor('alice');
    for (const item of ['web dev', 'a,b', 'tab\there', 'a\u0000b', 'a\uD800b']) {
      const created = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: 'https://example.com/', tags: ['ok', item] } });
      expect(expectProblem(created, 422).invalidParams).toEqual([{ name: 'tags', in: 'body', reason: `“${item}” is more than one tag: send each tag as an item of its own.` }]);
    }
    expect(await ownedBookmarks(ctx.app.db, 'alice')).toEqual([]);
    // With another field's mistake, both are named.
    const both = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: 'ftp://x/', tags: ['web dev'] } });
    expect((expectProblem(both, 422).invalidParams as { name: string }[]).map((param) => param.name).sort()).toEqual(['tags', 'url']);
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/', tags: ['kept'] });
    const patched = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth, payload: { tags: ['web dev'] } });
    expect(expectProblem(patched, 422).invalidParams).toEqual([{ name: 'tags', in: 'body', reason: expect.stringContaining('“web dev”') }]);
    expect((await findBookmark(ctx.app.db, 'alice', bookmark.id))?.tags).toEqual(['kept']);
    // One tag an item, written as the form would take it (a leading #, capitals, spaces around) is still one.
    const one = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth, payload: { tags: [' #Web-Dev '] } });
    expect(one.json().tags).toEqual(['web-dev']);
  });

  it('validates a PATCH against the merged bookmark', async () => {
    const auth = await tokenFor('alice');
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/' });
    const response = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${bookmark.id}`, headers: auth, payload: { url: 'not a url' } });
    expect(expectProblem(response, 422).invalidParams).toEqual([{ name: 'url', in: 'body', reason: expect.any(String) }]);
  });
});

describe('two users', () => {
  it("each token sees only its owner's bookmarks; another's id is a 404", async () => {
    const alice = await userWithToken(ctx, 'alice');
    const bob = await userWithToken(ctx, 'bob');
    const alices = (await call({ method: 'POST', url: '/api/v1/bookmarks', headers: alice.auth, payload: { url: 'https://alice.example/', title: 'Alice private', tags: ['mine'] } })).json();
    await call({ method: 'POST', url: '/api/v1/bookmarks', headers: bob.auth, payload: { url: 'https://bob.example/' } });

    const bobsList = (await call({ method: 'GET', url: '/api/v1/bookmarks', headers: bob.auth })).json();
    expect(bobsList.items.map((b: { url: string }) => b.url)).toEqual(['https://bob.example/']);
    expect(bobsList.total).toBe(1);
    expect((await call({ method: 'GET', url: '/api/v1/bookmarks?q=alice', headers: bob.auth })).json().items).toEqual([]);
    expect((await call({ method: 'GET', url: '/api/v1/tags', headers: bob.auth })).json().items).toEqual([]);

    const unknown = await call({ method: 'GET', url: '/api/v1/bookmarks/999999', headers: bob.auth });
    const notYours = await call({ method: 'GET', url: `/api/v1/bookmarks/${alices.id}`, headers: bob.auth });
    expect(expectProblem(notYours, 404)).toEqual(expectProblem(unknown, 404));
    expectProblem(await call({ method: 'PATCH', url: `/api/v1/bookmarks/${alices.id}`, headers: bob.auth, payload: { title: 'mine now' } }), 404);
    expectProblem(await call({ method: 'DELETE', url: `/api/v1/bookmarks/${alices.id}`, headers: bob.auth }), 404);
    expect((await call({ method: 'GET', url: `/api/v1/bookmarks/${alices.id}`, headers: alice.auth })).json()).toEqual(alices);
  });
});

describe('request errors', () => {
  it.each([
    ['GET', '/api/v1/bookmarks?limit=0', undefined, 'limit'],
    ['GET', '/api/v1/bookmarks?limit=101', undefined, 'limit'],
    ['GET', '/api/v1/bookmarks?limit=ten', undefined, 'limit'],
    ['GET', '/api/v1/bookmarks?cursor=garbage', undefined, 'cursor'],
    ['GET', '/api/v1/bookmarks/abc', undefined, 'id'],
    ['GET', '/api/v1/bookmarks/0', undefined, 'id'],
    ['POST', '/api/v1/bookmarks', {}, 'url'],
    ['POST', '/api/v1/bookmarks', [], 'body'],
    ['POST', '/api/v1/bookmarks', { url: 'https://a.example/', tags: [{ nested: true }] }, 'tags.0'],
    ['PATCH', '/api/v1/bookmarks/1', {}, 'body'],
    // Unknown fields and nulls are refused, never dropped or turned into "".
    ['POST', '/api/v1/bookmarks', { url: 'https://a.example/', id: 5 }, 'id'],
    ['POST', '/api/v1/bookmarks', { url: 'https://a.example/', title: null }, 'title'],
    ['POST', '/api/v1/bookmarks', { url: 'https://a.example/', tags: 'a b' }, 'tags'],
    ['PATCH', '/api/v1/bookmarks/1', { foo: 1 }, 'foo'],
    ['PATCH', '/api/v1/bookmarks/1', { tags: null }, 'tags'],
    ['PATCH', '/api/v1/bookmarks/1', { title: 5 }, 'title'],
  ] as const)('%s %s %j is a 400 naming %s', async (method, url, payload, name) => {
    const auth = await tokenFor('alice');
    await setupBookmark(ctx.app.db, 'alice');
    const response = await call({ method, url, headers: auth, ...(payload ? { payload: payload as object } : {}) });
    const problem = expectProblem(response, 400);
    expect(problem.type).toBe('tag:bookmarks,2026:problem/invalid-request');
    expect((problem.invalidParams as { name: string }[]).map((p) => p.name)).toContain(name);
    // Nothing was stored or changed: only the bookmark set up above exists, as it was.
    const stored = (await call({ method: 'GET', url: '/api/v1/bookmarks', headers: auth })).json();
    expect(stored.items.map((b: { url: string; title: string; tags: string[] }) => [b.url, b.title, b.tags])).toEqual([
      ['https://example.com/', 'Example', []],
    ]);
  });

  it.each([
    ['byte 0xFF', [0xff]],
    ['a three-byte character cut off after two', [0xe2, 0x82]],
    ['a lead byte with no continuation', [0xc3]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ])('refuses a JSON body that is not UTF-8 (%s) with 400 naming body, storing and changing nothing', async (_what, bytes) => {
    const auth = { ...(await tokenFor('alice')), 'content-type': 'application/json' };
    const kept = await setupBookmark(ctx.app.db, 'alice');
    // The bad bytes sit inside a string, where a lenient decoder would store U+FFFD and answer 201.
    const body = (json: string) => Buffer.concat([Buffer.from(json.slice(0, json.indexOf('@'))), Buffer.from(bytes), Buffer.from(json.slice(json.indexOf('@') + 1))]);
    for (const [method, url, payload] of [
      ['POST', '/api/v1/bookmarks', body('{"url":"https://a.example/","title":"a@b"}')],
      ['PATCH', `/api/v1/bookmarks/${kept.id}`, body('{"title":"a@b"}')],
    ] as const) {
      const problem = expectProblem(await call({ method, url, headers: auth, payload }), 400);
      expect(problem).toMatchObject({ type: 'tag:bookmarks,2026:problem/invalid-request', invalidParams: [{ name: 'body', in: 'body', reason: expect.stringContaining('UTF-8') }] });
    }
    const stored = (await call({ method: 'GET', url: '/api/v1/bookmarks', headers: auth })).json();
    expect(stored.items.map((b: { url: string; title: string }) => [b.url, b.title])).toEqual([['https://example.com/', 'Example']]);
  });

  it('takes every UTF-8 character, multi-byte and astral ones included, exactly as sent', async () => {
    const auth = { ...(await tokenFor('alice')), 'content-type': 'application/json' };
    const title = 'Zürich € 東京 𝄞 🙂';
    const created = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: Buffer.from(`{"url":"https://a.example/","title":"${title}"}`, 'utf8') });
    expect(created.statusCode).toBe(201);
    expect(created.json().title).toBe(title);
  });

  it.each([
    ['{"url":', 'is not valid JSON'],
    ["{'url':'https://a.example/'}", 'is not valid JSON'],
    ['{"url":"https://a.example/"} {}', 'is not valid JSON'],
    ['{"url":"https://a.example/","__proto__":{"title":"injected"}}', '__proto__'],
    ['{"url":"https://a.example/","constructor":{"prototype":{"title":"injected"}}}', 'constructor.prototype'],
  ])('refuses the JSON body %s with 400 naming body, as the schema’s 400s do, storing nothing', async (payload, reason) => {
    const auth = { ...(await tokenFor('alice')), 'content-type': 'application/json' };
    const kept = await setupBookmark(ctx.app.db, 'alice');
    for (const [method, url] of [['POST', '/api/v1/bookmarks'], ['PATCH', `/api/v1/bookmarks/${kept.id}`]] as const) {
      const problem = expectProblem(await call({ method, url, headers: auth, payload }), 400);
      expect(problem).toMatchObject({ type: 'tag:bookmarks,2026:problem/invalid-request', invalidParams: [{ name: 'body', in: 'body', reason: expect.stringContaining(reason) }] });
    }
    const stored = (await call({ method: 'GET', url: '/api/v1/bookmarks', headers: auth })).json();
    expect(stored.items.map((b: { url: string; title: string }) => [b.url, b.title])).toEqual([['https://example.com/', 'Example']]);
  });

  it.each([
    ['GET', '/api/v1/bookmarks/%FF'],
    ['DELETE', '/api/v1/bookmarks/%E2%82'],
    ['PATCH', '/api/v1/bookmarks/1%C0%AF'],
    ['GET', '/api/v1/bookmarks/%zz'],
  ] as const)('answers %s %s, a path that cannot be decoded, with 400 naming path, as a malformed id names id', async (method, url) => {
    const auth = await tokenFor('alice');
    await setupBookmark(ctx.app.db, 'alice');
    const problem = expectProblem(await call({ method, url, headers: auth, ...(method === 'PATCH' ? { payload: { title: 'x' } } : {}) }), 400);
    expect(problem).toMatchObject({ type: 'tag:bookmarks,2026:problem/invalid-request', invalidParams: [{ name: 'path', in: 'path', reason: expect.stringContaining('UTF-8') }] });
    const stored = (await call({ method: 'GET', url: '/api/v1/bookmarks', headers: auth })).json();
    expect(stored.items.map((b: { title: string }) => b.title)).toEqual(['Example']);
  });

  it('answers malformed JSON with 400, other media types with 415, big bodies with 413', async () => {
    const auth = await tokenFor('alice');
    expectProblem(await call({ method: 'POST', url: '/api/v1/bookmarks', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"url":' }), 400);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      expectProblem(await call({ method: 'POST', url: '/api/v1/bookmarks', headers: { ...auth, 'content-type': type }, payload: 'url=https://a.example/' }), 415);
    }
    const big = JSON.stringify({ url: 'https://a.example/', title: 'x'.repeat(70 * 1024) });
    expectProblem(await call({ method: 'POST', url: '/api/v1/bookmarks', headers: { ...auth, 'content-type': 'application/json' }, payload: big }), 413);
  });

  it('takes an empty body of any media type as no body: a DELETE sent with a form’s or text’s Content-Type deletes (the document lists no 415 there)', async () => {
    const auth = await tokenFor('alice');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const bookmark = await setupBookmark(ctx.app.db, 'alice');
      expect((await call({ method: 'DELETE', url: `/api/v1/bookmarks/${bookmark.id}`, headers: { ...auth, 'content-type': type }, payload: '' })).statusCode).toBe(204);
    }
    // A body still needs JSON; an empty one where a body is required is the schema's 400.
    expectProblem(await call({ method: 'POST', url: '/api/v1/bookmarks', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'x' }), 415);
    expectProblem(await call({ method: 'POST', url: '/api/v1/bookmarks', headers: { ...auth, 'content-type': 'text/plain' }, payload: '' }), 400);
  });

  it.each([
    ['POST', '/api/v1/nothing'],
    ['PUT', '/api/v1/bookmarks/1'],
  ] as const)('answers %s %s with a text body as it does without one (its 404 or 405, not 415)', async (method, url) => {
    const auth = await tokenFor('alice');
    const without = await call({ method, url, headers: auth });
    const withText = await call({ method, url, headers: { ...auth, 'content-type': 'text/plain' }, payload: 'x' });
    expect([404, 405]).toContain(without.statusCode);
    expect(withText.statusCode).toBe(without.statusCode);
  });

  it('answers an unknown endpoint with a problem+json 404, and a method the endpoint does not take with 405 and Allow', async () => {
    const auth = await tokenFor('alice');
    expect(expectProblem(await call({ method: 'GET', url: '/api/v1/nothing', headers: auth }), 404).detail).toContain('no such endpoint');
    const wrongMethod = await call({ method: 'PUT', url: '/api/v1/bookmarks/1', headers: auth, payload: {} });
    expectProblem(wrongMethod, 405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    expectProblem(await call({ method: 'GET', url: '/api/v1/nothing' }), 401);
  });
});

describe('pagination', () => {
  it('neither skips nor repeats while other bookmarks are added and some share a timestamp', async () => {
    const auth = await tokenFor('alice');
    const base = Date.parse('2020-01-01T00:00:00Z');
    const olderInserted = new Set<number>();
    const original = new Set<number>();
    for (let i = 0; i < 25; i++) {
      // Pairs share a created_at, so the id breaks ties.
      original.add((await setupBookmark(ctx.app.db, 'alice', { url: `https://example.com/${i}`, createdAt: new Date(base + Math.floor(i / 2) * 1000) })).id);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await call({ method: 'GET', url: `/api/v1/bookmarks?limit=7${query}`, headers: auth });
      expect(page.statusCode).toBe(200);
      const body = page.json() as { items: { id: number; createdAt: string }[]; nextCursor: string | null };
      seen.push(...body.items.map((item) => item.id));
      cursor = body.nextCursor;
      pages++;
      // Someone saves new links between page fetches, through the API and directly.
      await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: `https://new.example/${pages}` } });
      await setupBookmark(ctx.app.db, 'alice', { url: `https://newer.example/${pages}` });
      // An import keeps old dates, so items also land in the part not read yet, and on the cursor's own second.
      const last = body.items.at(-1);
      if (cursor && last) {
        const lastAt = Date.parse(last.createdAt);
        olderInserted.add((await setupBookmark(ctx.app.db, 'alice', { url: `https://older.example/${pages}`, createdAt: new Date(lastAt - 1500) })).id);
        await setupBookmark(ctx.app.db, 'alice', { url: `https://same-second.example/${pages}`, createdAt: new Date(lastAt) });
      }
    } while (cursor && pages < 20);
    expect(new Set(seen).size).toBe(seen.length);
    // Every original item exactly once; the only others are the older ones inserted ahead of the cursor.
    expect(seen.filter((id) => original.has(id)).sort((a, b) => a - b)).toEqual([...original].sort((a, b) => a - b));
    expect(seen.filter((id) => !original.has(id)).every((id) => olderInserted.has(id))).toBe(true);
    expect(seen.some((id) => olderInserted.has(id))).toBe(true);
  });

  it(`reports the exact total of a search, past the ${LIST_COUNT_UP_TO} at which the pages stop counting`, async () => {
    const auth = await tokenFor('alice');
    const rows: BookmarkRowValues[] = [];
    for (let i = 0; i < LIST_COUNT_UP_TO + 2; i++) rows.push({ ownerSub: 'alice', url: `https://example.com/${i}`, title: `Common ${i}`, tags: [], createdAt: new Date(5000 + i) });
    await ctx.app.db.transaction((tx) => insertBookmarkRows(tx, rows));
    const found = (await call({ method: 'GET', url: '/api/v1/bookmarks?q=comm&limit=1', headers: auth })).json();
    expect(found.total).toBe(LIST_COUNT_UP_TO + 2);
  });

  it('reports the total and a null cursor on the last page', async () => {
    const auth = await tokenFor('alice');
    for (let i = 0; i < 3; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://example.com/${i}` });
    const first = (await call({ method: 'GET', url: '/api/v1/bookmarks?limit=2', headers: auth })).json();
    expect(first).toMatchObject({ total: 3, nextCursor: expect.stringMatching(/^\d+\.\d+$/) });
    const last = (await call({ method: 'GET', url: `/api/v1/bookmarks?limit=2&cursor=${first.nextCursor}`, headers: auth })).json();
    expect(last.items).toHaveLength(1);
    expect(last.nextCursor).toBeNull();
  });
});

describe('rate limit', () => {
  it('limits each token separately and answers 429 with Retry-After as problem+json', async () => {
    const alice = await tokenFor('alice');
    let response = await call({ method: 'GET', url: '/api/v1/tags', headers: alice });
    const max = Number(response.headers['x-ratelimit-limit']);
    expect(max).toBeGreaterThan(0);
    for (let i = 1; i < max; i++) response = await call({ method: 'GET', url: '/api/v1/tags', headers: alice });
    expect(response.statusCode).toBe(200);
    response = await call({ method: 'GET', url: '/api/v1/tags', headers: alice });
    expectProblem(response, 429);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    // Another token of the same user has its own budget.
    expect((await call({ method: 'GET', url: '/api/v1/tags', headers: await tokenFor('alice') })).statusCode).toBe(200);
  });

  it('counts unknown endpoints and refused methods against the token too', async () => {
    const alice = await tokenFor('alice');
    let response = await call({ method: 'GET', url: '/api/v1/tags', headers: alice });
    const max = Number(response.headers['x-ratelimit-limit']);
    for (let i = 1; i < max; i++) response = await call({ method: 'GET', url: '/api/v1/nope', headers: alice });
    expectProblem(response, 404);
    expectProblem(await call({ method: 'PUT', url: '/api/v1/bookmarks', headers: alice }), 429);
    expectProblem(await call({ method: 'GET', url: '/api/v1/nope', headers: alice }), 429);
    expectProblem(await call({ method: 'GET', url: '/api/v1/tags', headers: alice }), 429);
  });

  it('caps failed authentications per address, without locking out good tokens', async () => {
    const bad = { authorization: `Bearer bm_${'B'.repeat(43)}` };
    let response = await call({ method: 'GET', url: '/api/v1/tags', headers: bad });
    let failures = 1;
    while (response.statusCode === 401 && failures < 500) {
      response = await call({ method: 'GET', url: '/api/v1/tags', headers: bad });
      failures++;
    }
    expect(failures).toBe(61);
    expectProblem(response, 429);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect((await call({ method: 'GET', url: '/api/v1/tags', headers: await tokenFor('alice') })).statusCode).toBe(200);
  });
});
