import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import type { Db } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { SqliteDb } from '../../src/db/sqlite.js';
import { recordingReads, setupBookmark } from '../helpers.js';

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
  const total = async (search: string, on: Db = db) => {
    on.freshSnapshot();
    return (await searchBookmarks(on, 'alice', parseSearch(search))).total;
  };

  it('are counted once while nothing commits, and again after another process’s write', async () => {
    // The empty search's total is the collection's size, counted and remembered (search-plans.ts).
    await setupBookmark(db, 'alice', { url: 'https://example.com/1', title: 'One' });
    await setupBookmark(db, 'alice', { url: 'https://example.com/2', title: 'Two' });
    const { db: recorded, reads } = recordingReads(db);
    expect(await total('', recorded)).toBe(2);
    const readsOfTheFirst = reads.length;
    expect(await total('', recorded)).toBe(2);
    // Only the page: the total and the version it was counted at are both kept.
    expect(reads.length - readsOfTheFirst).toBe(1);
    // (recordingReads wraps db in an object of its own, whose totals are its own: db's too are counted now.)
    expect(await total('')).toBe(2);

    await setupBookmark(other, 'alice', { url: 'https://example.com/3', title: 'Three, elsewhere' });
    expect(await total('')).toBe(3);
    await setupBookmark(other, 'bob', { url: 'https://example.com/4', title: 'Bob’s' });
    await other.run(sql`DELETE FROM bookmarks WHERE owner_sub = 'alice' AND title = 'One'`);
    expect(await total('')).toBe(2);
  });
});
