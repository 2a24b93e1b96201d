import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createBookmark } from '../../src/bookmarks/commands.js';
import { migrate } from '../../src/db/migrate.js';
import { READER_CACHE_KIB, SqliteDb } from '../../src/db/sqlite.js';
import { openProcessesOnSqliteFile } from '../helpers.js';

/**
 * Several processes share one SQLite file. A write that finds another process
 * holding the lock waits for it; meanwhile no transaction of its own process may
 * begin on the same connection, or the waiting write would run inside that
 * transaction, acknowledged, and vanish with its rollback (found by review: 19 of 20 runs).
 */
describe('the SQLite writer shared by a process’s requests', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A migrated SQLite file in a fresh directory, opened as this process and as another one would open it. */
  async function twoProcessesOnOneFile(): Promise<{ here: SqliteDb; otherProcess: SqliteDb; close(): Promise<void> }> {
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-writer-'));
    dirs.push(dir);
    const { db: here, ...rest } = await openProcessesOnSqliteFile(dir);
    return { here, ...rest };
  }

  it('keeps an acknowledged write that waited for another process, whatever a transaction of its own process then does', async () => {
    for (let run = 0; run < 12; run++) {
      const { here, otherProcess, close } = await twoProcessesOnOneFile();
      try {
        // Another process holds the write lock for a while.
        const holding = otherProcess.transaction(async (tx) => {
          await tx.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${`other-${run}`}, 0)`);
          await sleep(120);
        });
        await sleep(10);
        // In this process: one request's write (acknowledged when it resolves) must wait…
        const acknowledged = createBookmark(here, 'alice', { url: 'https://kept.example/', title: 'Kept', description: '', tags: [] });
        await sleep(5 + run * 4);
        // …while another request's transaction begins and then fails.
        const failed = here
          .transaction(async (tx) => {
            await tx.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${`failing-${run}`}, 0)`);
            await sleep(50);
            throw new Error('the import failed');
          })
          .then(
            () => 'committed',
            () => 'rolled back',
          );
        await holding;
        const [saved, outcome] = await Promise.all([acknowledged, failed]);
        expect(outcome).toBe('rolled back');
        expect(await here.get(sql`SELECT title FROM bookmarks WHERE id = ${saved.id}`), `run ${run}`).toEqual({ title: 'Kept' });
        expect(await here.get(sql`SELECT session_id FROM ended_sessions WHERE session_id = ${`failing-${run}`}`)).toBeUndefined();
      } finally {
        await close();
      }
    }
  });

  it('waits for another process without blocking its own event loop', async () => {
    const { here, otherProcess, close } = await twoProcessesOnOneFile();
    try {
      const holding = otherProcess.transaction(async () => sleep(300));
      await sleep(10);
      const writes = Array.from({ length: 20 }, (_, i) => here.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${`w${i}`}, 0)`));
      // Ticks of the event loop while 20 writes wait: a blocking busy wait would leave almost none.
      let ticks = 0;
      const ticking = setInterval(() => ticks++, 10);
      await holding;
      await Promise.all(writes);
      clearInterval(ticking);
      expect(ticks).toBeGreaterThan(10);
      expect(await here.get(sql`SELECT count(*) AS n FROM ended_sessions`)).toEqual({ n: 20 });
    } finally {
      await close();
    }
  });

  it('takes writes and transactions in the order they asked: one waiting behind back-to-back transactions gets its turn', async () => {
    const { here, close } = await twoProcessesOnOneFile();
    try {
      const insert = (key: string) => sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${key}, 0)`;
      // A stream of transactions with no pause between them, as a busy process can bring.
      let streamed = 0;
      let waiterDone = false;
      const stream = (async () => {
        while (!waiterDone && streamed < 500) {
          await here.transaction(async (tx) => {
            await tx.run(insert(`stream-${streamed}`));
            await sleep(1);
          });
          streamed++;
        }
      })();
      await sleep(5);
      const asked = streamed;
      await Promise.all([
        here.transaction(async (tx) => tx.run(insert('waiting transaction'))),
        here.run(insert('waiting write')),
      ]);
      const servedAfter = streamed - asked;
      waiterDone = true;
      await stream;
      // Served behind at most the transactions already in line when they asked, not after the stream ran dry.
      expect(servedAfter).toBeLessThanOrEqual(3);
      expect(await here.get(sql`SELECT count(*) AS n FROM ended_sessions WHERE session_id LIKE 'waiting %'`)).toEqual({ n: 2 });
    } finally {
      await close();
    }
  });

  it('refuses a write asked for after close, and lets those asked before it finish', async () => {
    const { here, close } = await twoProcessesOnOneFile();
    const insert = (key: string) => here.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${key}, 0)`);
    const holding = here.transaction(async (tx) => {
      await sleep(50);
      return tx.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES ('in the transaction', 0)`);
    });
    const before = insert('asked before close');
    const closing = close();
    await expect(insert('asked after close')).rejects.toThrow('closing');
    await expect(holding).resolves.toBe(1);
    await expect(before).resolves.toBe(1);
    await closing;
  });

  it('reads in one turn of the event loop from one snapshot, and a write of its own process ends it: a read right after the write sees it', async () => {
    const { here, close } = await twoProcessesOnOneFile();
    const count = async (db: SqliteDb) => (await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ended_sessions`))!.n;
    try {
      // All in one turn: no await below waits for anything but this process's own promises.
      expect(await count(here)).toBe(0);
      await here.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES ('written', 0)`);
      expect(await count(here)).toBe(1);
      await here.transaction((tx) => tx.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES ('in a transaction', 0)`));
      expect(await count(here)).toBe(2);
    } finally {
      await close();
    }
  });

  it('sees another process’s commit from the next turn of the event loop on, and holds no snapshot past its turn', async () => {
    const { here, otherProcess, close } = await twoProcessesOnOneFile();
    const keys = async () => (await here.all<{ session_id: string }>(sql`SELECT session_id FROM ended_sessions ORDER BY session_id`)).map((row) => row.session_id);
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    try {
      expect(await keys()).toEqual([]);
      await otherProcess.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES ('other', 0)`);
      // The same turn reads the snapshot it began with…
      expect(await keys()).toEqual([]);
      await nextTurn();
      // …and the next one a new snapshot.
      expect(await keys()).toEqual(['other']);
      await nextTurn();
      // No reader of this process holds a snapshot now, so a checkpoint can empty the whole log.
      const [checkpoint] = otherProcess.writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
      expect(checkpoint).toEqual({ busy: 0, log: 0, checkpointed: 0 });
    } finally {
      await close();
    }
  });

  it('reads, after freshSnapshot, what another process committed before it, in the same turn', async () => {
    const { here, otherProcess, close } = await twoProcessesOnOneFile();
    const count = async () => (await here.get<{ n: number }>(sql`SELECT count(*) AS n FROM ended_sessions`))!.n;
    try {
      expect(await count()).toBe(0);
      await otherProcess.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES ('other', 0)`);
      expect(await count()).toBe(0);
      here.freshSnapshot();
      expect(await count()).toBe(1);
    } finally {
      await close();
    }
  });

  describe('getUnlessChanged', () => {
    const countSessions = sql`SELECT count(*) AS n FROM ended_sessions`;
    const endOne = (id: string) => sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${id}, 0)`;
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const count = async (db: SqliteDb) => (await db.get<{ n: number }>(countSessions))!.n;

    it('answers the row it read while no process commits, and reads again after a commit by another process or its own', async () => {
      const { here, otherProcess, close } = await twoProcessesOnOneFile();
      try {
        const first = await here.getUnlessChanged<{ n: number }>('count', countSessions);
        expect(first).toEqual({ n: 0 });
        // The very row again: no statement ran.
        expect(await here.getUnlessChanged('count', countSessions)).toBe(first);
        await nextTurn();
        here.freshSnapshot();
        expect(await here.getUnlessChanged('count', countSessions)).toBe(first);
        // Another key is its own read.
        const other = await here.getUnlessChanged('count, again', countSessions);
        expect(other).toEqual({ n: 0 });
        expect(other).not.toBe(first);

        // Another process's commit shows to what asks after the next request arrives (freshSnapshot), as any read.
        await otherProcess.run(endOne('other'));
        here.freshSnapshot();
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 1 });
        // Its own commit shows at once.
        await here.run(endOne('here'));
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 2 });
        // A transaction's commit is a commit too.
        await otherProcess.transaction(async (tx) => void (await tx.run(endOne('in a transaction'))));
        here.freshSnapshot();
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 3 });
        // A checkpoint that empties the log starts it over; the next commit is told apart all the same.
        await nextTurn();
        expect((otherProcess.writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]!.busy).toBe(0);
        await otherProcess.run(endOne('after the checkpoint'));
        here.freshSnapshot();
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 4 });
      } finally {
        await close();
      }
    });

    it('reads the header once for everything asked in one turn, after all of it was asked, and again in the next turn', async () => {
      const { here, otherProcess, close } = await twoProcessesOnOneFile();
      try {
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 0 });
        await nextTurn();
        // Asked, then another process commits, then asked again, all before the turn's I/O is done:
        // the one header read comes after both asks, so both see the commit, in one row.
        const first = here.getUnlessChanged<{ n: number }>('count', countSessions);
        await otherProcess.run(endOne('other'));
        const second = here.getUnlessChanged<{ n: number }>('count', countSessions);
        expect(await first).toEqual({ n: 1 });
        expect(await second).toBe(await first);
        // Later in the same turn nothing is read again: no request has arrived since the header was read.
        await otherProcess.run(endOne('later in the turn'));
        expect(await here.getUnlessChanged('count', countSessions)).toBe(await first);
        // The next turn reads the header anew, without any request arriving.
        await nextTurn();
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 2 });
      } finally {
        await close();
      }
    });

    it('never keeps a row read in a snapshot older than the commit it keeps it for', async () => {
      const { here, otherProcess, close } = await twoProcessesOnOneFile();
      try {
        // A read of this turn begins a snapshot; another process commits after it.
        expect(await count(here)).toBe(0);
        await otherProcess.run(endOne('other'));
        // Read in that snapshot, 0 would be kept as the answer for the new commit until the next one.
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 1 });
        expect(await here.getUnlessChanged('count', countSessions)).toEqual({ n: 1 });
      } finally {
        await close();
      }
    });

    it('reads every time in memory, where there is no header to tell a commit by', async () => {
      const inMemory = new SqliteDb(':memory:');
      try {
        await migrate(inMemory);
        const first = await inMemory.getUnlessChanged('count', countSessions);
        expect(first).toEqual({ n: 0 });
        expect(await inMemory.getUnlessChanged('count', countSessions)).not.toBe(first);
      } finally {
        await inMemory.close();
      }
    });

    it('reads the header of the file SQLite uses when the database is reached through a symlink, beside a stale -shm', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bookmarks-symlink-'));
      dirs.push(dir);
      const real = new SqliteDb(join(dir, 'real.db'));
      await migrate(real);
      await real.run(endOne('first'));
      symlinkSync(join(dir, 'real.db'), join(dir, 'alias.db'));
      // A -shm left beside the link's name (a crash before the file was moved): not the one SQLite uses.
      copyFileSync(join(dir, 'real.db-shm'), join(dir, 'alias.db-shm'));
      const throughLink = new SqliteDb(join(dir, 'alias.db'));
      try {
        expect(await throughLink.getUnlessChanged('count', countSessions)).toEqual({ n: 1 });
        await real.run(endOne('second'));
        throughLink.freshSnapshot();
        expect(await throughLink.getUnlessChanged('count', countSessions)).toEqual({ n: 2 });
      } finally {
        await Promise.all([throughLink.close(), real.close()]);
      }
    });

    it('keeps its -shm descriptor open while another SqliteDb of the process is open on the file: closing it would drop that one’s locks', async () => {
      const { here, otherProcess } = await twoProcessesOnOneFile();
      try {
        // Only `here` reads a header; otherProcess holds a snapshot.
        await here.getUnlessChanged('count', countSessions);
        await count(otherProcess);
        await here.close();
        // otherProcess still holds its snapshot; a real other process must find the log in use.
        const checkpoint = execFileSync(process.execPath, ['-e', `
          const db = new (require('better-sqlite3'))(${JSON.stringify(otherProcess.writer.name)}, { timeout: 0 });
          process.stdout.write(String(db.pragma('wal_checkpoint(TRUNCATE)')[0].busy));`], { cwd: process.cwd(), encoding: 'utf8' });
        expect(checkpoint).toBe('1');
      } finally {
        await otherProcess.close();
      }
    });
  });

  it('keeps its log bounded when each turn reads and then writes: no snapshot of its own outlives a commit', async () => {
    const { here, close } = await twoProcessesOnOneFile();
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    try {
      let largest = 0;
      for (let i = 0; i < 2_000; i++) {
        // As a request that reads (its session, a duplicate check) and then writes, in one turn.
        await here.get(sql`SELECT count(*) AS n FROM ended_sessions`);
        await here.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${`key ${i}`}, 0)`);
        await nextTurn();
        if (i % 250 === 249) largest = Math.max(largest, statSync(`${here.writer.name}-wal`).size);
      }
      // SQLite checkpoints every 1,000 pages (4 MB) and starts the log over once nothing reads from it;
      // a reader's snapshot held through every commit grew it by 13 MB every 1,000 turns instead.
      expect(largest).toBeLessThan(6 * 1024 * 1024);
    } finally {
      await close();
    }
  });

  it('reads through a connection with SQLite’s own 2 MB page cache, not the 16 MB better-sqlite3 builds in; the writer keeps that for imports', async () => {
    const { here, close } = await twoProcessesOnOneFile();
    try {
      // Reads outside a transaction go to the reading connection, transactions to the writer.
      expect(await here.get(sql`PRAGMA cache_size`)).toEqual({ cache_size: -READER_CACHE_KIB });
      expect(await here.transaction((tx) => tx.get(sql`PRAGMA cache_size`))).toEqual({ cache_size: -16_000 });
    } finally {
      await close();
    }
  });
});
