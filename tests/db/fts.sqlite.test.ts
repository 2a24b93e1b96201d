import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBookmark, deleteBookmark, importBookmarks, restoreBookmark, updateBookmark } from '../../src/bookmarks/commands.js';
import { ownerToken, searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { openDb } from '../../src/db/client.js';
import type { Db } from '../../src/db/database.js';
import { openMigrated, withDatabaseBefore } from './migrations.js';

/**
 * The FTS index is kept in step by triggers from migration 0001. drizzle-kit
 * drops triggers silently when it rebuilds a table, so this runs every
 * migration on a fresh database and checks the index after each kind of write.
 */
describe('bookmarks_fts after all migrations', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openDb({ engine: 'sqlite', path: ':memory:' });
  });
  afterEach(async () => db.close());

  const found = async (ownerSub: string, text: string): Promise<string[]> =>
    (await searchBookmarks(db, ownerSub, parseSearch(text))).items.map((b) => b.title);
  const total = async (ownerSub: string, text: string): Promise<number> => (await searchBookmarks(db, ownerSub, parseSearch(text))).total;
  /** Rows the index holds for an owner, straight from FTS5. */
  const indexed = async (ownerSub: string): Promise<number> =>
    (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM bookmarks_fts WHERE bookmarks_fts MATCH ${`owner : "${ownerToken(ownerSub)}"`}`))!.n;

  /** The ids the index holds for an owner, in the index's own order (FTS5's rowid order). */
  const idsInIndexOrder = async (ownerSub: string): Promise<number[]> =>
    (await db.all<{ id: number }>(sql`SELECT -rowid AS id FROM bookmarks_fts WHERE bookmarks_fts MATCH ${`owner : "${ownerToken(ownerSub)}"`} ORDER BY rowid`)).map(
      (row) => row.id,
    );

  it('holds each bookmark under the negative of its id, so its own order is newest first, through every kind of write', async () => {
    const first = await createBookmark(db, 'alice', { url: 'https://example.com/1', title: 'First', tags: [] });
    const second = await createBookmark(db, 'alice', { url: 'https://example.com/2', title: 'Second', tags: [] });
    const third = await createBookmark(db, 'alice', { url: 'https://example.com/3', title: 'Third', tags: [] });
    await createBookmark(db, 'bob', { url: 'https://example.com/4', title: 'Elsewhere', tags: [] });
    expect(await idsInIndexOrder('alice')).toEqual([third.id, second.id, first.id]);
    await updateBookmark(db, 'alice', first.id, { url: first.url, title: 'First, edited', tags: [] });
    const deleted = (await deleteBookmark(db, 'alice', second.id))!;
    expect(await idsInIndexOrder('alice')).toEqual([third.id, first.id]);
    expect(await found('alice', 'edited')).toEqual(['First, edited']);
    await restoreBookmark(db, 'alice', deleted);
    expect(await idsInIndexOrder('alice')).toEqual([third.id, second.id, first.id]);
    await db.run(sql`INSERT INTO bookmarks_fts(bookmarks_fts) VALUES ('integrity-check')`);
  });

  it('has its three triggers on bookmarks', async () => {
    const triggers = (await db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'bookmarks' ORDER BY name`))
      .map((row) => row.name);
    expect(triggers).toEqual(
      expect.arrayContaining(['bookmarks_fts_after_delete', 'bookmarks_fts_after_insert', 'bookmarks_fts_after_update']),
    );
  });

  it('indexes a new bookmark by title, url words and tags', async () => {
    await createBookmark(db, 'alice', { url: 'https://sqlite.org/fts5.html', title: 'Full text search', tags: ['database', 'reference'] });
    expect(await found('alice', 'full')).toEqual(['Full text search']);
    expect(await found('alice', 'fts5')).toEqual(['Full text search']);
    expect(await found('alice', 'sqlite')).toEqual(['Full text search']);
    expect(await found('alice', 'refer')).toEqual(['Full text search']);
    expect(await indexed('alice')).toBe(1);
  });

  it('finds the new text and not the old after an edit', async () => {
    const bookmark = await createBookmark(db, 'alice', { url: 'https://old.example/', title: 'Original heading', tags: ['before'] });
    await updateBookmark(db, 'alice', bookmark.id, { url: 'https://new.example/', title: 'Renamed heading', tags: ['after'] });
    for (const gone of ['original', 'old', 'before']) expect(await found('alice', gone)).toEqual([]);
    for (const text of ['renamed', 'new', 'after', 'heading']) expect(await found('alice', text)).toEqual(['Renamed heading']);
    expect(await indexed('alice')).toBe(1);
  });

  it('forgets a deleted bookmark and finds it again once restored', async () => {
    const bookmark = await createBookmark(db, 'alice', { url: 'https://example.com/', title: 'Short lived', tags: [] });
    await createBookmark(db, 'alice', { url: 'https://example.com/keep', title: 'Long lived', tags: [] });
    const deleted = (await deleteBookmark(db, 'alice', bookmark.id))!;
    expect(await found('alice', 'short')).toEqual([]);
    expect(await total('alice', 'lived')).toBe(1);
    expect(await indexed('alice')).toBe(1);
    await restoreBookmark(db, 'alice', deleted);
    expect(await found('alice', 'short')).toEqual(['Short lived']);
    expect(await total('alice', 'lived')).toBe(2);
  });

  it('indexes an import, and counts in the index agree with the table', async () => {
    await importBookmarks(
      db,
      'bob',
      Array.from({ length: 30 }, (_, i) => ({ url: `https://example.com/${i}`, title: `Imported ${i % 2 ? 'odd' : 'even'}`, tags: ['imported'], createdAt: null })),
    );
    await createBookmark(db, 'alice', { url: 'https://example.com/', title: 'Imported elsewhere', tags: [] });
    expect(await total('bob', 'imported')).toBe(30);
    expect(await total('bob', 'odd')).toBe(15);
    expect(await total('bob', '')).toBe(30);
    expect(await total('alice', 'imported')).toBe(1);
    expect(await indexed('bob')).toBe(30);
  });

  it('imports across several multi-row statements: every row stored once, indexed and counted', async () => {
    // 451 new rows: two full statements of 200 and a remainder of 51; the repeats are skipped.
    const candidates = Array.from({ length: 460 }, (_, i) => ({
      url: `https://example.com/${i % 451}`, title: `Batch ${i % 451}`, tags: [i % 2 ? 'odd' : 'even'], createdAt: new Date(1_000_000 + (i % 451)),
    }));
    const report = await importBookmarks(db, 'bob', candidates);
    expect(report).toMatchObject({ imported: 451, duplicates: 9 });
    const stored = await db.all<{ title: string; at: number }>(sql`SELECT title, created_at AS at FROM bookmarks WHERE owner_sub = 'bob' ORDER BY id`);
    expect(stored.map((row) => row.title)).toEqual(Array.from({ length: 451 }, (_, i) => `Batch ${i}`));
    expect(stored.map((row) => row.at)).toEqual(Array.from({ length: 451 }, (_, i) => 1_000_000 + i));
    expect(await indexed('bob')).toBe(451);
    // Indexed by the import itself, highest id first, under the same keys as the trigger's, which is on again after it.
    const ids = (await db.all<{ id: number }>(sql`SELECT id FROM bookmarks WHERE owner_sub = 'bob' ORDER BY id DESC`)).map((row) => row.id);
    expect(await idsInIndexOrder('bob')).toEqual(ids);
    expect(await db.all(sql`SELECT * FROM search_index_deferred`)).toEqual([]);
    const saved = await createBookmark(db, 'bob', { url: 'https://example.org/after', title: 'Batch after', tags: [] });
    expect((await idsInIndexOrder('bob'))[0]).toBe(saved.id);
    await db.run(sql`INSERT INTO bookmarks_fts(bookmarks_fts) VALUES ('integrity-check')`);
    expect(await total('bob', 'batch')).toBe(452);
    expect(await total('bob', '#odd')).toBe(225);
    expect(await found('bob', 'batch 450')).toEqual(['Batch 450']);
  });

  it('keeps index and table in step through many mixed writes', async () => {
    const live = new Map<number, string>();
    for (let i = 0; i < 60; i++) {
      const word = `word${i % 7}`;
      const bookmark = await createBookmark(db, 'alice', { url: `https://example.com/${i}`, title: `${word} item`, tags: [] });
      live.set(bookmark.id, word);
      if (i % 5 === 0) {
        await updateBookmark(db, 'alice', bookmark.id, { url: `https://example.com/${i}`, title: 'edited item', tags: [] });
        live.set(bookmark.id, 'edited');
      }
      if (i % 4 === 0) {
        await deleteBookmark(db, 'alice', bookmark.id);
        live.delete(bookmark.id);
      }
    }
    for (const word of ['word0', 'word3', 'word6', 'edited']) {
      const expected = [...live.values()].filter((w) => w === word).length;
      expect(await total('alice', word)).toBe(expected);
    }
    expect(await indexed('alice')).toBe(live.size);
    expect(await total('alice', 'item')).toBe(live.size);
  });
});

