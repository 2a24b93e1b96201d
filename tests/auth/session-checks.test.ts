import { describe, expect, it } from 'vitest';
import { checkSession, endSession } from '../../src/auth/ended-sessions.js';
import { createBookmark } from '../../src/bookmarks/commands.js';
import { ownerVersion } from '../../src/bookmarks/queries.js';
import type { Db } from '../../src/db/database.js';
import { freshDatabaseEachTest, statementsDuring, TEST_ENGINE } from '../helpers.js';

const link = (url: string) => ({ url, title: url, description: '', tags: [] });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('session checks asked together (src/auth/ended-sessions.ts)', () => {
  let db: Db;
  freshDatabaseEachTest((opened) => (db = opened));

  it("answers each check of one turn for its own session and its own user's data version", async () => {
    await createBookmark(db, 'alice', link('https://alice.example/1'));
    await createBookmark(db, 'alice', link('https://alice.example/2'));
    // Versions count in milliseconds: bob's write comes later, so the two users' versions differ.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await createBookmark(db, 'bob', link('https://bob.example/'));
    await endSession(db, 'signed-out', Math.floor(Date.now() / 1000) + 3600);
    const [alice, bob] = [await ownerVersion(db, 'alice'), await ownerVersion(db, 'bob')];
    expect(alice).not.toBe(bob);
    await nextTurn();

    let answers: Awaited<ReturnType<typeof checkSession>>[] = [];
    const statements = await statementsDuring(db, async () => {
      answers = await Promise.all([
        checkSession(db, 'alice-live', 'alice'),
        checkSession(db, 'signed-out', 'alice'),
        checkSession(db, 'bob-live', 'bob'),
        checkSession(db, 'carol-live', 'carol'),
        checkSession(db, 'alice-live', 'alice'),
      ]);
    });
    expect(answers).toEqual([
      { ended: false, ownerVersion: alice },
      { ended: true, ownerVersion: alice },
      { ended: false, ownerVersion: bob },
      // Before a user's first write, as ownerVersion reads it.
      { ended: false, ownerVersion: 0 },
      { ended: false, ownerVersion: alice },
    ]);
    // PostgreSQL: one statement for the turn's checks. SQLite in memory (no WAL index to tell a commit by): one each.
    expect(statements).toBe(TEST_ENGINE === 'postgres' ? 1 : answers.length);
  });

  it('reads a sign-out and a write committed before the check was asked, in a later turn', async () => {
    const before = await checkSession(db, 'later-signed-out', 'dave');
    expect(before).toEqual({ ended: false, ownerVersion: 0 });
    await endSession(db, 'later-signed-out', Math.floor(Date.now() / 1000) + 3600);
    await createBookmark(db, 'dave', link('https://dave.example/'));
    const after = await checkSession(db, 'later-signed-out', 'dave');
    expect(after).toEqual({ ended: true, ownerVersion: await ownerVersion(db, 'dave') });
    expect(after.ownerVersion).toBeGreaterThan(0);
  });
});
