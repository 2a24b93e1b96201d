import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';

/*
 * Sign-out lists the session's id (table ended_sessions), so a copy of the cookie
 * taken before is refused afterwards, by every process. One primary-key lookup
 * per signed-in request, in the statement that also reads the user's data version (on SQLite
 * only after a commit: the answer is kept until the next one).
 */

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

// The user's data version (owner_versions) rides along: every page and search reads it next,
// for its ETag, and on PostgreSQL each statement is a round trip to the server.
const find = sql`SELECT EXISTS (SELECT 1 FROM ended_sessions WHERE session_id = ${param('id')}) AS ended,
  (SELECT version FROM owner_versions WHERE owner_sub = ${param('owner')}) AS version`;

export interface SessionCheck {
  ended: boolean;
  /** The owner's data version, as ownerVersion (src/bookmarks/queries.ts) reads it: 0 before their first write. */
  ownerVersion: number;
}

/** Whether the session was ended (signed out), and its user's data version, in one statement. */
export async function checkSession(db: Db, sessionId: string, ownerSub: string): Promise<SessionCheck> {
  // Kept while nothing commits (on SQLite): a sign-out, or any write of the user's, is a commit.
  const row = (await db.getUnlessChanged<{ ended: boolean | number; version: number | string | null }>(`session ${sessionId} ${ownerSub}`, find, { id: sessionId, owner: ownerSub }))!;
  // Anything but a plain no counts as ended: a type the driver starts returning one day must not let a signed-out cookie in.
  return { ended: !(row.ended === false || row.ended === 0), ownerVersion: Number(row.version ?? 0) };
}

const insert = sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${param('id')}, ${param('expiresAt')}) ON CONFLICT DO NOTHING`;
const purge = sql`DELETE FROM ended_sessions WHERE expires_at < ${param('now')}`;

/** Times are Unix seconds, as in the session. */
export async function endSession(db: Db, sessionId: string, expiresAt: number, now = Math.floor(Date.now() / 1000)): Promise<void> {
  await db.run(insert, { id: sessionId, expiresAt });
  // Ids whose cookies have expired anyway need no keeping.
  await db.run(purge, { now });
}