/**
 * Migration 0006 rebuilds bookmarks_fts with prefix indexes. A database that
 * already holds bookmarks must come out of it with every row searchable and
 * the triggers from 0001 still writing to the new table.
 */
describe('migration 0006 on a database that already has bookmarks', () => {
  it('carries every row into the rebuilt index, and the triggers keep working', async () => {
    await withDatabaseBefore('0006', async (path, old) => {
      const insert = old.prepare("INSERT INTO bookmarks (owner_sub, url, title, tags, created_at) VALUES (?, ?, ?, 'kept', ?)");
      for (let i = 0; i < 120; i++) insert.run(i % 3 === 0 ? 'bob' : 'alice', `https://example.com/${i}`, `Programming note ${i}`, 1_000 + i);
      old.close();

      const { db, report } = await openMigrated(path);
      expect(report.applied[0]).toMatch(/^0006_/);
      const definition = (await db.get<{ sql: string }>(sql`SELECT sql FROM sqlite_master WHERE name = 'bookmarks_fts'`))!.sql;
      // Prefixes of 1 to 8 letters at least (0017 adds longer ones).
      expect(definition).toMatch(/prefix = '1 2 3 4 5 6 7 8[ ']/);
      for (const text of ['p', 'prog', 'programm', 'programming', 'note', '#kept']) {
        expect((await searchBookmarks(db, 'alice', parseSearch(text))).total).toBe(80);
        expect((await searchBookmarks(db, 'bob', parseSearch(text))).total).toBe(40);
      }
      await createBookmark(db, 'alice', { url: 'https://example.org/', title: 'Written after the rebuild', tags: [] });
      expect((await searchBookmarks(db, 'alice', parseSearch('rebuild'))).total).toBe(1);
      await db.close();
    });
  });
});

