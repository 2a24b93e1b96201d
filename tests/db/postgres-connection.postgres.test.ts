import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDb } from '../../src/db/client.js';
import { DatabaseUnavailableError, type Db } from '../../src/db/database.js';
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

describe('a PostgreSQL lock waited for too long', () => {
  it('rejects as the database being too busy (a 503 to try again), not as a bug', async () => {
    const fresh = await newTestDatabase();
    const [db, holder] = [await openDb(fresh.target), await openDb(fresh.target)];
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const holding = holder.transaction(async (tx) => {
        await tx.get(sql`SELECT pg_advisory_xact_lock(7, 7) AS locked`);
        await held;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const outcome = await db
        .transaction(async (tx) => {
          await tx.run(sql`SET LOCAL lock_timeout = '100ms'`);
          await tx.get(sql`SELECT pg_advisory_xact_lock(7, 7) AS locked`);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      release();
      await holding;
      expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
      expect(await db.get(sql`SELECT 2 AS two`)).toEqual({ two: 2 });
    } finally {
      await Promise.all([db.close(), holder.close()]);
      await fresh.drop();
    }
  });
});
