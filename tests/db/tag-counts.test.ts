import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/client.js';
import { createBookmark, deleteBookmark, importBookmarks, restoreBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { listTags } from '../../src/bookmarks/queries.js';
import { recountTags } from '../helpers.js';
import { MIGRATIONS, withDatabaseBefore } from './migrations.js';

/** The counts recomputed from scratch, in the tag list's order (most used first, then by name). */
function recount(db: Db, ownerSub: string) {
  return [...recountTags(db, ownerSub)].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1));
}

describe('tag_counts triggers (all migrations applied)', () => {
  it('stay in step through inserts, edits, deletes, restores and imports', () => {
    const db = openDb(':memory:');
    const pool = ['web', 'dev', 'news', 'c++', 'node.js', '"quoted"', 'émoji🙂', 'a-b'];
    let seed = 7;
    // mulberry32: small, deterministic, well spread.
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) % n);
    };
    const someTags = () => [...new Set(Array.from({ length: random(4) }, () => pool[random(pool.length)]!))];
    const ids: { id: number; owner: string }[] = [];
    const deleted: ReturnType<typeof deleteBookmark>[] = [];
    for (let step = 0; step < 400; step++) {
      const owner = random(2) === 0 ? 'alice' : 'bob';
      const action = random(10);
      if (action < 5 || ids.length === 0) {
        const b = createBookmark(db, owner, { url: `https://e.example/${step}`, title: `t${step}`, tags: someTags() });
        ids.push({ id: b.id, owner });
      } else if (action < 7) {
        const target = ids[random(ids.length)]!;
        updateBookmark(db, target.owner, target.id, { url: `https://e.example/u${step}`, title: 'edited', tags: someTags() });
      } else if (action < 9) {
        const [target] = ids.splice(random(ids.length), 1);
        deleted.push(deleteBookmark(db, target!.owner, target!.id));
      } else if (deleted.length > 0) {
        const bookmark = deleted.pop();
        if (bookmark) {
          restoreBookmark(db, bookmark.ownerSub, bookmark);
          ids.push({ id: bookmark.id, owner: bookmark.ownerSub });
        }
      }
    }
    importBookmarks(db, 'alice', [
      { url: 'https://import.example/1', title: 'i1', tags: ['web', 'imported'], createdAt: null },
      { url: 'https://import.example/2', title: 'i2', tags: ['imported'], createdAt: null },
    ]);
    for (const owner of ['alice', 'bob']) {
      const kept = listTags(db, owner, 1000);
      expect(kept).toEqual(recount(db, owner));
      expect(kept.length).toBeGreaterThan(3);
    }
    expect(db.$client.prepare('SELECT count(*) AS n FROM tag_counts WHERE count <= 0').get()).toEqual({ n: 0 });
  });
});

/**
 * SQLite's substr() stops at NUL but instr() does not, so before migration 0007 the
 * tag split looped forever on a tag holding NUL, freezing the app (found by fuzzing).
 */
describe('migration 0007: a NUL can no longer stall the tag split', () => {
  it('cleans rows stored before, recounts their owner, and bounds the split in every trigger', () => {
    withDatabaseBefore('0007', (path, old) => {
      const insert = old.prepare('INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (?, ?, ?, ?, 1)');
      // The order the old split survived (NUL in the last piece it reads), so such rows exist.
      insert.run('alice', 'https://nul.example/', 'Bad\u0000title', 'a\u0000b x');
      insert.run('alice', 'https://twice.example/', 'Twice', 'web\u0000web');
      insert.run('alice', 'https://fine.example/', 'Fine', 'x web');
      insert.run('bob', 'https://bob.example/', 'Bob', 'web');
      old.close();

      const db = openDb(path);
      const row = db.$client.prepare("SELECT title, tags FROM bookmarks WHERE url = 'https://nul.example/'").get();
      expect(row).toEqual({ title: 'Bad title', tags: 'a b x' });
      expect(listTags(db, 'bob', 1000)).toEqual(recount(db, 'bob'));
      // "web<NUL>web" became "web web": one bookmark, counted once, and deleting it leaves no phantom count.
      expect(listTags(db, 'alice', 1000)).toEqual([{ tag: 'web', count: 2 }, { tag: 'x', count: 2 }, { tag: 'a', count: 1 }, { tag: 'b', count: 1 }]);
      db.$client.prepare("DELETE FROM bookmarks WHERE url = 'https://twice.example/'").run();
      expect(listTags(db, 'alice', 1000)).toEqual([{ tag: 'x', count: 2 }, { tag: 'a', count: 1 }, { tag: 'b', count: 1 }, { tag: 'web', count: 1 }]);
      db.$client.close();

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
