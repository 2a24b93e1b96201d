import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { noteRowsWritten, openMigrated, rowsWritten, withDatabaseBefore } from './migrations.js';

/**
 * Token names were only trimmed before they were cleaned as titles are, so an older SQLite file
 * can hold one with a NUL, which PostgreSQL refuses: `npm run db:copy` stopped there, having
 * copied nothing. Migration 0022 stores them by today's rule.
 */
describe('migration 0022: stored token names follow the rule new ones do', () => {
  it('cleans names with control or invisible characters, names one that had nothing else, and writes no other row', async () => {
    await withDatabaseBefore('0022', async (path, old) => {
      const insert = old.prepare('INSERT INTO api_tokens (owner_sub, name, token_hash, created_at) VALUES (?, ?, ?, ?)');
      insert.run('alice', 'old\u0000laptop', 'hash-1', 1);
      insert.run('alice', 'Plain name', 'hash-2', 2);
      insert.run('bob', '\u0000\u200B', 'hash-3', 3);
      insert.run('bob', 'phone\u2066 ', 'hash-4', 4);
      noteRowsWritten(old, 'api_tokens');
      old.close();

      const { db, report } = await openMigrated(path);
      try {
        expect(report.applied[0]).toBe('0022_token_names_cleaned');
        const names = await db.all<{ name: string }>(sql`SELECT name FROM api_tokens ORDER BY created_at`);
        expect(names.map((row) => row.name)).toEqual(['old laptop', 'Plain name', 'Unnamed token', 'phone']);
        expect(await rowsWritten(db)).toEqual([1, 3, 4]);
      } finally {
        await db.close();
      }
    });
  });
});
