import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';

/*
 * Sign-out lists the session's id (table ended_sessions), so a copy of the cookie
 * taken before is refused afterwards, by every process. One primary-key lookup
 * per signed-in request, in the statement that also reads the user's data version (on SQLite
 * only after a commit: the answer is kept until the next one; on PostgreSQL one statement
 * for the checks of a turn of the event loop, checkInThisTurn).
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

type CheckRow = { ended: boolean | number; version: number | string | null };

/** Whether the session was ended (signed out), and its user's data version, in one statement. */
export async function checkSession(db: Db, sessionId: string, ownerSub: string): Promise<SessionCheck> {
  const row =
    db.engine === 'postgres'
      ? await checkInThisTurn(db, sessionId, ownerSub)
      : // Kept while nothing commits (on SQLite): a sign-out, or any write of the user's, is a commit.
        (await db.getUnlessChanged<CheckRow>(`session ${sessionId} ${ownerSub}`, find, { id: sessionId, owner: ownerSub }))!;
  // Anything but a plain no counts as ended: a type the driver starts returning one day must not let a signed-out cookie in.
  return { ended: !(row.ended === false || row.ended === 0), ownerVersion: Number(row.version ?? 0) };
}

/*
 * On PostgreSQL every statement is a round trip, and every signed-in request asks: the checks
 * asked in one turn of the event loop go as one statement, in the turn's check phase
 * (setImmediate), after its I/O. So each check still reads every commit made before its request
 * arrived, a sign-out in another process above all, and under load one statement serves many
 * requests. A session asked twice in the turn is looked up once.
 */
const findMany = sql`SELECT EXISTS (SELECT 1 FROM ended_sessions WHERE session_id = asked.id) AS ended,
    (SELECT version FROM owner_versions WHERE owner_sub = asked.owner) AS version
  FROM unnest(CAST(${param('ids')} AS text[]), CAST(${param('owners')} AS text[])) WITH ORDINALITY AS asked(id, owner, n)
  ORDER BY asked.n`;

interface TurnChecks {
  /** By `${sessionId} ${ownerSub}`: its place in the statement's arrays and rows. */
  places: Map<string, number>;
  ids: string[];
  owners: string[];
  /** The statement's rows, read in the turn's check phase. */
  rows: Promise<CheckRow[]>;
}
const checksThisTurn = new WeakMap<Db, TurnChecks>();

function checkInThisTurn(db: Db, sessionId: string, ownerSub: string): Promise<CheckRow> {
  let turn = checksThisTurn.get(db);
  if (!turn) {
    const ids: string[] = [];
    const owners: string[] = [];
    const turnEnded = new Promise<void>((resolve) =>
      setImmediate(() => {
        checksThisTurn.delete(db);
        resolve();
      }),
    );
    turn = { places: new Map(), ids, owners, rows: turnEnded.then(() => db.all<CheckRow>(findMany, { ids, owners })) };
    checksThisTurn.set(db, turn);
  }
  const key = `${sessionId} ${ownerSub}`;
  let place = turn.places.get(key);
  if (place === undefined) {
    place = turn.ids.push(sessionId) - 1;
    turn.owners.push(ownerSub);
    turn.places.set(key, place);
  }
  const asked = place;
  return turn.rows.then((rows) => rows[asked]!);
}

const insert = sql`INSERT INTO ended_sessions (session_id, expires_at) VALUES (${param('id')}, ${param('expiresAt')}) ON CONFLICT DO NOTHING`;
const purge = sql`DELETE FROM ended_sessions WHERE expires_at < ${param('now')}`;

/** Times are Unix seconds, as in the session. */
export async function endSession(db: Db, sessionId: string, expiresAt: number, now = Math.floor(Date.now() / 1000)): Promise<void> {
  await db.run(insert, { id: sessionId, expiresAt });
  // Ids whose cookies have expired anyway need no keeping.
  await db.run(purge, { now });
}
