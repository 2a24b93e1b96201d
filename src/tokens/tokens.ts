import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { param, type Db } from '../db/database.js';
import { cleanText } from '../bookmarks/validation.js';
import { oneWriteAtATime } from '../db/owner-writes.js';

/** A recognisable prefix lets secret scanners and people spot a leaked token. */
export const TOKEN_PREFIX = 'bm_';
const TOKEN_PATTERN = /^bm_[A-Za-z0-9_-]{43}$/;
export const TOKEN_NAME_MAX = 100;
/** last_used_at is written at most this often per token, so reads stay reads. */
const LAST_USED_PRECISION_MS = 60_000;

export const EXPIRY_CHOICES = { never: null, '30': 30, '90': 90, '365': 365 } as const;
export type ExpiryChoice = keyof typeof EXPIRY_CHOICES;

export interface TokenInfo {
  id: number;
  ownerSub: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

export interface TokenOwner {
  id: number;
  ownerSub: string;
  tokenHash: string;
  /** When the token was last used, in ms, as read: recordTokenUse moves it. */
  lastUsedAt: number | null;
}

/** 32 random bytes: far too many guesses for brute force, so a fast hash is enough. */
export function generateSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function isWellFormedSecret(secret: string): boolean {
  return TOKEN_PATTERN.test(secret);
}

export type NameValidation = { ok: true; name: string } | { ok: false; error: string };

/** The name as it is stored: the app's text rules, as for titles (control characters out: PostgreSQL text cannot hold a NUL). */
export function validateTokenName(raw: string): NameValidation {
  const name = cleanText(raw);
  // cleanText keeps joiners, variation selectors and combining marks, which emoji and accents need: alone they show nothing.
  if (!/[^\p{Cf}\p{Mn}\p{Me}\p{Z}\s]/u.test(name)) return { ok: false, error: 'Give the token a name, such as the script or device that will use it.' };
  if ([...name].length > TOKEN_NAME_MAX) return { ok: false, error: `Names can be at most ${TOKEN_NAME_MAX} characters.` };
  return { ok: true, name };
}

export function isExpiryChoice(choice: string): choice is ExpiryChoice {
  return Object.hasOwn(EXPIRY_CHOICES, choice);
}

export function expiryDate(choice: ExpiryChoice, now = new Date()): Date | null {
  const days = EXPIRY_CHOICES[choice];
  return days === null ? null : new Date(now.getTime() + days * 24 * 3600 * 1000);
}

interface TokenRow {
  id: number;
  ownerSub: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}
const TOKEN_COLUMNS = sql.raw('id, owner_sub AS "ownerSub", name, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt"');
const toInfo = (row: TokenRow): TokenInfo => ({
  ...row,
  createdAt: new Date(row.createdAt),
  lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt),
  expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt),
});

/**
 * Tokens one account keeps, expired ones included: far more than scripts and devices need,
 * and a bound on what one account can make the database keep and the Settings page list.
 */
export const MAX_TOKENS_PER_USER = 100;

// Counted in the statement that inserts, one of the owner's writes at a time (oneWriteAtATime):
// creations at the same moment each see the ones before them, on PostgreSQL too.
const insert = sql`INSERT INTO api_tokens (owner_sub, name, token_hash, created_at, expires_at)
  SELECT ${param('owner')}, ${param('name')}, ${param('hash')}, ${param('createdAt')}, ${param('expiresAt')}
  WHERE (SELECT count(*) FROM api_tokens WHERE owner_sub = ${param('owner')}) < ${param('max')}
  RETURNING ${TOKEN_COLUMNS}`;

export class TooManyTokensError extends Error {
  constructor() {
    super(`the owner has ${MAX_TOKENS_PER_USER} tokens already`);
    this.name = 'TooManyTokensError';
  }
}

/** Stores a new token and returns its secret: the only time the secret exists outside the caller. TooManyTokensError when the owner has MAX_TOKENS_PER_USER. */
export async function createToken(
  db: Db,
  ownerSub: string,
  name: string,
  expiresAt: Date | null = null,
  now = new Date(),
): Promise<{ token: TokenInfo; secret: string }> {
  const secret = generateSecret();
  const values = { owner: ownerSub, name, hash: hashSecret(secret), createdAt: now, expiresAt, max: MAX_TOKENS_PER_USER };
  const row = await oneWriteAtATime(db, ownerSub, (tx) => tx.get<TokenRow>(insert, values));
  if (!row) throw new TooManyTokensError();
  return { token: toInfo(row), secret };
}

const owned = sql`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE owner_sub = ${param('owner')} ORDER BY created_at DESC, id DESC`;

export async function listTokens(db: Db, ownerSub: string): Promise<TokenInfo[]> {
  return (await db.all<TokenRow>(owned, { owner: ownerSub })).map(toInfo);
}

const deleteOwned = sql`DELETE FROM api_tokens WHERE owner_sub = ${param('owner')} AND id = ${param('id')}`;

/** Deletes the row, so the very next request with the token is refused. False when the owner has no such token. */
export async function revokeToken(db: Db, ownerSub: string, id: number): Promise<boolean> {
  return (await db.run(deleteOwned, { owner: ownerSub, id })) > 0;
}

const byHash = sql`SELECT id, owner_sub AS "ownerSub", expires_at AS "expiresAt", last_used_at AS "lastUsedAt" FROM api_tokens WHERE token_hash = ${param('hash')}`;
const recordUse = sql`UPDATE api_tokens SET last_used_at = ${param('now')} WHERE id = ${param('id')}`;

/** The owner of a live token; null for unknown, revoked or expired secrets. It only reads: recordTokenUse writes. */
export async function authenticateToken(db: Db, secret: string, now = new Date()): Promise<TokenOwner | null> {
  if (!isWellFormedSecret(secret)) return null;
  const tokenHash = hashSecret(secret);
  const row = await db.get<Pick<TokenRow, 'id' | 'ownerSub' | 'expiresAt' | 'lastUsedAt'>>(byHash, { hash: tokenHash });
  if (!row) return null;
  if (row.expiresAt !== null && row.expiresAt <= now.getTime()) return null;
  return { id: row.id, ownerSub: row.ownerSub, tokenHash, lastUsedAt: row.lastUsedAt };
}

/**
 * Records that the token was used at `now`, at most once a minute. The API does it once its
 * answer has gone (src/api/routes.ts): on SQLite the write may wait for an import.
 */
export async function recordTokenUse(db: Db, owner: TokenOwner, now = new Date()): Promise<void> {
  if (owner.lastUsedAt === null || now.getTime() - owner.lastUsedAt >= LAST_USED_PRECISION_MS) await db.run(recordUse, { id: owner.id, now });
}
