import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { migrateDatabase, openDb } from '../../src/db/client.js';
import type { Db } from '../../src/db/database.js';
import { migrate, MigrationError, migrationsFolder } from '../../src/db/migrate.js';
import { newBlankDatabase, TEST_ENGINE } from '../helpers.js';

/** Migrations are their own step (npm run db:migrate, and npm start before it listens), safe when processes start together. */
describe(`migrations on ${TEST_ENGINE}`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function open(target: Parameters<typeof openDb>[0]): Promise<Db> {
    const db = await openDb(target);
    cleanups.push(() => db.close());
    return db;
  }

  const journalTags = (folder: string): string[] =>
    (JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((entry) => entry.tag);
  const applied = async (db: Db): Promise<number> =>
    (await db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${TEST_ENGINE === 'sqlite' ? '__drizzle_migrations' : 'drizzle.__drizzle_migrations'}`)))!.n;

  it('two processes starting together: one applies every migration once, the other waits and finds nothing to do', async () => {
    const { target, drop } = await newBlankDatabase();
    cleanups.push(drop);
    const [first, second] = [await open(target), await open(target)];
    const reports = await Promise.all([migrate(first), migrate(second)]);
    const tags = journalTags(migrationsFolder(TEST_ENGINE));
    expect(reports.map((report) => report.applied).sort((a, b) => b.length - a.length)).toEqual([tags, []]);
    expect(await applied(first)).toBe(tags.length);
    expect((await migrate(first)).applied).toEqual([]);
  });

  it('a failing migration stops with its name and leaves the database exactly as it was', async () => {
    const { target, drop } = await newBlankDatabase();
    cleanups.push(drop);
    expect(await migrateDatabase(target)).toMatch(/applied/);

    // The real folder plus one more migration whose second statement fails.
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-migrations-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const folder = join(dir, TEST_ENGINE);
    cpSync(migrationsFolder(TEST_ENGINE), folder, { recursive: true });
    const journalPath = join(folder, 'meta/_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; when: number; tag: string; breakpoints: boolean; version: string }[] };
    const last = journal.entries.at(-1)!;
    journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag: '9999_broken' });
    writeFileSync(journalPath, JSON.stringify(journal));
    writeFileSync(join(folder, '9999_broken.sql'), 'CREATE TABLE made_before_the_failure (x integer);\n--> statement-breakpoint\nINSERT INTO no_such_table VALUES (1);\n');

    const db = await open(target);
    const before = await applied(db);
    const error = await migrate(db, folder).then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe('9999_broken');
    expect((error as Error).message).toMatch(/^Migration 9999_broken failed, and the database was left as it was: /);
    expect(await applied(db)).toBe(before);
    const tables = TEST_ENGINE === 'sqlite'
      ? sql`SELECT name FROM sqlite_master WHERE name = 'made_before_the_failure'`
      : sql`SELECT table_name FROM information_schema.tables WHERE table_name = 'made_before_the_failure'`;
    expect(await db.all(tables)).toEqual([]);
    // And the app's own data still works.
    expect(await db.get(sql`SELECT count(*) AS n FROM bookmarks`)).toEqual({ n: 0 });
  });
});
