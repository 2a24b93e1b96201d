import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';

/*
 * Sign-out lists the session's id (table ended_sessions), so a copy of the cookie
 * taken before is refused afterwards, by every process. One primary-key lookup
 * per signed-in request.
 */

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

const find = sql`SELECT 1 AS ended FROM ended_sessions WHERE session_id = ${param('id')}`;

export async function isSessionEnded(db: Db, sessionId: string): Promise<boolean> {
  return (await db.get(find, { id: sessionId })) !== undefined;
}

const insert = sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${param('id')}, ${param('expiresAt')}) ON CONFLICT DO NOTHING`;
const purge = sql`DELETE FROM ended_sessions WHERE expires_at < ${param('now')}`;

/** Times are Unix seconds, as in the session. */
export async function endSession(db: Db, sessionId: string, expiresAt: number, now = Math.floor(Date.now() / 1000)): Promise<void> {
  await db.run(insert, { id: sessionId, expiresAt });
  // Ids whose cookies have expired anyway need no keeping.
  await db.run(purge, { now });
}
