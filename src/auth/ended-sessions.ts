import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';

/**
 * Sign-out lists the session's id (table ended_sessions), so a copy of the cookie
 * taken before is refused afterwards. One primary-key lookup per signed-in request,
 * with statements prepared once per connection.
 */
interface Statements {
  isEnded: (sessionId: string) => boolean;
  end: (sessionId: string, expiresAt: number, now: number) => void;
}
const statements = new WeakMap<Db['$client'], Statements>();

function statementsFor(db: Db): Statements {
  let prepared = statements.get(db.$client);
  if (!prepared) {
    const find = db.$client.prepare('SELECT 1 FROM ended_sessions WHERE session_id = ?').pluck();
    const insert = db.$client.prepare('INSERT OR IGNORE INTO ended_sessions (session_id, expires_at) VALUES (?, ?)');
    const purge = db.$client.prepare('DELETE FROM ended_sessions WHERE expires_at < ?');
    prepared = {
      isEnded: (sessionId) => find.get(sessionId) !== undefined,
      end: (sessionId, expiresAt, now) => {
        insert.run(sessionId, expiresAt);
        // Ids whose cookies have expired anyway need no keeping.
        purge.run(now);
      },
    };
    statements.set(db.$client, prepared);
  }
  return prepared;
}

export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

export function isSessionEnded(db: Db, sessionId: string): boolean {
  return statementsFor(db).isEnded(sessionId);
}

/** Times are Unix seconds, as in the session. */
export function endSession(db: Db, sessionId: string, expiresAt: number, now = Math.floor(Date.now() / 1000)): void {
  statementsFor(db).end(sessionId, expiresAt, now);
}
