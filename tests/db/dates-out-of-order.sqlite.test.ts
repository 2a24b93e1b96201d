import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBookmark, deleteBookmark, importBookmarks, insertBookmarkRows, restoreBookmark, type BookmarkRowValues } from '../../src/bookmarks/commands.js';
import type { Db } from '../../src/db/database.js';
import { freshDatabaseEachTest } from '../helpers.js';
import { openMigrated, withDatabaseBefore } from './migrations.js';

const marked = async (db: Db) => (await db.all<{ owner: string }>(sql`SELECT owner_sub AS owner FROM owner_dates_out_of_order ORDER BY owner_sub`)).map((row) => row.owner);
const valid = (n: number) => ({ url: `https://example.com/${n}`, title: `Bookmark ${n}`, description: '', tags: [] });
const at = (ms: number) => new Date(ms);

/**
 * Migration 0019: owner_dates_out_of_order names the owners whose bookmarks' dates go back
 * somewhere in id order. For the others a search takes its highest ids as its newest
 * without checking (src/bookmarks/search-plans.ts), so a missed owner would get a wrong page:
 * tests/bookmarks/search-plans.test.ts covers those pages, this the marking itself.
 */
describe('owners whose dates are out of their ids’ order (migration 0019)', () => {
  let db: Db;
  freshDatabaseEachTest((fresh) => (db = fresh));

  it('leaves owners who save bookmarks one after another, and imports in date order, unmarked', async () => {
    await createBookmark(db, 'alice', valid(1), at(1_000));
    await createBookmark(db, 'alice', valid(2), at(2_000));
    // The same moment twice is still in order (ties are ordered by id).
    await createBookmark(db, 'alice', valid(3), at(2_000));
    const rows: BookmarkRowValues[] = [1, 2, 3].map((n) => ({ ownerSub: 'bob', ...valid(n), createdAt: at(n * 1_000) }));
    await db.transaction((tx) => insertBookmarkRows(tx, rows));
    // Others' dates are no one else's business: bob's are all later than carol's first.
    await createBookmark(db, 'carol', valid(1), at(500));
    expect(await marked(db)).toEqual([]);
  });

  it('stores an import oldest first: a file listing the newest first leaves an empty collection unmarked, and older ones after newer saves mark it', async () => {
    const newestFirst = [3, 2, 1].map((n) => ({ ...valid(n), createdAt: at(n * 1_000) }));
    expect(await importBookmarks(db, 'alice', newestFirst)).toMatchObject({ imported: 3 });
    const ids = await db.all<{ id: number; createdAt: number }>(sql`SELECT id, created_at AS "createdAt" FROM bookmarks WHERE owner_sub = 'alice' ORDER BY id`);
    expect(ids.map((row) => row.createdAt)).toEqual([1_000, 2_000, 3_000]);
    expect(await marked(db)).toEqual([]);
    await createBookmark(db, 'bob', valid(9), at(9_000));
    await importBookmarks(db, 'bob', newestFirst);
    expect(await marked(db)).toEqual(['bob']);
  });

  it('marks an owner when an older bookmark comes after newer ones, and only that owner', async () => {
    await createBookmark(db, 'alice', valid(1), at(2_000));
    await createBookmark(db, 'bob', valid(1), at(2_000));
    await db.transaction((tx) => insertBookmarkRows(tx, [{ ownerSub: 'alice', ...valid(2), createdAt: at(1_000) }]));
    expect(await marked(db)).toEqual(['alice']);
    // Once marked, further writes keep it (deleting never puts dates back in order by itself).
    await createBookmark(db, 'alice', valid(3), at(3_000));
    expect(await marked(db)).toEqual(['alice']);
  });

  it('lets a bookmark restored under its old id back in without a mark when its date fits, and marks one whose date does not', async () => {
    const first = await createBookmark(db, 'alice', valid(1), at(1_000));
    const middle = await createBookmark(db, 'alice', valid(2), at(2_000));
    await createBookmark(db, 'alice', valid(3), at(3_000));
    await deleteBookmark(db, 'alice', middle.id);
    expect(await restoreBookmark(db, 'alice', middle)).toMatchObject({ restored: { id: middle.id } });
    expect(await marked(db)).toEqual([]);
    // Under a low id with a date after every later id's: the probe for rows above it finds them.
    await deleteBookmark(db, 'alice', first.id);
    expect(await restoreBookmark(db, 'alice', { ...first, createdAt: at(9_000) })).toMatchObject({ restored: { id: first.id } });
    expect(await marked(db)).toEqual(['alice']);
  });

  it('marks an owner whose bookmark changes date or id, or who receives one from another owner', async () => {
    const moved = await createBookmark(db, 'alice', valid(1), at(1_000));
    const redated = await createBookmark(db, 'bob', valid(1), at(1_000));
    const renumbered = await createBookmark(db, 'dave', valid(1), at(1_000));
    await db.run(sql`UPDATE bookmarks SET created_at = 5000 WHERE id = ${redated.id}`);
    await db.run(sql`UPDATE bookmarks SET owner_sub = 'carol' WHERE id = ${moved.id}`);
    await db.run(sql`UPDATE bookmarks SET id = 1000 WHERE id = ${renumbered.id}`);
    // A change of title alone marks no one.
    await db.run(sql`UPDATE bookmarks SET title = 'Renamed' WHERE id = ${redated.id}`);
    expect(await marked(db)).toEqual(['bob', 'carol', 'dave']);
  });

  it('marks the owners whose stored bookmarks were already out of order when it runs', async () => {
    await withDatabaseBefore('0019', async (path, old) => {
      const insert = old.prepare('INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (?, ?, ?, ?, ?)');
      for (const [owner, dates] of [
        ['in-order', [1, 2, 2, 3]],
        ['imported-late', [5, 6, 1]],
        ['newest-first', [3, 2, 1]],
      ] as const) {
        dates.forEach((date, n) => insert.run(owner, `https://example.com/${n}`, `Bookmark ${n}`, '', date * 1_000));
      }
      old.close();
      const { db, report } = await openMigrated(path);
      try {
        expect(report.applied[0]).toMatch(/^0019_/);
        expect(await marked(db)).toEqual(['imported-late', 'newest-first']);
      } finally {
        await db.close();
      }
    });
  });
});
