import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { migrate } from '../../src/db/migrate.js';
import { SqliteDb } from '../../src/db/sqlite.js';
import { setupBookmark, statementsDuring } from '../helpers.js';

/* SQLite's remembered totals (src/db/remembered-counts.ts) are kept until any process commits. */

describe('remembered totals on a SQLite file shared by processes', () => {
  let dir: string;
  let db: SqliteDb;
  let other: SqliteDb;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bookmarks-totals-'));
    db = new SqliteDb(join(dir, 'bookmarks.db'));
    await migrate(db);
    // Another process's connections on the same file, as the workers of `npm start` have.
    other = new SqliteDb(join(dir, 'bookmarks.db'));
  });
  afterEach(async () => {
    await other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A search as a request makes it: in a fresh snapshot. */
  const total = async (search: string) => {
    db.freshSnapshot();
    return (await searchBookmarks(db, 'alice', parseSearch(search))).total;
  };

  it('are counted once while nothing commits, and again after another process’s write or this one’s', async () => {
    // The empty search's total is the collection's size, counted and remembered (search-plans.ts).
    await setupBookmark(db, 'alice', { url: 'https://example.com/1', title: 'One' });
    await setupBookmark(db, 'alice', { url: 'https://example.com/2', title: 'Two' });
    expect(await total('')).toBe(2);
    // Only the page: the total and the version it was counted at are both kept.
    expect(await statementsDuring(db, async () => expect(await total('')).toBe(2))).toBe(1);

    await setupBookmark(other, 'alice', { url: 'https://example.com/3', title: 'Three, elsewhere' });
    expect(await total('')).toBe(3);
    await setupBookmark(other, 'bob', { url: 'https://example.com/4', title: 'Bob’s' });
    await other.run(sql`DELETE FROM bookmarks WHERE owner_sub = 'alice' AND title = 'One'`);
    expect(await total('')).toBe(2);
    // And after this process's own write, in the same turn.
    await setupBookmark(db, 'alice', { url: 'https://example.com/5', title: 'Five, here' });
    expect((await searchBookmarks(db, 'alice', parseSearch(''))).total).toBe(3);
  });
});
