import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { param, type Db, type Queryable } from '../db/database.js';
import { tagsToColumn, toBookmark, type Bookmark, type BookmarkRow } from './bookmark.js';

/**
 * A deleted bookmark can be restored for UNDO_SECONDS. Pending undos live in the
 * database (pending_undos), so any process can serve the Undo and a restart
 * loses none; each is its owner's alone and is taken once.
 */
export const UNDO_SECONDS = 30;

/** A pending undo: the deleted bookmark's row as it was (bookmark_id read as its id), and the token that restores it. */
interface PendingRow extends BookmarkRow {
  token: string;
}

const PENDING_COLUMNS = sql.raw('token, bookmark_id AS id, owner_sub AS "ownerSub", url, title, description, tags, created_at AS "createdAt"');

const purgeExpired = sql`DELETE FROM pending_undos WHERE expires_at <= ${param('now')}`;
const insert = sql`INSERT INTO pending_undos (token, owner_sub, bookmark_id, url, title, description, tags, created_at, expires_at)
  VALUES (${param('token')}, ${param('owner')}, ${param('id')}, ${param('url')}, ${param('title')}, ${param('description')}, ${param('tags')},
    ${param('createdAt')}, ${param('expiresAt')})`;

/**
 * What rememberDeleted hands out: 16 random bytes in base64url. Anything else finds nothing
 * and never reaches the database (PostgreSQL refuses a NUL byte in text with an error).
 */
const UNDO_TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** Keeps a deleted bookmark for Undo and returns the token that restores it: in the delete's transaction (deleteForUndo, commands.ts). */
export async function rememberDeleted(db: Queryable, bookmark: Bookmark, now = Date.now()): Promise<string> {
  await db.run(purgeExpired, { now });
  const token = randomBytes(16).toString('base64url');
  await db.run(insert, {
    token,
    owner: bookmark.ownerSub,
    id: bookmark.id,
    url: bookmark.url,
    title: bookmark.title,
    description: bookmark.description,
    tags: tagsToColumn(bookmark.tags),
    createdAt: bookmark.createdAt,
    expiresAt: now + UNDO_SECONDS * 1000,
  });
  return token;
}

const take = sql`DELETE FROM pending_undos
  WHERE token = ${param('token')} AND owner_sub = ${param('owner')} AND expires_at > ${param('now')}
  RETURNING ${PENDING_COLUMNS}`;

/**
 * Takes the deleted bookmark back out: only its owner can, only once, and only in time. In the
 * transaction that restores it (restoreDeleted, commands.ts), so a restore that fails gives it back.
 */
export async function takeDeleted(db: Queryable, ownerSub: string, token: string, now = Date.now()): Promise<Bookmark | undefined> {
  if (!UNDO_TOKEN.test(token)) return undefined;
  const row = await db.get<PendingRow>(take, { token, owner: ownerSub, now });
  return row && toBookmark(row);
}

const peek = sql`SELECT ${PENDING_COLUMNS} FROM pending_undos
  WHERE token = ${param('token')} AND owner_sub = ${param('owner')} AND expires_at > ${param('now')}`;

/** The owner's deleted bookmark behind a token, left in place: for a notice that offers its Undo again. */
export async function peekDeleted(db: Db, ownerSub: string, token: string, now = Date.now()): Promise<Bookmark | undefined> {
  if (!UNDO_TOKEN.test(token)) return undefined;
  const row = await db.get<PendingRow>(peek, { token, owner: ownerSub, now });
  return row && toBookmark(row);
}

const latest = sql`SELECT ${PENDING_COLUMNS} FROM pending_undos
  WHERE owner_sub = ${param('owner')} AND expires_at > ${param('now')}
  ORDER BY expires_at DESC LIMIT 1`;

/** The owner's most recent delete that can still be undone, for the notice that follows an htmx delete. */
export async function latestDeleted(db: Db, ownerSub: string, now = Date.now()): Promise<{ token: string; bookmark: Bookmark } | undefined> {
  const row = await db.get<PendingRow>(latest, { owner: ownerSub, now });
  return row && { token: row.token, bookmark: toBookmark(row) };
}
