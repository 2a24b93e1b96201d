import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteBookmark } from '../../src/bookmarks/commands.js';
import { latestDeleted, peekDeleted, rememberDeleted, takeDeleted, UNDO_SECONDS } from '../../src/bookmarks/undo.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import type { Db } from '../../src/db/database.js';
import { as, buildTestApp, html, newBlankDatabase, openTestDb, parseFragment, setupBookmark, signIn, startTestProvider, TEST_BASE_URL, useSignedInApp } from '../helpers.js';
import { migrateDatabase } from '../../src/db/client.js';

const ctx = useSignedInApp();
const titles = async (owner: string) => (await searchBookmarks(ctx.app.db, owner, parseSearch(''))).items.map((bookmark) => bookmark.title);

describe('Undo never makes a second bookmark for one address', () => {
  it('htmx: delete, save the same address again, then Undo: a 409 notice says so and only the new bookmark stays', async () => {
    const old = await setupBookmark(ctx.app.db, 'alice', { url: 'https://same.example/page', title: 'The deleted one' });
    expect((await as(ctx, 'alice').htmx.delete(`/bookmarks/${old.id}`)).statusCode).toBe(200);
    const notice = parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/undo-notice')).body);
    const token = notice.querySelector('form[data-restores] input[name="token"]')!.getAttribute('value')!;
    // The same page again, spelled with a trailing slash: the same address for every writer.
    expect((await as(ctx, 'alice').htmx.post('/bookmarks', { url: 'https://same.example/page/', title: 'Saved again', tags: '' })).statusCode).toBe(200);

    const undo = await as(ctx, 'alice').htmx.post('/bookmarks/restore', { token });
    expect(undo.statusCode).toBe(409);
    expect(parseFragment(undo.body).querySelector('.toast')?.textContent?.trim()).toBe(
      'You saved this address again as “Saved again”, so the deleted copy was not restored.',
    );
    expect(await titles('alice')).toEqual(['Saved again']);
    // The undo was used up: trying again is simply too late.
    expect((await as(ctx, 'alice').htmx.post('/bookmarks/restore', { token })).statusCode).toBe(410);
  });

  it('without JavaScript: the same refusal as a full page, and nothing restored', async () => {
    const old = await setupBookmark(ctx.app.db, 'alice', { url: 'https://same.example/', title: 'Deleted' });
    const deleted = await as(ctx, 'alice').post(`/bookmarks/${old.id}/delete`);
    const token = new URL(deleted.headers.location as string, TEST_BASE_URL).searchParams.get('undo')!;
    await setupBookmark(ctx.app.db, 'alice', { url: 'https://same.example/', title: 'Again' });
    const undo = await as(ctx, 'alice').post('/bookmarks/restore', { token });
    expect(undo.statusCode).toBe(409);
    const page = html(undo.body);
    expect(page.querySelector('h1')?.textContent).toBe('Already saved again');
    expect(page.querySelector('.lead')?.textContent).toContain('“Again”');
    expect(await titles('alice')).toEqual(['Again']);
  });

  it('an Undo with no duplicate in the way restores the bookmark exactly: same id, tags and date', async () => {
    const old = await setupBookmark(ctx.app.db, 'alice', { url: 'https://kept.example/', title: 'Kept', tags: ['a', 'b'], createdAt: new Date(5_000) });
    const deleted = await as(ctx, 'alice').post(`/bookmarks/${old.id}/delete`);
    const token = new URL(deleted.headers.location as string, TEST_BASE_URL).searchParams.get('undo')!;
    expect((await as(ctx, 'alice').post('/bookmarks/restore', { token })).statusCode).toBe(303);
    const [restored] = (await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items;
    expect(restored).toEqual(old);
  });
});

describe('a token Undo never handed out', () => {
  // A NUL byte is an error to PostgreSQL (the fuzzer found the 500); quotes and lengths are plain misses.
  const strangers = ['x', '\u0000', `${'A'.repeat(21)}\u0000`, 'A'.repeat(23), "'; DELETE FROM pending_undos; --", 'é'.repeat(22)];

  it('finds nothing to restore: a 410 with the notice, as a full page and for htmx, and nothing restored', async () => {
    const old = await setupBookmark(ctx.app.db, 'alice', { url: 'https://strangers.example/', title: 'Deleted for good' });
    expect((await as(ctx, 'alice').htmx.delete(`/bookmarks/${old.id}`)).statusCode).toBe(200);
    for (const token of strangers) {
      const fragment = await as(ctx, 'alice').htmx.post('/bookmarks/restore', { token });
      expect({ token, status: fragment.statusCode }).toEqual({ token, status: 410 });
      expect(parseFragment(fragment.body).querySelector('.toast')?.textContent).toBe('Too late to undo that delete.');
      const page = await as(ctx, 'alice').post('/bookmarks/restore', { token });
      expect({ token, status: page.statusCode, title: html(page.body).querySelector('h1')?.textContent }).toEqual({ token, status: 410, title: 'Too late to undo' });
    }
    expect(await titles('alice')).not.toContain('Deleted for good');
  });

  it('offers no undo on the dashboard, which still answers', async () => {
    for (const token of strangers) {
      const page = await as(ctx, 'alice').get(`/dashboard?undo=${encodeURIComponent(token)}`);
      expect({ token, status: page.statusCode }).toEqual({ token, status: 200 });
      expect(html(page.body).querySelector('#undo-notice input[name="token"]')).toBeNull();
    }
  });
});

describe('pending undos live in the database', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb();
  });
  afterAll(async () => db.close());

  it('are their owner\'s alone, taken once, and refused after UNDO_SECONDS', async () => {
    const bookmark = await setupBookmark(db, 'alice', { url: 'https://undo.example/' });
    await deleteBookmark(db, 'alice', bookmark.id);
    const now = 1_000_000;
    const token = await rememberDeleted(db, bookmark, now);
    expect(await takeDeleted(db, 'bob', token, now)).toBeUndefined();
    expect((await peekDeleted(db, 'alice', token, now))?.id).toBe(bookmark.id);
    expect((await latestDeleted(db, 'alice', now))?.token).toBe(token);
    expect(await latestDeleted(db, 'bob', now)).toBeUndefined();
    expect(await takeDeleted(db, 'alice', token, now + UNDO_SECONDS * 1000)).toBeUndefined();
    expect((await takeDeleted(db, 'alice', token, now + UNDO_SECONDS * 1000 - 1))?.id).toBe(bookmark.id);
    expect(await takeDeleted(db, 'alice', token, now)).toBeUndefined();
  });
});