/**
 * Migration 0017 builds bookmarks_fts again with prefix indexes for 9 to 16 letters too.
 * A database that already holds bookmarks must come out of it with every row, description
 * included, found by every prefix of a long word (past 16 letters as well, without an
 * index), and with the triggers still writing to the new table.
 */
describe('migration 0017 on a database that already has bookmarks', () => {
  it('carries every row into the rebuilt index, every prefix of a long word finds it, and the triggers keep working', async () => {
    await withDatabaseBefore('0017', async (path, old) => {
      // More of alice's than the 300 a search reads whole: her searches take the many-matches plan.
      const insert = old.prepare("INSERT INTO bookmarks (owner_sub, url, title, description, tags, created_at) VALUES (?, ?, ?, 'Documentation kept', 'kept', ?)");
      for (let i = 0; i < 600; i++) insert.run(i % 3 === 0 ? 'bob' : 'alice', `https://example.com/${i}`, `Internationalization note ${i}`, 1_000 + i);
      old.close();

      const { db, report } = await openMigrated(path);
      try {
        expect(report.applied[0]).toMatch(/^0017_/);
        const definition = (await db.get<{ sql: string }>(sql`SELECT sql FROM sqlite_master WHERE name = 'bookmarks_fts'`))!.sql;
        expect(definition).toContain("prefix = '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16'");
        expect(definition).toMatch(/owner, title, url, tags, description,/);
        const word = 'internationalization';
        // Her newest 50 (a first page): every third row is bob's.
        const alicesNewest = Array.from({ length: 600 }, (_, i) => 599 - i).filter((i) => i % 3 !== 0).slice(0, 50).map((i) => `Internationalization note ${i}`);
        for (let length = 1; length <= word.length; length++) {
          const prefix = word.slice(0, length);
          const alices = await searchBookmarks(db, 'alice', parseSearch(prefix));
          expect(alices.total, prefix).toBe(400);
          expect(alices.items.map((b) => b.title), prefix).toEqual(alicesNewest);
          expect((await searchBookmarks(db, 'bob', parseSearch(prefix))).total, prefix).toBe(200);
        }
        expect((await searchBookmarks(db, 'alice', parseSearch('documentatio #kept'))).total).toBe(400);
        const newest = (await searchBookmarks(db, 'alice', parseSearch('internationaliz'), null, 5)).items;
        expect(newest.map((b) => b.title)).toEqual([599, 598, 596, 595, 593].map((i) => `Internationalization note ${i}`));

        // The triggers from 0014 write to the new table: a new bookmark, an edit and a delete.
        const created = await createBookmark(db, 'alice', { url: 'https://example.org/', title: 'Written after the rebuild', description: 'Microservices', tags: [] });
        expect((await searchBookmarks(db, 'alice', parseSearch('microservic'))).items.map((b) => b.id)).toEqual([created.id]);
        await updateBookmark(db, 'alice', created.id, { url: created.url, title: created.title, description: 'Kubernetes', tags: [] });
        expect((await searchBookmarks(db, 'alice', parseSearch('microservic'))).total).toBe(0);
        expect((await searchBookmarks(db, 'alice', parseSearch('kubernetes'))).total).toBe(1);
        await deleteBookmark(db, 'alice', created.id);
        expect((await searchBookmarks(db, 'alice', parseSearch('kubernetes'))).total).toBe(0);
      } finally {
        await db.close();
      }
    });
  });
});

