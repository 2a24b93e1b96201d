import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createBookmark, importBookmarks } from '../../src/bookmarks/commands.js';
import { listTags } from '../../src/bookmarks/queries.js';
import { ownerToken, searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { peekDeleted, rememberDeleted } from '../../src/bookmarks/undo.js';
import { findFavicon, storeFavicon } from '../../src/favicons/favicons.js';
import { checkSession, endSession } from '../../src/auth/ended-sessions.js';
import { migrateDatabase, openDb } from '../../src/db/client.js';
import { copyDatabase, TargetNotEmptyError } from '../../src/db/copy.js';
import type { Db } from '../../src/db/database.js';
import { authenticateToken, createToken } from '../../src/tokens/tokens.js';
import { startLocalProvider, type LocalProvider } from '../../src/dev/oidc-provider.js';
import { as, buildTestApp, keptTagCounts, newTestDatabase, parseFragment, recountTags, setupBookmark, signIn, TEST_BASE_URL } from '../helpers.js';

/**
 * npm run db:copy moves an SQLite installation to PostgreSQL: every user's
 * bookmarks (ids, dates, tags), tokens, ended sessions and tag counts arrive,
 * and the app then works on the copy as it did on the original.
 */
describe('copying an SQLite database into PostgreSQL', () => {
  let dir: string;
  let source: Db;
  let target: Db;
  let dropTarget: () => Promise<void>;
  let targetUrl: string;
  let provider: LocalProvider;
  let secret: string;
  let undoToken: string;
  // Bytes that are no valid UTF-8: a blob must arrive as the same bytes.
  const ICON = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x80]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bookmarks-copy-'));
    const path = join(dir, 'bookmarks.db');
    await migrateDatabase({ engine: 'sqlite', path });
    source = await openDb({ engine: 'sqlite', path });
    for (let i = 0; i < 1_234; i++) {
      await setupBookmark(source, i % 3 === 0 ? 'bob' : 'alice', {
        url: `https://example.com/${i}`,
        title: `Entry ${i} ${i % 7 === 0 ? 'drizzle' : 'fastify'}`,
        description: i % 11 === 0 ? `Notes about espresso, number ${i}` : '',
        tags: i % 5 === 0 ? ['five', `t${i % 4}`] : [`t${i % 4}`],
        createdAt: new Date(1_700_000_000_000 + i * 1000),
      });
    }
    await importBookmarks(source, 'carol', [{ url: 'https://café.example/ü', title: 'Crème brûlée', tags: ['dessert'], createdAt: new Date(1_000) }]);
    ({ secret } = await createToken(source, 'alice', 'copied script'));
    await endSession(source, 'ended-before-the-copy', Math.floor(Date.now() / 1000) + 3600);
    const deleted = await setupBookmark(source, 'alice', { url: 'https://deleted.example/', title: 'Deleted, undo pending', description: 'Kept for undo' });
    await source.run(sql`DELETE FROM bookmarks WHERE id = ${deleted.id}`);
    undoToken = await rememberDeleted(source, deleted);
    await storeFavicon(source, 'alice', 'example.com', { url: 'https://example.com/favicon.ico', bytes: ICON, contentType: 'image/png' });

    const fresh = await newTestDatabase();
    if (fresh.target.engine !== 'postgres') throw new Error('this file runs in npm run test:postgres');
    targetUrl = fresh.target.url;
    dropTarget = fresh.drop;
    target = await openDb(fresh.target);
    provider = await startLocalProvider({ appBaseUrl: TEST_BASE_URL });
  });

  afterAll(async () => {
    await source?.close();
    await target?.close();
    await dropTarget?.();
    await provider?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies every table, keeps ids, dates and tags, and rebuilds the same tag counts', async () => {
    const report = await copyDatabase(source, target);
    expect(report).toEqual({ rows: { bookmarks: 1_235, api_tokens: 1, ended_sessions: 1, pending_undos: 1, favicons: 1 }, tagCountMismatches: [] });

    for (const owner of ['alice', 'bob', 'carol']) {
      expect(await keptTagCounts(target, owner)).toEqual(await keptTagCounts(source, owner));
      expect(await keptTagCounts(target, owner)).toEqual(await recountTags(target, owner));
      expect(await listTags(target, owner, 100)).toEqual(await listTags(source, owner, 100));
      for (const text of ['', 'drizzle', 'fast', '#five', 'entry -#five', '"entry 7"', 'creme', 'espresso', '"about espresso" -drizzle']) {
        const [before, after] = await Promise.all([searchBookmarks(source, owner, parseSearch(text)), searchBookmarks(target, owner, parseSearch(text))]);
        expect({ owner, text, total: after.total, items: after.items }).toEqual({ owner, text, total: before.total, items: before.items });
      }
    }
    expect((await authenticateToken(target, secret))?.ownerSub).toBe('alice');
    expect((await checkSession(target, 'ended-before-the-copy', 'alice')).ended).toBe(true);
    expect((await searchBookmarks(target, 'alice', parseSearch('espresso'))).total).toBeGreaterThan(50);
    expect((await peekDeleted(target, 'alice', undoToken))?.description).toBe('Kept for undo');
    expect(await findFavicon(target, 'alice', 'example.com')).toMatchObject({ contentType: 'image/png', bytes: ICON });
  });

  it('copies it back into an empty SQLite file, whose search index it builds highest id first, and every search answers as in the original', async () => {
    const path = join(dir, 'back.db');
    await migrateDatabase({ engine: 'sqlite', path });
    const back = await openDb({ engine: 'sqlite', path });
    try {
      expect((await copyDatabase(target, back)).rows.bookmarks).toBe(1_235);
      for (const owner of ['alice', 'bob', 'carol']) {
        for (const text of ['', 'drizzle', 'fast', '#five', 'entry -#five', '"entry 7"', 'creme', 'espresso']) {
          const [before, after] = await Promise.all([searchBookmarks(source, owner, parseSearch(text)), searchBookmarks(back, owner, parseSearch(text))]);
          expect({ owner, text, total: after.total, items: after.items }).toEqual({ owner, text, total: before.total, items: before.items });
        }
        const ids = (await back.all<{ id: number }>(sql`SELECT id FROM bookmarks WHERE owner_sub = ${owner} ORDER BY id DESC`)).map((row) => row.id);
        const indexed = await back.all<{ id: number }>(sql`SELECT -rowid AS id FROM bookmarks_fts WHERE bookmarks_fts MATCH ${`owner : "${ownerToken(owner)}"`} ORDER BY rowid`);
        expect(indexed.map((row) => row.id)).toEqual(ids);
      }
      await back.run(sql`INSERT INTO bookmarks_fts(bookmarks_fts) VALUES ('integrity-check')`);
      expect(await back.all(sql`SELECT * FROM search_index_deferred`)).toEqual([]);
    } finally {
      await back.close();
    }
  });

  it('npm run db:copy does the same from the command line, into another empty database, and says what it copied', async () => {
    const second = await newTestDatabase();
    try {
      if (second.target.engine !== 'postgres') throw new Error('this file runs in npm run test:postgres');
      const sourcePath = join(dir, 'bookmarks.db');
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/commands/db-copy.ts', '--from', sourcePath, '--to', second.target.url], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Copied SQLite at');
      expect(run.stdout).toContain('1235 bookmarks, 1 api_tokens, 1 ended_sessions, 1 pending_undos');
      // The URL names no password; the output shows the server without it all the same.
      expect(run.stdout).toContain(`into PostgreSQL at postgres://`);
      const copied = await openDb(second.target);
      try {
        expect((await searchBookmarks(copied, 'alice', parseSearch(''))).total).toBe((await searchBookmarks(source, 'alice', parseSearch(''))).total);
      } finally {
        await copied.close();
      }
    } finally {
      await second.drop();
    }
  });

  it('refuses a target that already holds data, and changes nothing in it', async () => {
    await expect(copyDatabase(source, target)).rejects.toBeInstanceOf(TargetNotEmptyError);
    expect((await searchBookmarks(target, 'alice', parseSearch(''))).total).toBe(822);
  });

  it('then the journey works on PostgreSQL with the copied data: search, add, delete and undo', async () => {
    const app = await buildTestApp(provider, { database: { engine: 'postgres', url: targetUrl } });
    try {
      const ctx = { app, cookies: { alice: await signIn(app, 'alice') } };
      const search = parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/search?q=drizzle')).body);
      const expected = (await searchBookmarks(source, 'alice', parseSearch('drizzle'))).total;
      expect(expected).toBeGreaterThan(50);
      expect(search.querySelector('#list-summary')?.textContent?.trim()).toBe(`${expected} matches for “drizzle”`);
      expect(search.querySelectorAll('.card').length).toBeGreaterThan(0);

      // New rows continue after the copied ids: no clash with a copied bookmark.
      const added = await as(ctx, 'alice').post('/bookmarks', { url: 'https://after-the-copy.example/', title: 'After the copy', tags: 'new' });
      expect(added.statusCode).toBe(303);
      const found = parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/search?q=after')).body);
      const card = found.querySelector('.card')!;
      expect(card.querySelector('.card-title')?.textContent).toBe('After the copy');
      const id = card.id.replace('bookmark-', '');
      expect(Number(id)).toBeGreaterThan(1_235);

      const deleted = await as(ctx, 'alice').post(`/bookmarks/${id}/delete`);
      const token = new URL(deleted.headers.location as string, TEST_BASE_URL).searchParams.get('undo')!;
      expect((await as(ctx, 'alice').post('/bookmarks/restore', { token })).statusCode).toBe(303);
      expect(parseFragment((await as(ctx, 'alice').htmx.get('/bookmarks/search?q=after')).body).querySelector('.card-title')?.textContent).toBe('After the copy');
    } finally {
      await app.close();
    }
  });
});

