import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openMigrated, withDatabaseBefore } from './migrations.js';

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
      old.exec('CREATE TABLE written (created_at INTEGER)');
      old.exec('CREATE TRIGGER note_written AFTER UPDATE ON api_tokens BEGIN INSERT INTO written VALUES (new.created_at); END');
      old.close();

      const { db, report } = await openMigrated(path);
      try {
        expect(report.applied[0]).toBe('0022_token_names_cleaned');
        const names = await db.all<{ name: string }>(sql`SELECT name FROM api_tokens ORDER BY created_at`);
        expect(names.map((row) => row.name)).toEqual(['old laptop', 'Plain name', 'Unnamed token', 'phone']);
        expect((await db.all<{ at: number }>(sql`SELECT created_at AS at FROM written ORDER BY created_at`)).map((row) => row.at)).toEqual([1, 3, 4]);
      } finally {
        await db.close();
      }
    });
  });
});
