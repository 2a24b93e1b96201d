import { describe, expect, it } from 'vitest';
import { importBookmarks, type ImportCandidate } from '../../src/bookmarks/commands.js';
import { exportBookmarks, listTags } from '../../src/bookmarks/queries.js';
import { openDb, type Db } from '../../src/db/client.js';
import { setupBookmark } from '../helpers.js';

const count = (db: Db, table: 'bookmarks' | 'tag_counts', owner: string): number =>
  (db.$client.prepare(`SELECT count(*) AS n FROM ${table} WHERE owner_sub = ?`).get(owner) as { n: number }).n;

/**
 * 450 valid rows with tags, except row 300, whose date is invalid: it passes
 * validation and fails only inside SQLite (created_at NOT NULL), after the
 * first 200-row INSERT statement has already run and its triggers counted tags.
 */
function batchFailingAtRow300(): ImportCandidate[] {
  return Array.from({ length: 450 }, (_, i) => ({
    url: `https://batch.example/${i}`,
    title: `Row ${i}`,
    tags: ['imported', `group-${i % 7}`],
    createdAt: i === 300 ? new Date(Number.NaN) : new Date(1_700_000_000_000 + i * 1000),
  }));
}

describe('importBookmarks is all or nothing', () => {
  it('a row failing inside the transaction leaves no bookmarks and no tag counts', () => {
    const db = openDb(':memory:');
    expect(() => importBookmarks(db, 'bob', batchFailingAtRow300())).toThrow(/NOT NULL/);
    expect(count(db, 'bookmarks', 'bob')).toBe(0);
    expect(count(db, 'tag_counts', 'bob')).toBe(0);
  });

  it('the user\'s earlier bookmarks and tag counts stay exactly as they were', () => {
    const db = openDb(':memory:');
    setupBookmark(db, 'alice', { url: 'https://kept.example/', title: 'Kept', tags: ['imported', 'mine'], createdAt: new Date(1_600_000_000_000) });
    setupBookmark(db, 'alice', { url: 'https://batch.example/5', title: 'Same address as a batch row', tags: ['group-5'] });
    const bookmarksBefore = exportBookmarks(db, 'alice');
    const tagsBefore = listTags(db, 'alice');

    expect(() => importBookmarks(db, 'alice', batchFailingAtRow300())).toThrow(/NOT NULL/);

    expect(exportBookmarks(db, 'alice')).toEqual(bookmarksBefore);
    expect(listTags(db, 'alice')).toEqual(tagsBefore);
    expect(tagsBefore).toEqual(expect.arrayContaining([{ tag: 'imported', count: 1 }, { tag: 'group-5', count: 1 }]));
  });
});
