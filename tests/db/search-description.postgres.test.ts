import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { openDb } from '../../src/db/client.js';
import { migrate, migrationsFolder } from '../../src/db/migrate.js';
import { newBlankDatabase } from '../helpers.js';

/** The PostgreSQL migrations folder as it was before the migration whose tag starts with `tagPrefix`. */
function foldersBefore(tagPrefix: string): { folder: string; cleanUp(): void } {
  const dir = mkdtempSync(join(tmpdir(), `bookmarks-pg-before-${tagPrefix}-`));
  const folder = join(dir, 'drizzle');
  cpSync(migrationsFolder('postgres'), folder, { recursive: true });
  const journalPath = join(folder, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((entry) => entry.tag.startsWith(`${tagPrefix}_`));
  if (cut <= 0) throw new Error(`no migration ${tagPrefix}`);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
  return { folder, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Migrations 0007 to 0009 add bookmarks.description and put it into the generated
 * search_vector, which PostgreSQL can only drop and add again; its GIN index goes
 * with it and 0009 builds it again.
 */
describe('the description migrations on a PostgreSQL database that already has bookmarks', () => {
  it('keep every row searchable, search descriptions, and rebuild the GIN index the searches use', async () => {
    const blank = await newBlankDatabase();
    const before = foldersBefore('0007');
    const db = await openDb(blank.target);
    try {
      await migrate(db, before.folder);
      for (let i = 0; i < 60; i++) {
        await db.run(sql`INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (${i % 3 === 0 ? 'bob' : 'alice'}, ${`https://example.com/${i}`}, ${`Gardening note ${i}`}, 'kept', ${1_000 + i})`);
      }
      const { applied } = await migrate(db);
      expect(applied.slice(0, 3).map((tag) => tag.slice(0, 5))).toEqual(['0007_', '0008_', '0009_']);

      const index = await db.get<{ indexdef: string }>(sql`SELECT indexdef FROM pg_indexes WHERE tablename = 'bookmarks' AND indexname = 'bookmarks_search_idx'`);
      expect(index?.indexdef).toMatch(/USING gin \(search_vector\)/);
      for (const text of ['garden', 'note', '#kept', 'example']) expect((await searchBookmarks(db, 'alice', parseSearch(text))).total, text).toBe(40);

      const first = (await searchBookmarks(db, 'alice', parseSearch('"note 1"'))).items[0]!;
      expect(first.description).toBe('');
      await updateBookmark(db, 'alice', first.id, { url: first.url, title: first.title, description: 'Tomatoes on the balcony', tags: first.tags });
      await createBookmark(db, 'bob', { url: 'https://example.org/', title: 'Written after', description: 'Tomatoes in pots', tags: [] });
      expect((await searchBookmarks(db, 'alice', parseSearch('tomatoes'))).items.map((b) => b.id)).toEqual([first.id]);
      expect((await searchBookmarks(db, 'bob', parseSearch('tomato'))).items.map((b) => b.title)).toEqual(['Written after']);
      expect((await searchBookmarks(db, 'alice', parseSearch('"on the balcony"'))).total).toBe(1);
      expect((await searchBookmarks(db, 'alice', parseSearch('balcony -garden'))).total).toBe(0);

      // The planner can answer a description search from the rebuilt index.
      const plan = await db.transaction(async (tx) => {
        await tx.run(sql`SET LOCAL enable_seqscan = off`);
        return tx.all<{ 'QUERY PLAN': string }>(
          sql`EXPLAIN SELECT id FROM bookmarks WHERE search_vector @@ to_tsquery('bookmarks_search', 'tomatoes')`,
        );
      });
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('bookmarks_search_idx');
    } finally {
      await db.close();
      await blank.drop();
      before.cleanUp();
    }
  });
});