describe('an Undo survives a restart of the app', () => {
  it('delete on one app, close it, and Undo on a new app over the same database', async () => {
    const provider = await startTestProvider();
    const { target, drop } = await newBlankDatabase();
    try {
      await migrateDatabase(target);
      const first = await buildTestApp(provider, { database: target });
      const firstCtx = { app: first, cookies: { alice: await signIn(first, 'alice') } };
      const bookmark = await setupBookmark(first.db, 'alice', { url: 'https://restart.example/', title: 'Across a restart' });
      const deleted = await as(firstCtx, 'alice').post(`/bookmarks/${bookmark.id}/delete`);
      const token = new URL(deleted.headers.location as string, TEST_BASE_URL).searchParams.get('undo')!;
      await first.close();

      const second = await buildTestApp(provider, { database: target, sessionKeys: first.config.sessionKeys });
      try {
        const secondCtx = { app: second, cookies: firstCtx.cookies };
        const dashboard = html((await as(secondCtx, 'alice').get(`/dashboard?undo=${token}`)).body);
        expect(dashboard.querySelector('#undo-notice .toast span')?.textContent).toBe('Deleted “Across a restart”.');
        expect((await as(secondCtx, 'alice').post('/bookmarks/restore', { token })).statusCode).toBe(303);
        expect((await searchBookmarks(second.db, 'alice', parseSearch('restart'))).items.map((b) => b.id)).toEqual([bookmark.id]);
      } finally {
        await second.close();
      }
    } finally {
      await provider.close();
      await drop();
    }
  });
});
