import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiTokens, type ApiToken } from '../db/schema.js';

/** A recognisable prefix lets secret scanners and people spot a leaked token. */
export const TOKEN_PREFIX = 'bm_';
const TOKEN_PATTERN = /^bm_[A-Za-z0-9_-]{43}$/;
export const TOKEN_NAME_MAX = 100;
/** last_used_at is written at most this often per token, so reads stay reads. */
const LAST_USED_PRECISION_MS = 60_000;

export const EXPIRY_CHOICES = { never: null, '30': 30, '90': 90, '365': 365 } as const;
export type ExpiryChoice = keyof typeof EXPIRY_CHOICES;

export type TokenInfo = Omit<ApiToken, 'tokenHash'>;

export interface TokenOwner {
  id: number;
  ownerSub: string;
  tokenHash: string;
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

export function validateTokenName(raw: string): NameValidation {
  const name = raw.trim();
  if (name === '') return { ok: false, error: 'Give the token a name, such as the script or device that will use it.' };
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

/** Stores a new token and returns its secret: the only time the secret exists outside the caller. */
export function createToken(
  db: Db,
  ownerSub: string,
  name: string,
  expiresAt: Date | null = null,
  now = new Date(),
): { token: TokenInfo; secret: string } {
  const secret = generateSecret();
  const { tokenHash: _hash, ...token } = db
    .insert(apiTokens)
    .values({ ownerSub, name, tokenHash: hashSecret(secret), createdAt: now, expiresAt })
    .returning()
    .get();
  return { token, secret };
}

export function listTokens(db: Db, ownerSub: string): TokenInfo[] {
  return db
    .select({
      id: apiTokens.id,
      ownerSub: apiTokens.ownerSub,
      name: apiTokens.name,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      expiresAt: apiTokens.expiresAt,
    })
    .from(apiTokens)
    .where(eq(apiTokens.ownerSub, ownerSub))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .all();
}

/** Deletes the row, so the very next request with the token is refused. False when the owner has no such token. */
export function revokeToken(db: Db, ownerSub: string, id: number): boolean {
  const deleted = db
    .delete(apiTokens)
    .where(and(eq(apiTokens.ownerSub, ownerSub), eq(apiTokens.id, id)))
    .returning({ id: apiTokens.id })
    .get();
  return deleted !== undefined;
}

/** The owner of a live token, recording its use; null for unknown, revoked or expired secrets. */
export function authenticateToken(db: Db, secret: string, now = new Date()): TokenOwner | null {
  if (!isWellFormedSecret(secret)) return null;
  const tokenHash = hashSecret(secret);
  const row = db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash)).get();
  if (!row) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS) {
    db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)).run();
  }
  return { id: row.id, ownerSub: row.ownerSub, tokenHash };
}
