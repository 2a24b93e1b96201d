import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { OWNER_WRITES_LOCK } from '../../src/db/owner-writes.js';
import { searchBookmarks } from '../../src/bookmarks/search-plans.js';
import { parseSearch } from '../../src/bookmarks/search-syntax.js';
import { as, setupBookmark, TEST_BASE_URL, useSignedInApp } from '../helpers.js';

const ctx = useSignedInApp();

/**
 * An Undo asked while another replica holds the owner's writes (a long import of theirs) waits for
 * the lock, and past the lock timeout answers 503 "try again". Trying again must still restore:
 * the pending undo was taken before the restore's own transaction, so the 503 had used it up and
 * the retry said "too late", the bookmark gone for good.
 */
describe('an Undo that has to wait out another replica', () => {
  it('keeps its pending undo when the restore fails, so the retry restores the bookmark', { timeout: 60_000 }, async () => {
    const kept = await setupBookmark(ctx.app.db, 'alice', { url: 'https://undone.example/', title: 'Deleted, then undone', tags: ['kept'] });
    const deleted = await as(ctx, 'alice').post(`/bookmarks/${kept.id}/delete`);
    const token = new URL(deleted.headers.location as string, TEST_BASE_URL).searchParams.get('undo')!;

    // Another replica's import of alice's bookmarks holds her writes' lock, on a connection of its own.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const isTaken = new Promise<void>((resolve) => (taken = resolve));
    const importing = ctx.app.db.transaction(async (tx) => {
      await tx.get(sql`SELECT pg_advisory_xact_lock(${OWNER_WRITES_LOCK}, hashtext('alice')) AS locked`);
      taken();
      await held;
    });
    await isTaken;
    const busy = await as(ctx, 'alice').post('/bookmarks/restore', { token });
    release();
    await importing;
    expect(busy.statusCode).toBe(503);

    const retry = await as(ctx, 'alice').post('/bookmarks/restore', { token });
    expect(retry.statusCode).toBe(303);
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items).toEqual([kept]);
  });
});

/**
 * A delete keeps the bookmark for Undo in a statement of its own after the delete: when that one
 * failed (pending_undos locked past the lock timeout, as by a migration rewriting it during a
 * rolling deploy, or the database lost between the two), the answer was a 503 "try again" while
 * the bookmark was already gone, with no Undo to bring it back.
 */
describe('a delete whose Undo cannot be kept', () => {
  it('deletes nothing, so trying again deletes it with its Undo', { timeout: 60_000 }, async () => {
    const kept = await setupBookmark(ctx.app.db, 'alice', { url: 'https://not-lost.example/', title: 'Not lost' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const isTaken = new Promise<void>((resolve) => (taken = resolve));
    const migrating = ctx.app.db.transaction(async (tx) => {
      await tx.run(sql`LOCK TABLE pending_undos IN ACCESS EXCLUSIVE MODE`);
      taken();
      await held;
    });
    await isTaken;
    const busy = await as(ctx, 'alice').post(`/bookmarks/${kept.id}/delete`);
    release();
    await migrating;
    expect(busy.statusCode).toBe(503);
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items).toEqual([kept]);

    const retry = await as(ctx, 'alice').post(`/bookmarks/${kept.id}/delete`);
    expect(retry.statusCode).toBe(303);
    const token = new URL(retry.headers.location as string, TEST_BASE_URL).searchParams.get('undo')!;
    expect((await as(ctx, 'alice').post('/bookmarks/restore', { token })).statusCode).toBe(303);
    expect((await searchBookmarks(ctx.app.db, 'alice', parseSearch(''))).items).toEqual([kept]);
  });
});
