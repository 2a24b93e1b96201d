import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { setupBookmark, statementsDuring, useProcessesOnSqliteFile } from '../helpers.js';

/* SQLite's remembered totals (src/db/remembered-counts.ts) are kept until any process commits. */

describe('remembered totals on a SQLite file shared by processes', () => {
  const files = useProcessesOnSqliteFile('bookmarks-totals-');

  /** A search as a request makes it: in a fresh snapshot. */
  const total = async (search: string) => {
    files.db.freshSnapshot();
    return (await searchBookmarks(files.db, 'alice', parseSearch(search))).total;
  };

  it('are counted once while nothing commits, and again after another process’s write or this one’s', async () => {
    // The empty search's total is the collection's size, counted and remembered (search-plans.ts).
    await setupBookmark(files.db, 'alice', { url: 'https://example.com/1', title: 'One' });
    await setupBookmark(files.db, 'alice', { url: 'https://example.com/2', title: 'Two' });
    expect(await total('')).toBe(2);
    // Only the page: the total and the version it was counted at are both kept.
    expect(await statementsDuring(files.db, async () => expect(await total('')).toBe(2))).toBe(1);

    await setupBookmark(files.otherProcess, 'alice', { url: 'https://example.com/3', title: 'Three, elsewhere' });
    expect(await total('')).toBe(3);
    await setupBookmark(files.otherProcess, 'bob', { url: 'https://example.com/4', title: 'Bob’s' });
    await files.otherProcess.run(sql`DELETE FROM bookmarks WHERE owner_sub = 'alice' AND title = 'One'`);
    expect(await total('')).toBe(2);
    // And after this process's own write, in the same turn.
    await setupBookmark(files.db, 'alice', { url: 'https://example.com/5', title: 'Five, here' });
    expect((await searchBookmarks(files.db, 'alice', parseSearch(''))).total).toBe(3);
  });
});
