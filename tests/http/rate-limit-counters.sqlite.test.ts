import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../src/db/client.js';
import { counterFilePath } from '../../src/db/counter-db.js';
import type { Db, Queryable } from '../../src/db/database.js';
import { SqliteDb } from '../../src/db/sqlite.js';
import { createToken, hashSecret, listTokens } from '../../src/tokens/tokens.js';
import { signIn, useAppOnSqliteFile } from '../helpers.js';

/**
 * Requests that only read still count a hit for the rate limits: an API GET, the sign-in page.
 * On SQLite a write waits for the one writer, which an import holds while it stores (seconds
 * for a large file, in this process or another): counted in the database, every such request
 * waited that long, for every user (found by review: 3.3 s for an API GET during an import of
 * 120,000 bookmarks). The counters have a file of their own (src/db/counter-db.ts), and a
 * token's last use, a write to the database, is recorded once the answer has gone.
 */
describe('rate limits on an SQLite file while a long write holds the database', () => {
  const ctx = useAppOnSqliteFile('bookmarks-counters-');

  /**
   * Runs `requests` while `holder` keeps a write transaction open, as an import's store phase
   * does, and ends it only once they have all answered: a request that waited for the writer
   * would never answer (the test times out) or would give up with a 503.
   */
  async function whileWriting<T>(holder: Db, requests: () => Promise<T>): Promise<T> {
    let release!: () => void;
    let began!: () => void;
    const writing = new Promise<void>((resolve) => (began = resolve));
    const transaction = holder.transaction(async (tx: Queryable) => {
      await tx.run(sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${`held-${Date.now()}-${Math.random()}`}, 0)`);
      began();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await writing;
    try {
      return await requests();
    } finally {
      release();
      await transaction;
    }
  }

  it('keeps the counters in a file of their own beside the database, made by the migration step before workers start', async () => {
    const { app, path, dir } = ctx;
    expect(app.counterDb).not.toBe(app.db);
    expect(existsSync(counterFilePath(path))).toBe(true);
    expect(counterFilePath(path)).toBe(`${path}-rate-limits`);
    const fresh = join(dir, 'fresh.db');
    await migrateDatabase({ engine: 'sqlite', path: fresh });
    const counters = new SqliteDb(counterFilePath(fresh));
    const database = new SqliteDb(fresh);
    try {
      const counterTable = sql`SELECT name FROM sqlite_master WHERE name = 'rate_limit_hits'`;
      expect(await counters.all(counterTable)).toEqual([{ name: 'rate_limit_hits' }]);
      // Migration 0020 dropped the table 0009 had made in the database itself, where nothing counts.
      expect(await database.all(counterTable)).toEqual([]);
    } finally {
      await Promise.all([counters.close(), database.close()]);
    }
  });

  for (const [name, holder] of [
    ['this process', () => ctx.app.db],
    ['another process', () => ctx.otherProcess],
  ] as const) {
    it(`answers an API read and the sign-in page while ${name} holds the write lock, and still counts them`, async () => {
      const { app } = ctx;
      const cookie = await signIn(app, 'bob');
      const { token, secret } = await createToken(app.db, 'bob', `script ${name}`);
      const api = () => app.inject({ url: '/api/v1/tags', headers: { authorization: `Bearer ${secret}` } });
      const before = await app.counterDb.all<{ key: string; hits: number }>(sql`SELECT key, hits FROM rate_limit_hits ORDER BY key`);

      // The token's first use: its last use is recorded too, a write, once the answer has gone.
      const answers = await whileWriting(holder(), () =>
        Promise.all([api(), app.inject({ url: '/auth/login' }), app.inject({ url: '/dashboard', headers: { cookie } })]),
      );
      expect(answers.map((answer) => answer.statusCode)).toEqual([200, 302, 200]);
      await expect.poll(async () => (await listTokens(app.db, 'bob')).find((row) => row.id === token.id)?.lastUsedAt).toBeInstanceOf(Date);
      // Each counted a hit: the API's per-token limit and the sign-in's per-IP one.
      const after = new Map((await app.counterDb.all<{ key: string; hits: number }>(sql`SELECT key, hits FROM rate_limit_hits`)).map((row) => [row.key, row.hits]));
      const counted = (key: string) => (after.get(key) ?? 0) - (before.find((row) => row.key === key)?.hits ?? 0);
      expect(counted('auth:127.0.0.1')).toBe(1);
      expect(counted(`api:${hashSecret(secret)}`)).toBe(1);
    });
  }
});
