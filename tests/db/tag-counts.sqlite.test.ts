import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listTags } from '../../src/bookmarks/queries.js';
import type { Db } from '../../src/db/database.js';
import { recountTags } from '../helpers.js';
import { MIGRATIONS, openMigrated, withDatabaseBefore } from './migrations.js';

/** The counts recomputed from scratch, in the tag list's order (most used first, then by name). */
async function recount(db: Db, ownerSub: string) {
  return [...(await recountTags(db, ownerSub))].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1));
}

/**
 * SQLite's substr() stops at NUL but instr() does not, so before migration 0007 the
 * tag split looped forever on a tag holding NUL, freezing the app (found by fuzzing).
 */
describe('migration 0007: a NUL can no longer stall the tag split', () => {
  it('cleans rows stored before, recounts their owner, and bounds the split in every trigger', async () => {
    await withDatabaseBefore('0007', async (path, old) => {
      const insert = old.prepare('INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (?, ?, ?, ?, 1)');
      // The order the old split survived (NUL in the last piece it reads), so such rows exist.
      insert.run('alice', 'https://nul.example/', 'Bad\u0000title', 'a\u0000b x');
      insert.run('alice', 'https://twice.example/', 'Twice', 'web\u0000web');
      insert.run('alice', 'https://fine.example/', 'Fine', 'x web');
      insert.run('bob', 'https://bob.example/', 'Bob', 'web');
      old.close();

      const { db, report } = await openMigrated(path);
      expect(report.applied[0]).toMatch(/^0007_/);
      const row = await db.get(sql`SELECT title, tags FROM bookmarks WHERE url = 'https://nul.example/'`);
      expect(row).toEqual({ title: 'Bad title', tags: 'a b x' });
      expect(await listTags(db, 'bob', 1000)).toEqual(await recount(db, 'bob'));
      // "web<NUL>web" became "web web": one bookmark, counted once, and deleting it leaves no phantom count.
      expect(await listTags(db, 'alice', 1000)).toEqual([{ tag: 'web', count: 2 }, { tag: 'x', count: 2 }, { tag: 'a', count: 1 }, { tag: 'b', count: 1 }]);
      await db.run(sql`DELETE FROM bookmarks WHERE url = 'https://twice.example/'`);
      expect(await listTags(db, 'alice', 1000)).toEqual([{ tag: 'x', count: 2 }, { tag: 'a', count: 1 }, { tag: 'b', count: 1 }, { tag: 'web', count: 1 }]);
      await db.close();

      // A NUL written straight to SQL, past the app's rules, in the order that used to loop
      // forever: in a child process with a deadline, since a loop inside SQLite cannot be interrupted.
      const script = `
        const Database = require('better-sqlite3');
        const db = new Database(${JSON.stringify(path)});
        const id = db.prepare("INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES ('carol', 'https://c.example/', 'c', ?, 1)").run('x a\\u0000b').lastInsertRowid;
        db.prepare('UPDATE bookmarks SET tags = ? WHERE id = ?').run('y z\\u0000w', id);
        db.prepare('DELETE FROM bookmarks WHERE id = ?').run(id);
        console.log(JSON.stringify(db.prepare("SELECT count(*) AS n FROM tag_counts WHERE owner_sub = 'carol'").get()));`;
      const output = execFileSync(process.execPath, ['-e', script], { cwd: MIGRATIONS, timeout: 20_000, killSignal: 'SIGKILL', encoding: 'utf8' });
      expect(JSON.parse(output)).toEqual({ n: 0 });
    });
  });
});