/**
 * Migration 0021 builds bookmarks_fts again with each bookmark under the negative of its id,
 * and writes the three triggers again with the sign. A database that already holds bookmarks
 * must come out of it with every row under its new key, the newest first in every plan (many
 * matches read in the index's order, few read whole, "Load more"), and the triggers writing so.
 */
describe('migration 0021 on a database that already has bookmarks', () => {
  it('carries every row over under the negative of its id, lists stay newest first, and the triggers keep writing so', async () => {
    await withDatabaseBefore('0021', async (path, old) => {
      // More of alice's than the 300 a search reads whole, so that "note" takes the many-matches plan.
      const insert = old.prepare("INSERT INTO bookmarks (owner_sub, url, title, description, tags, created_at) VALUES (?, ?, ?, '', 'kept', ?)");
      for (let i = 0; i < 600; i++) insert.run(i % 3 === 0 ? 'bob' : 'alice', `https://example.com/${i}`, `${i % 50 === 1 ? 'Rare' : 'Common'} note ${i}`, 1_000 + i);
      const ids = (owner: string) => (old.prepare('SELECT id FROM bookmarks WHERE owner_sub = ? ORDER BY id DESC').all(owner) as { id: number }[]).map((row) => row.id);
      const [alices, bobs] = [ids('alice'), ids('bob')];
      old.close();

      const { db, report } = await openMigrated(path);
      try {
        expect(report.applied[0]).toMatch(/^0021_/);
        const definition = (await db.get<{ sql: string }>(sql`SELECT sql FROM sqlite_master WHERE name = 'bookmarks_fts'`))!.sql;
        expect(definition).toContain("prefix = '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16'");
        const inIndexOrder = async (owner: string) =>
          (await db.all<{ id: number }>(sql`SELECT -rowid AS id FROM bookmarks_fts WHERE bookmarks_fts MATCH ${`owner : "${ownerToken(owner)}"`} ORDER BY rowid`)).map((row) => row.id);
        expect(await inIndexOrder('alice')).toEqual(alices);
        expect(await inIndexOrder('bob')).toEqual(bobs);
        await db.run(sql`INSERT INTO bookmarks_fts(bookmarks_fts) VALUES ('integrity-check')`);

        const titles = (page: { items: { title: string }[] }) => page.items.map((b) => b.title);
        const alicesNewest = Array.from({ length: 600 }, (_, i) => 599 - i).filter((i) => i % 3 !== 0);
        // Many matches: the first page and the next, through the cursor.
        const first = await searchBookmarks(db, 'alice', parseSearch('not'), null, 20);
        expect(first.total).toBe(400);
        expect(titles(first)).toEqual(alicesNewest.slice(0, 20).map((i) => `${i % 50 === 1 ? 'Rare' : 'Common'} note ${i}`));
        const next = await searchBookmarks(db, 'alice', parseSearch('not'), first.next, 20);
        expect(titles(next)).toEqual(alicesNewest.slice(20, 40).map((i) => `${i % 50 === 1 ? 'Rare' : 'Common'} note ${i}`));
        // Few matches, read whole, and a tag beside a word.
        const rare = alicesNewest.filter((i) => i % 50 === 1).map((i) => `Rare note ${i}`);
        expect(titles(await searchBookmarks(db, 'alice', parseSearch('rare')))).toEqual(rare);
        expect(titles(await searchBookmarks(db, 'alice', parseSearch('rare #kept')))).toEqual(rare);
        expect((await searchBookmarks(db, 'bob', parseSearch('common'))).total).toBe(200 - 4);

        // The triggers write under the new key: a new bookmark, an edit and a delete.
        const created = await createBookmark(db, 'alice', { url: 'https://example.org/', title: 'Written after the rebuild', tags: [] });
        expect((await inIndexOrder('alice'))[0]).toBe(created.id);
        expect(titles(await searchBookmarks(db, 'alice', parseSearch('note'), null, 2))).toEqual(['Common note 599', 'Common note 598']);
        expect(titles(await searchBookmarks(db, 'alice', parseSearch('written')))).toEqual(['Written after the rebuild']);
        await updateBookmark(db, 'alice', created.id, { url: created.url, title: 'Renamed after the rebuild', tags: [] });
        expect((await searchBookmarks(db, 'alice', parseSearch('written'))).total).toBe(0);
        expect((await searchBookmarks(db, 'alice', parseSearch('renamed'))).items.map((b) => b.id)).toEqual([created.id]);
        await deleteBookmark(db, 'alice', created.id);
        expect((await searchBookmarks(db, 'alice', parseSearch('renamed'))).total).toBe(0);
        expect(await inIndexOrder('alice')).toEqual(alices);
        await db.run(sql`INSERT INTO bookmarks_fts(bookmarks_fts) VALUES ('integrity-check')`);
      } finally {
        await db.close();
      }
    });
  });
});
