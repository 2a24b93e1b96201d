import { describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createToken } from '../../src/tokens/tokens.js';
import { findBookmark } from '../../src/bookmarks/queries.js';
import { setupBookmark, useSignedInApp } from '../helpers.js';
import { ALLOW_LOOPBACK, htmlPage, startSite } from '../sites.js';
import { expectProblem } from './support.js';

const ctx = useSignedInApp({ fetchAllowHosts: ALLOW_LOOPBACK, fetchTimeouts: { saveMs: 1500 } });

async function tokenFor(ownerSub: string): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await createToken(ctx.app.db, ownerSub, 'extension', null)).secret}` };
}

/** An API client's request: only the headers it sets. */
const call = (options: InjectOptions) => ctx.app.inject(options);

describe('GET /api/v1/bookmarks?url=', () => {
  it('answers whether the address is saved, by the same rules as duplicates, for its owner only', async () => {
    const saved = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/docs/', title: 'Docs' });
    await setupBookmark(ctx.app.db, 'bob', { url: 'https://bob.example/', title: 'Bob’s' });
    const auth = await tokenFor('alice');
    const lookUp = async (url: string) => (await call({ method: 'GET', url: `/api/v1/bookmarks?url=${encodeURIComponent(url)}`, headers: auth })).json();

    for (const spelling of ['https://example.com/docs/', 'HTTPS://EXAMPLE.COM/docs', '  https://example.com/docs  ']) {
      expect(await lookUp(spelling)).toEqual({
        items: [{ id: saved.id, url: 'https://example.com/docs/', title: 'Docs', description: '', tags: [], createdAt: saved.createdAt.toISOString() }],
        total: 1,
        nextCursor: null,
      });
    }
    expect(await lookUp('https://example.com/other')).toEqual({ items: [], total: 0, nextCursor: null });
    expect(await lookUp('https://bob.example/')).toEqual({ items: [], total: 0, nextCursor: null });
  });

  it('refuses an address that is not http(s), and url together with q or cursor', async () => {
    const auth = await tokenFor('alice');
    for (const [query, name] of [
      ['url=javascript%3Aalert(1)', 'url'],
      ['url=example.com', 'url'],
      ['url=https%3A%2F%2Fa.example%2F&q=a', 'q'],
      ['url=https%3A%2F%2Fa.example%2F&cursor=1.1', 'cursor'],
    ]) {
      const problem = expectProblem(await call({ method: 'GET', url: `/api/v1/bookmarks?${query}`, headers: auth }), 400);
      expect(problem.invalidParams, query).toEqual([expect.objectContaining({ name, in: 'querystring' })]);
    }
  });
});

describe('POST /api/v1/bookmarks and descriptions', () => {
  it('without a title, fetches the page’s title and description, as the form does', async () => {
    const site = await startSite({ '/article': htmlPage('<title>An article &amp; more</title><meta name="description" content="What it is about.">') });
    const response = await call({ method: 'POST', url: '/api/v1/bookmarks', headers: await tokenFor('alice'), payload: { url: `${site.origin}/article`, tags: ['read'] } });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ title: 'An article & more', description: 'What it is about.', tags: ['read'] });
    await ctx.app.pageLookups.settled();
  });

  it('keeps a title and a description that were sent, and fetches no page for them', async () => {
    const site = await startSite({ '/article': htmlPage('<title>Fetched</title><meta name="description" content="Fetched too.">') });
    const response = await call({
      method: 'POST',
      url: '/api/v1/bookmarks',
      headers: await tokenFor('alice'),
      payload: { url: `${site.origin}/article`, title: 'Mine', description: 'My own \u202Enote\u202C' },
    });
    expect(response.json()).toMatchObject({ title: 'Mine', description: 'My own note' });
    await ctx.app.pageLookups.settled();
    // Only the icon's fetch in the background read the page; the answer did not wait for it.
    expect(site.requests.every((request) => request.url === '/article' || request.url === '/favicon.ico')).toBe(true);
  });

  it('reads, changes and clears a description, with the form’s limit', async () => {
    const auth = await tokenFor('alice');
    const created = (await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: { url: 'https://a.example/', title: 'A', description: 'First' } })).json();
    expect(created.description).toBe('First');
    const changed = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${created.id}`, headers: auth, payload: { description: 'Second' } });
    expect(changed.json()).toMatchObject({ title: 'A', description: 'Second' });
    const kept = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${created.id}`, headers: auth, payload: { title: 'B' } });
    expect(kept.json()).toMatchObject({ title: 'B', description: 'Second' });
    const tooLong = await call({ method: 'PATCH', url: `/api/v1/bookmarks/${created.id}`, headers: auth, payload: { description: 'x'.repeat(1001) } });
    expect(expectProblem(tooLong, 422).invalidParams).toEqual([{ name: 'description', in: 'body', reason: 'Descriptions can be at most 1000 characters.' }]);
    await call({ method: 'PATCH', url: `/api/v1/bookmarks/${created.id}`, headers: auth, payload: { description: '' } });
    expect((await findBookmark(ctx.app.db, 'alice', created.id))?.description).toBe('');
  });
});

describe('an empty JSON body', () => {
  it('is no body where none is expected: DELETE with Content-Type: application/json deletes', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice');
    const auth = await tokenFor('alice');
    const response = await call({ method: 'DELETE', url: `/api/v1/bookmarks/${bookmark.id}`, headers: { ...auth, 'content-type': 'application/json' }, payload: '' });
    expect(response.statusCode).toBe(204);
    expect(await findBookmark(ctx.app.db, 'alice', bookmark.id)).toBeUndefined();
    const read = await call({ method: 'GET', url: '/api/v1/tags', headers: { ...auth, 'content-type': 'application/json' } });
    expect(read.statusCode).toBe(200);
  });

  it('is still refused where a body is required, and a malformed one is still a 400', async () => {
    const auth = { ...(await tokenFor('alice')), 'content-type': 'application/json' };
    expect(expectProblem(await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: '' }), 400).invalidParams).toEqual([
      expect.objectContaining({ in: 'body' }),
    ]);
    expectProblem(await call({ method: 'POST', url: '/api/v1/bookmarks', headers: auth, payload: '{"url":' }), 400);
    expectProblem(await call({ method: 'PATCH', url: '/api/v1/bookmarks/1', headers: auth, payload: '' }), 400);
  });
});
