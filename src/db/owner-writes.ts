import { sql } from 'drizzle-orm';
import { param, type Db, type Queryable } from './database.js';

/*
 * An owner's writes that must see each other run as one step, one at a time per owner:
 * bookmarks' saves, edits, Undos and imports (src/bookmarks/commands.ts), which check for
 * the same page before they write, and API tokens' creations, which count those before
 * them. Two saves of one page at once (a double click, the bookmarklet and the API) make
 * one bookmark, though each looked before the other wrote. On SQLite the transaction holds
 * the database's only write lock; on PostgreSQL a lock named after the owner does it, as
 * row locks cannot hold a row that does not exist yet.
 */
/** The lock's class (its first key; the second is hashtext(owner)): apart from the migrations' single key, and findable in pg_locks. */
export const OWNER_WRITES_LOCK = 0x626d;
const lockOwnerWrites = sql`SELECT pg_advisory_xact_lock(${OWNER_WRITES_LOCK}, hashtext(${param('owner')}))`;

/**
 * On PostgreSQL, an owner's writes also take turns in this process before they take a pooled
 * connection: waiting for the owner's lock (behind a long import, say) on a connection each, a
 * burst of one owner's saves would hold the whole pool and stall everyone else's requests.
 */
const ownerTurns = new WeakMap<Db, Map<string, Promise<void>>>();

function afterOwnersTurn<T>(db: Db, ownerSub: string, write: () => Promise<T>): Promise<T> {
  let turns = ownerTurns.get(db);
  if (!turns) ownerTurns.set(db, (turns = new Map()));
  const mine = (turns.get(ownerSub) ?? Promise.resolve()).then(write);
  const done = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(ownerSub, done);
  void done.then(() => {
    if (turns.get(ownerSub) === done) turns.delete(ownerSub);
  });
  return mine;
}

/** Runs `work` in a transaction that no other write of the owner's that goes through here overlaps, in any process. */
export async function oneWriteAtATime<T>(db: Db, ownerSub: string, work: (tx: Queryable) => Promise<T>): Promise<T> {
  // SQLite's writes already take turns in the process, on its one writer connection.
  if (db.engine === 'sqlite') return db.transaction(work);
  return afterOwnersTurn(db, ownerSub, () =>
    db.transaction(async (tx) => {
      await tx.run(lockOwnerWrites, { owner: ownerSub });
      return work(tx);
    }),
  );
}
