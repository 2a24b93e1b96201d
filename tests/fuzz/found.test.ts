import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/tokens/tokens.js';
import { as, keptTagCounts, parseFragment, recountTags, setupBookmark, useSignedInApp } from '../helpers.js';
import { storedRowProblems, type StoredRow } from './arbitraries.js';

/** Cases the fuzz suite found, kept as plain regression tests. */
const ctx = useSignedInApp();

/** Every way a bookmark's title and tags get written: how a test reaches it, and what it sends. */
const EVERY_WRITER = [
  ['the add form', 'POST', '/bookmarks', 'form'],
  ['inline edit', 'PUT', '/bookmarks/:id', 'form'],
  ['the no-JavaScript edit', 'POST', '/bookmarks/:id/edit', 'form'],
  ['the API', 'POST', '/api/v1/bookmarks', 'json'],
  ['an API edit', 'PATCH', '/api/v1/bookmarks/:id', 'json'],
  ['an import', 'POST', '/import', 'file'],
] as const;

describe('found by fuzzing', () => {
  it.each([
    ['no boundary in the content type', 'multipart/form-data', '--XfuzzBoundary--\r\n'],
    ['a boundary that is not in the body', 'multipart/form-data; boundary=nope', '--XfuzzBoundary\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\n\r\nx\r\n--XfuzzBoundary--\r\n'],
    ['a part cut off before its end', 'multipart/form-data; boundary=XfuzzBoundary', '--XfuzzBoundary\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\n\r\n<A HREF="https://a.example/">a'],
  ])('POST /import with %s: a 4xx with the import form, not a 500', async (_name, contentType, payload) => {
    for (const requests of [as(ctx, 'alice').htmx, as(ctx, 'alice')]) {
      const response = await requests.post('/import', undefined, { headers: { 'content-type': contentType }, payload });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(parseFragment(response.body).querySelector('#import-form')).not.toBeNull();
    }
  });

  // SQLite's substr() stops at NUL but instr() does not: the tag split in the tag_counts
  // triggers looped forever on "x a<NUL>b" and froze the whole app (migration 0007).
  const NUL_TAGS = 'x a\u0000b';
  const NUL_TITLE = 'Nul\u0000title\u0007';
  it.each(EVERY_WRITER)('control characters in tags and title through %s are stored as spaces, and counted right', async (_name, method, path, kind) => {
    const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://edit.example/', tags: ['old'] });
    const url = path.replace(':id', String(existing.id));
    const fields = { url: kind === 'json' && method === 'PATCH' ? 'https://edit.example/' : 'https://nul.example/', title: NUL_TITLE };
    let response;
    if (kind === 'form') {
      const alice = as(ctx, 'alice');
      response = await (method === 'PUT' ? alice.put : alice.post)(url, { ...fields, tags: NUL_TAGS });
    } else if (kind === 'json') {
      // The API takes a bearer token and JSON, never the session cookie: a plain inject.
      const authorization = `Bearer ${(await createToken(ctx.app.db, 'alice', 'found')).secret}`;
      // One tag an item: a control character inside one would make two of it, which the API refuses (422), so here they end items.
      response = await ctx.app.inject({ method, url, payload: { ...fields, tags: ['x', 'a\u0000', '\u0000b'] }, headers: { authorization } });
    } else {
      const boundary = 'found-boundary';
      const file = `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF="${fields.url}" TAGS="${NUL_TAGS.replace(' ', ',')}">${fields.title}</A>\n</DL>`;
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\nContent-Type: text/html\r\n\r\n${file}\r\n--${boundary}--\r\n`;
      response = await as(ctx, 'alice').post(url, undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    }
    expect(response.statusCode, response.body).toBeLessThan(400);
    const rows = await ctx.app.db.all<StoredRow>(sql`SELECT id, owner_sub, url, title, tags FROM bookmarks WHERE owner_sub = 'alice' ORDER BY id`);
    const written = rows.find((row) => row.title.startsWith('Nul'))!;
    expect(written).toMatchObject({ title: 'Nul title', tags: 'x a b' });
    for (const row of rows) expect(storedRowProblems(row)).toEqual([]);
    expect(await keptTagCounts(ctx.app.db, 'alice')).toEqual(await recountTags(ctx.app.db, 'alice'));
  });
});

/**
 * Issue 17: a tag with a zero-width space looked exactly like another tag, and a bidi override
 * made a title read backwards. Every writer stores what the text looks like.
 */
describe('lookalike text through every writer', () => {
  const TITLE = '\u202Egnp.exe\u202C and w\u200Beb\u2069';
  const TAGS = ['w\u200Beb', 'ｗｅｂ', '\u2066dev\u2069', 'web', 'ℌ\u00ADtml'];
  it.each(EVERY_WRITER)('%s stores titles without bidi controls or invisible characters, and tags folded to what they look like', async (_name, method, path, kind) => {
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://tagged.example/', title: 'Already web', tags: ['web'] });
    const existing = await setupBookmark(ctx.app.db, 'alice', { url: 'https://edit.example/', title: 'Old', tags: ['old'] });
    const url = path.replace(':id', String(existing.id));
    const address = kind === 'json' && method === 'PATCH' ? 'https://edit.example/' : 'https://lookalike.example/';
    let response;
    if (kind === 'form') {
      const fields = { url: address, title: TITLE, tags: TAGS.join(', ') };
      response = method === 'PUT' ? await as(ctx, 'alice').put(url, fields) : await as(ctx, 'alice').post(url, fields);
    } else if (kind === 'json') {
      // A bearer-only client sending JSON, which as() (a browser) does not express.
      const authorization = `Bearer ${(await createToken(ctx.app.db, 'alice', 'found')).secret}`;
      response = await ctx.app.inject({ method, url, payload: { url: address, title: TITLE, tags: TAGS }, headers: { authorization } });
    } else {
      const boundary = 'found-boundary';
      const file = `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF="${address}" TAGS="${TAGS.join(',')}">${TITLE}</A>\n</DL>`;
      const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.html"\r\nContent-Type: text/html\r\n\r\n${file}\r\n--${boundary}--\r\n`;
      response = await as(ctx, 'alice').post(url, undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    }
    expect(response.statusCode, response.body).toBeLessThan(400);
    const rows = await ctx.app.db.all<StoredRow>(sql`SELECT url, title, tags FROM bookmarks WHERE owner_sub = 'alice' ORDER BY id`);
    expect(rows.find((row) => row.title.startsWith('gnp'))).toMatchObject({ title: 'gnp.exe and web', tags: 'web dev html' });
    for (const row of rows) expect(storedRowProblems(row)).toEqual([]);
    expect(await keptTagCounts(ctx.app.db, 'alice')).toEqual(await recountTags(ctx.app.db, 'alice'));
    expect((await keptTagCounts(ctx.app.db, 'alice')).get('web')).toBe(2);

    // Searching for the tag as it was typed finds both.
    const search = await as(ctx, 'alice').htmx.get(`/bookmarks/search?q=${encodeURIComponent('#w\u200Beb')}`);
    expect([...parseFragment(search.body).querySelectorAll('.card-title')].map((a) => a.textContent).sort()).toEqual(['Already web', 'gnp.exe and web']);
  });
});
