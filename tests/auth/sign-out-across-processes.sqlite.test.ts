import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { endSession } from '../../src/auth/ended-sessions.js';
import { signIn, useAppOnSqliteFile } from '../helpers.js';

/**
 * On an SQLite file the reads of one turn of the event loop share a snapshot (src/db/sqlite.ts).
 * A request must still read what another process committed before it arrived: above all a
 * sign-out, which must hold at once in every process.
 */
describe('a sign-out in another process, on one SQLite file', () => {
  const ctx = useAppOnSqliteFile('bookmarks-sign-out-');

  it('refuses the cookie on the next request, though a read earlier in the same turn began a snapshot before the sign-out', async () => {
    const { app, otherProcess } = ctx;
    const cookie = await signIn(app, 'alice');
    expect((await app.inject({ url: '/dashboard', headers: { cookie } })).statusCode).toBe(200);
    const sessionId = app.decodeSecureSession(decodeURIComponent(cookie.slice('session='.length)))!.get('sessionId')!;

    const answer = await new Promise<LightMyRequestResponse>((resolve, reject) => {
      // Outside any request, as a timer's work reads (the search index upkeep): its snapshot is the turn's.
      setImmediate(() => {
        (async () => {
          await app.db.get(sql`SELECT count(*) AS n FROM ended_sessions`);
          await endSession(otherProcess, sessionId, Math.floor(Date.now() / 1000) + 3600);
          return app.inject({ url: '/dashboard', headers: { cookie } });
        })().then(resolve, reject);
      });
    });
    // Signed out: sent to the sign-in page, never shown the dashboard.
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe('/');
  });

  it('refuses the cookie on the next request after requests answered from the session check kept while nothing committed', async () => {
    const { app, otherProcess } = ctx;
    const cookie = await signIn(app, 'bob');
    // Nothing commits between these: from the second on, the session check is the one kept (src/db/sqlite.ts).
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/dashboard', headers: { cookie } })).statusCode).toBe(200);
    const sessionId = app.decodeSecureSession(decodeURIComponent(cookie.slice('session='.length)))!.get('sessionId')!;
    await endSession(otherProcess, sessionId, Math.floor(Date.now() / 1000) + 3600);
    const answer = await app.inject({ url: '/dashboard', headers: { cookie } });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe('/');
  });
});
