import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDb } from '../../src/db/client.js';
import { DatabaseUnavailableError, type Db } from '../../src/db/database.js';
import { saveNewBookmark } from '../../src/bookmarks/commands.js';
import { OWNER_WRITES_LOCK } from '../../src/db/owner-writes.js';
import { newTestDatabase } from '../helpers.js';

/**
 * A PostgreSQL connection lost in the middle of a transaction (a failover, an
 * administrator's restart) must fail that transaction, not crash the process:
 * a checked-out client's 'error' is no longer heard by the pool.
 */
describe('a PostgreSQL connection lost during a transaction', () => {
  let db: Db;
  let observer: Db;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await newTestDatabase();
    drop = fresh.drop;
    db = await openDb(fresh.target);
    observer = await openDb(fresh.target);
  });
  afterAll(async () => {
    await db.close();
    await observer.close();
    await drop();
  });

  it('rejects the transaction as the database being unavailable, and the next query works', async () => {
    const crashes: unknown[] = [];
    const onUncaught = (error: unknown): void => void crashes.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = await db
        .transaction(async (tx) => {
          const { pid } = (await tx.get<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`))!;
          await observer.get(sql`SELECT pg_terminate_backend(${pid}) AS ended`);
          await new Promise((resolve) => setTimeout(resolve, 300));
          await tx.get(sql`SELECT 1 AS one`);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(crashes).toEqual([]);
      expect(await db.get(sql`SELECT 2 AS two`)).toEqual({ two: 2 });
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

/**
 * Opens a transaction on `holder`, selects `expression` in it (an advisory lock, or anything to hold
 * a pooled connection) and keeps it open until the returned release is called, which resolves once it ends.
 */
async function holdTransaction(holder: Db, expression: ReturnType<typeof sql>): Promise<() => Promise<void>> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let taken!: () => void;
  const isTaken = new Promise<void>((resolve) => (taken = resolve));
  const holding = holder.transaction(async (tx) => {
    await tx.get(sql`SELECT ${expression} AS held`);
    taken();
    await held;
  });
  await isTaken;
  return async () => {
    release();
    await holding;
  };
}

describe('a PostgreSQL lock waited for too long', () => {
  it('rejects as the database being too busy (a 503 to try again), not as a bug', async () => {
    const fresh = await newTestDatabase();
    const [db, holder] = [await openDb(fresh.target), await openDb(fresh.target)];
    try {
      const release = await holdTransaction(holder, sql`pg_advisory_xact_lock(7, 7)`);
      const outcome = await db
        .transaction(async (tx) => {
          await tx.run(sql`SET LOCAL lock_timeout = '100ms'`);
          await tx.get(sql`SELECT pg_advisory_xact_lock(7, 7) AS locked`);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      await release();
      expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
      expect(await db.get(sql`SELECT 2 AS two`)).toEqual({ two: 2 });
    } finally {
      await Promise.all([db.close(), holder.close()]);
      await fresh.drop();
    }
  });
});

describe('a PostgreSQL statement cancelled after statement_timeout', () => {
  it('rejects as the database being too busy (a 503 to try again), not as a bug, and the next query works', async () => {
    const fresh = await newTestDatabase();
    const db = await openDb(fresh.target);
    try {
      const outcome = await db
        .transaction(async (tx) => {
          await tx.run(sql`SET LOCAL statement_timeout = '50ms'`);
          await tx.get(sql`SELECT pg_sleep(2) AS slept`);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
      expect((outcome as DatabaseUnavailableError).cause).toMatchObject({ code: '57014' });
      expect(await db.get(sql`SELECT 2 AS two`)).toEqual({ two: 2 });
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});

describe('PostgreSQL transactions, whatever the server is set to', () => {
  it('run at READ COMMITTED, which the owner lock of saves is written for, under a stricter default', async () => {
    const fresh = await newTestDatabase();
    const setup = await openDb(fresh.target);
    const { name } = (await setup.get<{ name: string }>(sql`SELECT current_database() AS name`))!;
    await setup.run(sql.raw(`ALTER DATABASE "${name}" SET default_transaction_isolation = 'repeatable read'`));
    await setup.close();
    const db = await openDb(fresh.target);
    try {
      expect(await db.get(sql`SELECT current_setting('transaction_isolation') AS level`)).toEqual({ level: 'repeatable read' });
      expect(await db.transaction((tx) => tx.get(sql`SELECT current_setting('transaction_isolation') AS level`))).toEqual({ level: 'read committed' });
    } finally {
      await db.close();
      await fresh.drop();
    }
  });

  it('answer "busy" (a 503) when every pooled connection stays taken past the connect timeout', { timeout: 20_000 }, async () => {
    const fresh = await newTestDatabase();
    const db = await openDb(fresh.target);
    try {
      // Every connection of the pool, each in a transaction that waits.
      const releases = await Promise.all(Array.from({ length: 10 }, () => holdTransaction(db, sql`1`)));
      const outcome = await db.get(sql`SELECT 2 AS two`).then(
        () => null,
        (error: unknown) => error,
      );
      await Promise.all(releases.map((release) => release()));
      expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
      expect(await db.get(sql`SELECT 3 AS three`)).toEqual({ three: 3 });
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});

describe("one owner's saves waiting for their lock", () => {
  it('take one pooled connection between them, leaving the rest of the pool to everyone else', { timeout: 20_000 }, async () => {
    const fresh = await newTestDatabase();
    const [db, holder] = [await openDb(fresh.target), await openDb(fresh.target)];
    try {
      // As a long import of alice's holds it.
      const release = await holdTransaction(holder, sql`pg_advisory_xact_lock(${OWNER_WRITES_LOCK}, hashtext('alice'))`);
      // More saves than the pool (10) has connections.
      const saves = Array.from({ length: 12 }, (_, i) => saveNewBookmark(db, 'alice', { url: `https://burst.example/${i}`, title: 'Burst', description: '', tags: [] }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Each on a connection of its own, they left none: this waited out the connect timeout and failed.
      expect(await db.get(sql`SELECT 2 AS two`)).toEqual({ two: 2 });
      expect(await db.get(sql`SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND classid = ${OWNER_WRITES_LOCK} AND NOT granted`)).toEqual({ waiting: 1 });
      await release();
      expect((await Promise.all(saves)).filter((outcome) => 'saved' in outcome)).toHaveLength(12);
    } finally {
      await Promise.all([db.close(), holder.close()]);
      await fresh.drop();
    }
  });
});
