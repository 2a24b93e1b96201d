import { describe, expect, it } from 'vitest';
import { as, html, ownedBookmarks, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

/** A bookmark's description: typed in the add and edit forms, shown on its card, searched, kept by Undo, import and export. */
const ctx = useSignedInApp();

const cardOf = (page: Document, title: string) =>
  [...page.querySelectorAll('#bookmark-cards .card')].find((card) => card.querySelector('.card-title')?.textContent === title);

const titlesFor = async (user: string, q: string) =>
  [...parseFragment((await as(ctx, user).htmx.get(`/bookmarks/search?q=${encodeURIComponent(q)}`)).body).querySelectorAll('.card-title')].map(
    (title) => title.textContent,
  );

describe('a bookmark’s description', () => {
  it('is saved from the add form, shown on the card, and changed in place', async () => {
    const added = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://example.com/', title: 'Example', description: 'What this site is <for>', tags: '' });
    expect(added.statusCode).toBe(200);
    const card = cardOf(parseFragment(added.body), 'Example')!;
    expect(card.querySelector('.card-description')?.textContent).toBe('What this site is <for>');
    const id = card.id.replace('bookmark-', '');

    const editorHtml = (await as(ctx, 'alice').htmx.get(`/bookmarks/${id}/edit`)).body;
    expect(parseFragment(editorHtml).querySelector(`textarea#edit-${id}-description[name="description"]`)).not.toBeNull();
    // Escaped in the textarea (linkedom leaves a textarea's text undecoded, so the markup itself is checked).
    expect(editorHtml).toContain('>What this site is &lt;for&gt;</textarea>');
    const saved = await as(ctx, 'alice').htmx.put(`/bookmarks/${id}`, { url: 'https://example.com/', title: 'Example', description: 'Changed', tags: '' });
    expect(parseFragment(saved.body).querySelector('.card-description')?.textContent).toBe('Changed');
    // Without JavaScript, the same through the edit page.
    await as(ctx, 'alice').post(`/bookmarks/${id}/edit`, { url: 'https://example.com/', title: 'Example', description: '', tags: '' });
    const page = html((await as(ctx, 'alice').get('/dashboard')).body);
    expect(cardOf(page, 'Example')?.querySelector('.card-description')).toBeNull();
  });

  it('is found by search, with the same syntax as titles', async () => {
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://a.example/', title: 'First', description: 'Roasting coffee at home, step by step' });
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://b.example/', title: 'Second', description: 'Brewing tea' });
    await setupBookmark(ctx.app.db, 'bob', { url: 'https://c.example/', title: 'Bob’s', description: 'Roasting coffee too' });
    expect(await titlesFor('alice', 'coffee')).toEqual(['First']);
    expect(await titlesFor('alice', 'roast')).toEqual(['First']);
    expect(await titlesFor('alice', '"at home"')).toEqual(['First']);
    expect(await titlesFor('alice', '"home at"')).toEqual([]);
    expect(await titlesFor('alice', 'brewing -coffee')).toEqual(['Second']);
    expect(await titlesFor('alice', '-coffee')).toEqual(['Second']);
    expect(await titlesFor('bob', 'coffee')).toEqual(['Bob’s']);
  });

  it('is cleaned like a title and limited to 1000 characters, with the error next to the field', async () => {
    await as(ctx, 'alice').post('/bookmarks', { url: 'https://example.com/', title: 'T', description: '  Left\u202E-to-right\u200B\u0007 text  ', tags: '' });
    expect((await ownedBookmarks(ctx.app.db, 'alice'))[0]?.description).toBe('Left-to-right  text');

    const tooLong = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://example.org/', title: '', description: 'é'.repeat(1001), tags: '' });
    expect(tooLong.statusCode).toBe(422);
    const form = parseFragment(tooLong.body);
    expect(form.querySelector('#bookmark-description-error')?.textContent).toBe('Descriptions can be at most 1000 characters.');
    expect(form.querySelector('#bookmark-description')?.getAttribute('aria-describedby')).toBe('bookmark-description-error');
    expect(form.querySelector('#bookmark-description')?.textContent).toBe('é'.repeat(1001));
    expect((await as(ctx, 'alice').post('/bookmarks', { url: 'https://example.org/', title: '', description: 'é'.repeat(1000), tags: '' })).statusCode).toBe(303);
  });

  it('keeps its line breaks, paragraphs and lists, through the form, the card, the edit, and an export and import', async () => {
    const typed = 'Para one.\r\n\r\n\r\n\r\nPara two   \n- item\u0007x\n- \u200Bitem two\n';
    const kept = 'Para one.\n\nPara two\n- item x\n- item two';
    const added = await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://lines.example/', title: 'Lines', description: typed, tags: '' });
    expect(added.statusCode).toBe(200);
    expect(cardOf(parseFragment(added.body), 'Lines')?.querySelector('.card-description')?.textContent).toBe(kept);
    const [stored] = await ownedBookmarks(ctx.app.db, 'alice');
    expect(stored!.description).toBe(kept);
    expect((await as(ctx, 'alice').htmx.get(`/bookmarks/${stored!.id}/edit`)).body).toContain(`>${kept}</textarea>`);

    const file = (await as(ctx, 'alice').get('/export')).body;
    const boundary = 'x-boundary';
    const payload = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="b.html"', 'Content-Type: text/html', '', file, `--${boundary}--`, ''].join('\r\n');
    expect((await as(ctx, 'bob').post('/import', undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })).statusCode).toBe(200);
    expect((await ownedBookmarks(ctx.app.db, 'bob')).map((bookmark) => bookmark.description)).toEqual([kept]);
  });

  it('comes back exactly with Undo', async () => {
    const bookmark = await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/', title: 'Example', description: 'Worth keeping', tags: ['a'] });
    const deleted = await as(ctx, 'alice').post(`/bookmarks/${bookmark.id}/delete`);
    const token = new URL(deleted.headers.location as string, 'http://app').searchParams.get('undo')!;
    expect(await ownedBookmarks(ctx.app.db, 'alice')).toEqual([]);
    await as(ctx, 'alice').post('/bookmarks/restore', { token });
    expect(await ownedBookmarks(ctx.app.db, 'alice')).toEqual([bookmark]);
  });

  it('leaves in the export as <DD> and comes back in through the import', async () => {
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.com/', title: 'Described', description: 'A <b>bold</b> & long note', tags: ['x'] });
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://example.org/', title: 'Bare' });
    const file = (await as(ctx, 'alice').get('/export')).body;
    expect(file).toContain('<DD>A &lt;b&gt;bold&lt;/b&gt; &amp; long note');
    expect(file.match(/<DD>/g)).toHaveLength(1);

    const boundary = 'x-boundary';
    const payload = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="b.html"', 'Content-Type: text/html', '', file, `--${boundary}--`, ''].join('\r\n');
    const imported = await as(ctx, 'bob').post('/import', undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(imported.statusCode).toBe(200);
    const bobs = await ownedBookmarks(ctx.app.db, 'bob');
    expect(bobs.map(({ url, title, description, tags }) => ({ url, title, description, tags }))).toEqual([
      { url: 'https://example.com/', title: 'Described', description: 'A <b>bold</b> & long note', tags: ['x'] },
      { url: 'https://example.org/', title: 'Bare', description: '', tags: [] },
    ]);
  });

  it('is read from other browsers’ files, cut to the limit, and never taken from a folder’s <DD>', async () => {
    const file = `<!DOCTYPE NETSCAPE-Bookmark-file-1>
<DL><p>
  <DT><H3>Folder</H3>
  <DD>About the folder
  <DL><p>
    <DT><A HREF="https://a.example/">A</A>
    <DD>First line
second line
    <DT><A HREF="https://b.example/">B</A>
    <DT><A HREF="https://c.example/">C</A>
    <DD>${'d'.repeat(1500)}
  </DL><p>
</DL><p>`;
    const boundary = 'x-boundary';
    const payload = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="b.html"', 'Content-Type: text/html', '', file, `--${boundary}--`, ''].join('\r\n');
    expect((await as(ctx, 'alice').post('/import', undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })).statusCode).toBe(200);
    const saved = Object.fromEntries((await ownedBookmarks(ctx.app.db, 'alice')).map((b) => [b.title, b.description]));
    expect(saved).toEqual({ A: 'First line\nsecond line', B: '', C: 'd'.repeat(1000) });
  });
});
