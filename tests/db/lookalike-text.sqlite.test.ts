import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { listTags } from '../../src/bookmarks/queries.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { storedRowProblems, type StoredRow } from '../fuzz/arbitraries.js';
import { keptTagCounts, recountTags } from '../helpers.js';
import { noteRowsWritten, openMigrated, rowsWritten, withDatabaseBefore } from './migrations.js';

/**
 * Rows stored before issue 17 may hold tags that only look like others ('w\u200Beb', 'ｗｅｂ')
 * and titles with bidi controls. Search now folds what is typed, so such a tag's own chip
 * would no longer find it: migration 0010 stores them by the same rules as every writer.
 * (A PostgreSQL database is new since then: only SQLite installations need it.)
 */
describe('migration 0010: stored titles and tags follow the lookalike rules', () => {
  it('folds tags, cleans titles, keeps what needs no change, and the counts and the index follow', async () => {
    await withDatabaseBefore('0010', async (path, old) => {
      const insert = old.prepare('INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (?, ?, ?, ?, ?)');
      insert.run('alice', 'https://reversed.example/', '\u202Egnp.exe\u202C notes', 'w\u200Beb web ｗｅｂ dev', 1);
      insert.run('alice', 'https://plain.example/', 'Plain', 'web', 2);
      insert.run('alice', 'https://invisible.example/page', '\u200B\u2066', 'ｄｅｖ \u200B', 3);
      insert.run('alice', 'https://emoji.example/', 'Family 👨\u200D👩\u200D👧 ﬁne', 'ok', 4);
      insert.run('bob', 'https://bob.example/', 'Bob', 'w\u200Beb', 5);
      noteRowsWritten(old, 'bookmarks');
      old.close();

      const { db, report } = await openMigrated(path);
      try {
        expect(report.applied[0]).toBe('0010_lookalike_text');
        const rows = await db.all<StoredRow>(sql`SELECT id, owner_sub, url, title, tags FROM bookmarks ORDER BY created_at`);
        expect(rows.map(({ title, tags }) => [title, tags])).toEqual([
          ['gnp.exe notes', 'web dev'],
          ['Plain', 'web'],
          ['invisible.example', 'dev'],
          ['Family 👨\u200D👩\u200D👧 ﬁne', 'ok'],
          ['Bob', 'web'],
        ]);
        for (const row of rows) expect(storedRowProblems(row)).toEqual([]);
        expect(await rowsWritten(db)).toEqual([1, 3, 5]);

        for (const owner of ['alice', 'bob']) expect(await keptTagCounts(db, owner), owner).toEqual(await recountTags(db, owner));
        expect(await listTags(db, 'alice', 100)).toEqual([
          { tag: 'dev', count: 2 },
          { tag: 'web', count: 2 },
          { tag: 'ok', count: 1 },
        ]);
        // The search index follows the rows: the chip of the old tag, and the cleaned title, find them.
        const titles = async (owner: string, text: string) => (await searchBookmarks(db, owner, parseSearch(text))).items.map((b) => b.title);
        expect(await titles('alice', '#w\u200Beb')).toEqual(['Plain', 'gnp.exe notes']);
        expect(await titles('bob', '#web')).toEqual(['Bob']);
        expect(await titles('alice', 'gnp')).toEqual(['gnp.exe notes']);
      } finally {
        await db.close();
      }
    });
  });
});
