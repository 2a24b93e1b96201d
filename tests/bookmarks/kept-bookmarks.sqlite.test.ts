import { describe, expect, it } from 'vitest';
import { deleteBookmark, insertBookmarkRows, updateBookmark } from '../../src/bookmarks/commands.js';
import { KEPT_BOOKMARK_CHARACTERS, KEPT_BOOKMARKS, ownedBookmarksByIds } from '../../src/bookmarks/kept-bookmarks.js';
import { ownerVersion } from '../../src/bookmarks/queries.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import type { Db } from '../../src/db/database.js';
import { LIMITS } from '../../src/bookmarks/validation.js';
import { freshDatabaseEachTest, recordingReads, setupBookmark, useProcessesOnSqliteFile } from '../helpers.js';

/* SQLite's search plans read a page's ids and dates; its bookmarks are kept by id at the owner's data version. */

/** Statements that read bookmarks' rows by id (kept-bookmarks.ts), among those recorded: tag searches use json_each too. */
const rowReadsOf = (reads: ReturnType<typeof recordingReads>['reads']) => reads.filter((read) => read.method === 'all' && JSON.stringify(read.statement).includes('AS wanted'));

describe('ownedBookmarksByIds', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  it('gives the owner’s bookmarks in the order asked, and none of another owner’s', async () => {
    const first = await setupBookmark(db, 'alice', { title: 'First' });
    const second = await setupBookmark(db, 'alice', { title: 'Second' });
    const bobs = await setupBookmark(db, 'bob', { title: 'Bob’s' });
    const found = await ownedBookmarksByIds(db, 'alice', [second.id, bobs.id, first.id], await ownerVersion(db, 'alice'));
    expect(found.map((bookmark) => bookmark.title)).toEqual(['Second', 'First']);
    expect(await ownedBookmarksByIds(db, 'bob', [first.id, second.id], await ownerVersion(db, 'bob'))).toEqual([]);
  });

  it('reads no row again while the owner’s version stands, and reads them anew once it moves', async () => {
    const { db: recorded, reads } = recordingReads(db);
    const saved = await setupBookmark(db, 'alice', { title: 'Before' });
    const version = await ownerVersion(db, 'alice');
    const [read] = await ownedBookmarksByIds(recorded, 'alice', [saved.id], version);
    const [again] = await ownedBookmarksByIds(recorded, 'alice', [saved.id], version);
    expect(again).toBe(read);
    expect(rowReadsOf(reads)).toHaveLength(1);

    await updateBookmark(db, 'alice', saved.id, { url: saved.url, title: 'After', tags: [] });
    const [edited] = await ownedBookmarksByIds(recorded, 'alice', [saved.id], await ownerVersion(db, 'alice'));
    expect(edited!.title).toBe('After');
    expect(rowReadsOf(reads)).toHaveLength(2);
  });

  it('never gives a bookmark kept for one owner to another whose version is the same number', async () => {
    // One transaction: both owners' versions come from the same clock reading.
    await db.transaction((tx) =>
      insertBookmarkRows(tx, [
        { ownerSub: 'alice', title: 'Alice’s', url: 'https://example.com/a', tags: [], createdAt: new Date(1_000) },
        { ownerSub: 'bob', title: 'Bob’s', url: 'https://example.com/b', tags: [], createdAt: new Date(2_000) },
      ]),
    );
    const version = await ownerVersion(db, 'alice');
    expect(await ownerVersion(db, 'bob')).toBe(version);
    // Alice's search keeps her bookmark at that version.
    const [alices] = (await searchBookmarks(db, 'alice', parseSearch(''), null, 20, { ownerVersion: version })).items;
    expect(alices!.title).toBe('Alice’s');
    const bobSees = await ownedBookmarksByIds(db, 'bob', [alices!.id], version);
    expect(bobSees).toEqual([]);
  });

  it('keeps at most KEPT_BOOKMARKS: the least recently used is read again', async () => {
    const rows = Array.from({ length: KEPT_BOOKMARKS + 1 }, (_, i) => ({ ownerSub: 'alice', title: `Bookmark ${i}`, url: `https://example.com/${i}`, tags: [], createdAt: new Date(1_000 + i) }));
    await db.transaction((tx) => insertBookmarkRows(tx, rows));
    const ids = (await searchBookmarks(db, 'alice', parseSearch(''), null, KEPT_BOOKMARKS + 1)).items.map((bookmark) => bookmark.id);
    const version = await ownerVersion(db, 'alice');
    const { db: recorded, reads } = recordingReads(db);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(0, KEPT_BOOKMARKS), version);
    // Asked again, the first is now the most recently used: the second is the least.
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(0, 1), version);
    expect(rowReadsOf(reads)).toHaveLength(1);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(KEPT_BOOKMARKS), version);
    expect(rowReadsOf(reads)).toHaveLength(2);
    await ownedBookmarksByIds(recorded, 'alice', [ids[0]!, ...ids.slice(2)], version);
    expect(rowReadsOf(reads)).toHaveLength(2);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(1, 2), version);
    expect(rowReadsOf(reads)).toHaveLength(3);
  });

  it('are the same objects while the owner’s version stands, and a write of theirs is shown at once', async () => {
    await setupBookmark(db, 'alice', { title: 'Kept title' });
    const search = async () => (await searchBookmarks(db, 'alice', parseSearch('kept'), null, 20)).items;
    await search();
    const [first] = await search();
    const [again] = await search();
    expect(again).toBe(first);
    await updateBookmark(db, 'alice', first!.id, { url: first!.url, title: 'Kept title, edited', tags: [] });
    db.freshSnapshot();
    expect((await search()).map((bookmark) => bookmark.title)).toEqual(['Kept title, edited']);
  });

  it('keeps at most KEPT_BOOKMARK_CHARACTERS of text: bookmarks at their fields’ limits push the oldest out sooner', async () => {
    const atLimits = (i: number) => ({
      ownerSub: 'alice',
      url: `https://example.com/${i}/`.padEnd(LIMITS.urlLength, 'u'),
      title: 'T'.repeat(LIMITS.titleLength),
      description: 'D'.repeat(LIMITS.descriptionLength),
      tags: Array.from({ length: LIMITS.tagCount }, (_, tag) => `${tag}`.padEnd(LIMITS.tagLength, 't')),
      createdAt: new Date(1_000 + i),
    });
    const perBookmark = LIMITS.urlLength + LIMITS.titleLength + LIMITS.descriptionLength + LIMITS.tagCount * LIMITS.tagLength;
    const fit = Math.floor(KEPT_BOOKMARK_CHARACTERS / perBookmark);
    expect(fit).toBeLessThan(KEPT_BOOKMARKS);
    await db.transaction((tx) => insertBookmarkRows(tx, Array.from({ length: fit + 1 }, (_, i) => atLimits(i))));
    const ids = (await searchBookmarks(db, 'alice', parseSearch(''), null, fit + 1)).items.map((bookmark) => bookmark.id);
    const version = await ownerVersion(db, 'alice');
    const { db: recorded, reads } = recordingReads(db);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(0, fit), version);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(1, fit), version);
    expect(rowReadsOf(reads)).toHaveLength(1);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(fit), version);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(1), version);
    expect(rowReadsOf(reads)).toHaveLength(2);
    await ownedBookmarksByIds(recorded, 'alice', ids.slice(0, 1), version);
    expect(rowReadsOf(reads)).toHaveLength(3);
  });
});

