import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { deleteBookmark } from '../../src/bookmarks/commands.js';
import { freshDatabaseEachTest, keptTagCounts, recountTags, setupBookmark } from '../helpers.js';

describe('a script deleting an owner’s bookmarks ten at a time', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  // Each delete updates the owner's tag counts and data version: on PostgreSQL two deletes taking
  // those rows in different orders deadlocked, and one of them answered 500.
  it('deletes every one, and the tag counts stay true', { timeout: 120_000 }, async () => {
    const tags = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) {
      const mine = tags.slice(i % 6, (i % 6) + 6);
      ids.push((await setupBookmark(db, 'alice', { url: `https://d.example/${i}`, title: `D ${i}`, tags: i % 2 ? mine.reverse() : mine })).id);
    }
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          const deleted = await deleteBookmark(db, 'alice', id).catch((error: Error & { code?: string }) => failures.push(`${id}: ${error.code} ${error.message}`));
          if (deleted === undefined) failures.push(`${id}: not found`);
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(await keptTagCounts(db, 'alice')).toEqual(await recountTags(db, 'alice'));
    expect((await keptTagCounts(db, 'alice')).size).toBe(0);
  });
});