/**
 * A pending undo names its bookmark's id, which neither engine ever hands out again. Copied, the
 * target's ids went on after the highest copied bookmark only: when the last saved bookmark was
 * the one deleted, the next save took its id, and its Undo then answered "restored" (the id was
 * taken, which the restore reads as the same bookmark back already) while restoring nothing.
 */
describe('db:copy with the newest bookmark deleted and its Undo pending', () => {
  it('continues ids after the pending undos too, so the Undo restores it beside the next save', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-copy-undo-'));
    const path = join(dir, 'bookmarks.db');
    const fresh = await newTestDatabase();
    const provider = await startLocalProvider({ appBaseUrl: TEST_BASE_URL });
    try {
      if (fresh.target.engine !== 'postgres') throw new Error('this file runs in npm run test:postgres');
      await migrateDatabase({ engine: 'sqlite', path });
      const source = await openDb({ engine: 'sqlite', path });
      const target = await openDb(fresh.target);
      let token: string;
      try {
        await setupBookmark(source, 'alice', { url: 'https://older.example/', title: 'Older' });
        const newest = await setupBookmark(source, 'alice', { url: 'https://newest.example/', title: 'Newest, deleted' });
        await source.run(sql`DELETE FROM bookmarks WHERE id = ${newest.id}`);
        token = await rememberDeleted(source, newest);
        await copyDatabase(source, target);
        // And on into an SQLite file: its AUTOINCREMENT goes on after the pending undo's id as well.
        const backPath = join(dir, 'back.db');
        await migrateDatabase({ engine: 'sqlite', path: backPath });
        const back = await openDb({ engine: 'sqlite', path: backPath });
        try {
          await copyDatabase(target, back);
          expect((await createBookmark(back, 'alice', { url: 'https://after.example/', title: 'After', description: '', tags: [] })).id).toBeGreaterThan(newest.id);
        } finally {
          await back.close();
        }
      } finally {
        await Promise.all([source.close(), target.close()]);
      }

      const app = await buildTestApp(provider, { database: fresh.target });
      try {
        const ctx = { app, cookies: { alice: await signIn(app, 'alice') } };
        expect((await as(ctx, 'alice').post('/bookmarks', { url: 'https://after.example/', title: 'Saved after the copy', tags: '' })).statusCode).toBe(303);
        expect((await as(ctx, 'alice').post('/bookmarks/restore', { token })).statusCode).toBe(303);
        const titles = (await searchBookmarks(app.db, 'alice', parseSearch(''))).items.map((bookmark) => bookmark.title).sort();
        expect(titles).toEqual(['Newest, deleted', 'Older', 'Saved after the copy']);
      } finally {
        await app.close();
      }
    } finally {
      await fresh.drop();
      await provider.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
