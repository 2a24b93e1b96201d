import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Bookmark } from '../../src/bookmarks/bookmark.js';
import { createBookmark, deleteBookmark, importBookmarks, restoreBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { listTags } from '../../src/bookmarks/queries.js';
import type { Db } from '../../src/db/database.js';
import { freshDatabaseEachTest, recountTags } from '../helpers.js';

/** The counts recomputed from scratch, in the tag list's order (most used first, then by name). */
async function recount(db: Db, ownerSub: string) {
  return [...(await recountTags(db, ownerSub))].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1));
}

describe('tag_counts triggers (all migrations applied)', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  it('stay in step through inserts, edits, deletes, restores and imports', async () => {
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
    const deleted: (Bookmark | undefined)[] = [];
    for (let step = 0; step < 400; step++) {
      const owner = random(2) === 0 ? 'alice' : 'bob';
      const action = random(10);
      if (action < 5 || ids.length === 0) {
        const b = await createBookmark(db, owner, { url: `https://e.example/${step}`, title: `t${step}`, tags: someTags() });
        ids.push({ id: b.id, owner });
      } else if (action < 7) {
        const target = ids[random(ids.length)]!;
        await updateBookmark(db, target.owner, target.id, { url: `https://e.example/u${step}`, title: 'edited', tags: someTags() });
      } else if (action < 9) {
        const [target] = ids.splice(random(ids.length), 1);
        deleted.push(await deleteBookmark(db, target!.owner, target!.id));
      } else if (deleted.length > 0) {
        const bookmark = deleted.pop();
        if (bookmark) {
          await restoreBookmark(db, bookmark.ownerSub, bookmark);
          ids.push({ id: bookmark.id, owner: bookmark.ownerSub });
        }
      }
    }
    await importBookmarks(db, 'alice', [
      { url: 'https://import.example/1', title: 'i1', tags: ['web', 'imported'], createdAt: null },
      { url: 'https://import.example/2', title: 'i2', tags: ['imported'], createdAt: null },
    ]);
    for (const owner of ['alice', 'bob']) {
      const kept = await listTags(db, owner, 1000);
      expect(kept).toEqual(await recount(db, owner));
      expect(kept.length).toBeGreaterThan(3);
    }
    expect(await db.get(sql`SELECT count(*) AS n FROM tag_counts WHERE count <= 0`)).toEqual({ n: 0 });
  });
});
