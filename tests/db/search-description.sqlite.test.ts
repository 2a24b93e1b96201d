import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { findBookmark } from '../../src/bookmarks/queries.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { openMigrated, withDatabaseBefore } from './migrations.js';

/**
 * Migrations 0013 and 0014 add bookmarks.description and build bookmarks_fts again with
 * a description column. A database that already holds bookmarks must come out with
 * every row still searchable, an empty description on each, and the new triggers
 * indexing descriptions from then on.
 */
describe('migrations 0013 and 0014 on a database that already has bookmarks', () => {
  it('keeps every row searchable and indexes descriptions written afterwards', async () => {
    await withDatabaseBefore('0013', async (path, old) => {
      const insert = old.prepare("INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (?, ?, ?, 'kept', ?)");
      for (let i = 0; i < 90; i++) insert.run(i % 3 === 0 ? 'bob' : 'alice', `https://example.com/${i}`, `Gardening note ${i}`, 1_000 + i);
      old.close();

      const { db, report } = await openMigrated(path);
      try {
        expect(report.applied.slice(0, 2).map((tag) => tag.slice(0, 5))).toEqual(['0013_', '0014_']);
        const definition = (await db.get<{ sql: string }>(sql`SELECT sql FROM sqlite_master WHERE name = 'bookmarks_fts'`))!.sql;
        expect(definition).toMatch(/owner, title, url, tags, description,/);
        // Prefixes of 1 to 8 letters at least (0017 adds longer ones).
        expect(definition).toMatch(/prefix = '1 2 3 4 5 6 7 8[ ']/);
        for (const text of ['garden', 'note', '#kept', 'example']) {
          expect((await searchBookmarks(db, 'alice', parseSearch(text))).total, text).toBe(60);
          expect((await searchBookmarks(db, 'bob', parseSearch(text))).total, text).toBe(30);
        }
        const first = (await searchBookmarks(db, 'alice', parseSearch('"note 1"'))).items[0]!;
        expect(first.description).toBe('');

        // The rebuilt triggers: an edit adds a description, a new bookmark has one, both are found.
        await updateBookmark(db, 'alice', first.id, { url: first.url, title: first.title, description: 'Tomatoes on the balcony', tags: first.tags });
        await createBookmark(db, 'bob', { url: 'https://example.org/', title: 'Written after', description: 'Tomatoes in pots', tags: [] });
        expect((await searchBookmarks(db, 'alice', parseSearch('tomatoes'))).items.map((b) => b.id)).toEqual([first.id]);
        expect((await searchBookmarks(db, 'bob', parseSearch('tomato'))).items.map((b) => b.title)).toEqual(['Written after']);
        expect((await searchBookmarks(db, 'alice', parseSearch('balcony -garden'))).total).toBe(0);
        expect((await findBookmark(db, 'alice', first.id))?.description).toBe('Tomatoes on the balcony');
        // Changing the description again leaves no trace of the old words in the index.
        await updateBookmark(db, 'alice', first.id, { url: first.url, title: first.title, description: 'Herbs', tags: first.tags });
        expect((await searchBookmarks(db, 'alice', parseSearch('balcony'))).total).toBe(0);
        expect((await searchBookmarks(db, 'alice', parseSearch('herbs'))).total).toBe(1);
      } finally {
        await db.close();
      }
    });
  });

  it('keeps a pending undo made before it, with an empty description', async () => {
    await withDatabaseBefore('0013', async (path, old) => {
      old
        .prepare("INSERT INTO pending_undos (token, owner_sub, bookmark_id, url, title, tags, created_at, expires_at) VALUES ('t', 'alice', 7, 'https://a.example/', 'A', '', 1, ?)")
        .run(Date.now() + 60_000);
      old.close();
      const { db } = await openMigrated(path);
      try {
        expect(await db.get(sql`SELECT description FROM pending_undos WHERE token = 't'`)).toEqual({ description: '' });
      } finally {
        await db.close();
      }
    });
  });
});