describe('searches with kept bookmarks', () => {
  const files = useProcessesOnSqliteFile('bookmarks-kept-');

  it('show an edit and a delete made by another process in the next snapshot', async () => {
    const kept = await setupBookmark(files.db, 'alice', { title: 'Kept title', createdAt: new Date(1_000) });
    const gone = await setupBookmark(files.db, 'alice', { title: 'Soon gone', createdAt: new Date(2_000) });
    // As each request does: a fresh snapshot (src/db/sqlite.ts), then the page.
    const titles = async (search = '') => {
      files.db.freshSnapshot();
      return (await searchBookmarks(files.db, 'alice', parseSearch(search))).items.map((bookmark) => bookmark.title);
    };
    expect(await titles()).toEqual(['Soon gone', 'Kept title']);
    expect(await titles('title')).toEqual(['Kept title']);

    await updateBookmark(files.otherProcess, 'alice', kept.id, { url: kept.url, title: 'Edited elsewhere', tags: [] });
    expect(await titles()).toEqual(['Soon gone', 'Edited elsewhere']);
    await deleteBookmark(files.otherProcess, 'alice', gone.id);
    expect(await titles()).toEqual(['Edited elsewhere']);
  });

  it('take kept bookmarks only at the version read with the page’s ids, not one a request read before', async () => {
    const saved = await setupBookmark(files.db, 'alice', { title: 'Old words' });
    const versionBefore = await ownerVersion(files.db, 'alice');
    expect((await searchBookmarks(files.db, 'alice', parseSearch('old'), null, 20, { ownerVersion: versionBefore })).items.map((bookmark) => bookmark.title)).toEqual(['Old words']);
    await updateBookmark(files.otherProcess, 'alice', saved.id, { url: saved.url, title: 'Old words, new title', tags: [] });
    files.db.freshSnapshot();
    // The version the request read at its start is the one before the edit: the ids' own is after it.
    const page = await searchBookmarks(files.db, 'alice', parseSearch('old'), null, 20, { ownerVersion: versionBefore });
    expect(page.items.map((bookmark) => bookmark.title)).toEqual(['Old words, new title']);
  });
});
