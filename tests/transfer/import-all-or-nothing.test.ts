import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { importBookmarks, type ImportCandidate } from '../../src/bookmarks/commands.js';
import { listTags } from '../../src/bookmarks/queries.js';
import type { Db } from '../../src/db/database.js';
import { freshDatabaseEachTest, ownedBookmarks, setupBookmark } from '../helpers.js';

const count = async (db: Db, table: 'bookmarks' | 'tag_counts', owner: string): Promise<number> =>
  (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${sql.raw(table)} WHERE owner_sub = ${owner}`))!.n;

/**
 * 450 valid rows with tags, except row 300, whose date is invalid: it passes
 * validation and fails only inside the database (on SQLite, created_at NOT NULL),
 * after the first 200-row INSERT statement has already run and its triggers counted tags.
 */
function batchFailingAtRow300(): ImportCandidate[] {
  return Array.from({ length: 450 }, (_, i) => ({
    url: `https://batch.example/${i}`,
    title: `Row ${i}`,
    tags: ['imported', `group-${i % 7}`],
    createdAt: i === 300 ? new Date(Number.NaN) : new Date(1_700_000_000_000 + i * 1000),
  }));
}

/** How each engine refuses row 300's date: SQLite stores NaN as NULL; PostgreSQL cannot read NaN as a bigint. */
const DATABASE_REFUSAL = { sqlite: /NOT NULL/, postgres: /invalid input syntax for type bigint/ } as const;

describe('importBookmarks is all or nothing', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  it('a row failing inside the transaction leaves no bookmarks and no tag counts', async () => {
    await expect(importBookmarks(db, 'bob', batchFailingAtRow300())).rejects.toThrow(DATABASE_REFUSAL[db.engine]);
    expect(await count(db, 'bookmarks', 'bob')).toBe(0);
    expect(await count(db, 'tag_counts', 'bob')).toBe(0);
  });

  it('the user\'s earlier bookmarks and tag counts stay exactly as they were', async () => {
    await setupBookmark(db, 'alice', { url: 'https://kept.example/', title: 'Kept', tags: ['imported', 'mine'], createdAt: new Date(1_600_000_000_000) });
    await setupBookmark(db, 'alice', { url: 'https://batch.example/5', title: 'Same address as a batch row', tags: ['group-5'] });
    const bookmarksBefore = await ownedBookmarks(db, 'alice');
    const tagsBefore = await listTags(db, 'alice', 200);

    await expect(importBookmarks(db, 'alice', batchFailingAtRow300())).rejects.toThrow(DATABASE_REFUSAL[db.engine]);

    expect(await ownedBookmarks(db, 'alice')).toEqual(bookmarksBefore);
    expect(await listTags(db, 'alice', 200)).toEqual(tagsBefore);
    expect(tagsBefore).toEqual(expect.arrayContaining([{ tag: 'imported', count: 1 }, { tag: 'group-5', count: 1 }]));
  });
});
