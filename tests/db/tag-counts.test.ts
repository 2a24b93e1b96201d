import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Bookmark } from '../../src/bookmarks/bookmark.js';
import { createBookmark, deleteBookmark, importBookmarks, restoreBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { listTags, tagsByUse } from '../../src/bookmarks/queries.js';
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

describe('the tag list (listTags)', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  it('reads an index kept in its own order, most used first and then by name, without sorting', async () => {
    for (const [i, tags] of [['b', 'a'], ['b', 'c'], ['a'], ['d']].entries()) {
      await createBookmark(db, 'alice', { url: `https://example.com/${i}`, title: `T${i}`, description: '', tags });
    }
    expect(await listTags(db, 'alice', 3)).toEqual([{ tag: 'a', count: 2 }, { tag: 'b', count: 2 }, { tag: 'c', count: 1 }]);
    // The very statement listTags runs, with its parameters.
    const params = { owner: 'alice', limit: 30 };
    const plan =
      db.engine === 'sqlite'
        ? (await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${tagsByUse}`, params)).map((row) => row.detail)
        : await db.transaction(async (tx) => {
            // Told to avoid scans and sorts, the planner sorts anyway unless an index gives this order.
            await tx.run(sql`SET LOCAL enable_seqscan = off`);
            await tx.run(sql`SET LOCAL enable_sort = off`);
            return (await tx.all<{ 'QUERY PLAN': string }>(sql`EXPLAIN ${tagsByUse}`, params)).map((row) => row['QUERY PLAN']);
          });
    expect(plan.join('\n')).toMatch(db.engine === 'sqlite' ? /COVERING INDEX tag_counts_owner_count_tag_idx/ : /tag_counts_owner_count_tag_idx/);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE|Sort/);
  });
});
