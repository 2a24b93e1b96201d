import type { SecureSessionPluginOptions } from '@fastify/secure-session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import { checkSession, endSession } from './ended-sessions.js';

export interface SessionUser {
  sub: string;
  name: string;
  email?: string;
  picture?: string;
  /** The provider's session id (ID token `sid`), sent back as logout_hint at sign-out. */
  sid?: string;
}

/** What the login round trip keeps between /auth/login and /auth/callback. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    user: SessionUser;
    /** Unix seconds of sign-in: the absolute cap counts from here. */
    signedInAt: number;
    /** Random id of this sign-in; sign-out lists it as ended, so copies of the cookie stop working. */
    sessionId: string;
    login: PendingLogin;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    user: SessionUser | null;
    /** The signed-in user's data version, read with the session check; null where nothing read it (proxy sign-in, the API). */
    userDataVersion: number | null;
  }
}

export const SESSION_IDLE_SECONDS = 7 * 24 * 3600;
export const SESSION_ABSOLUTE_SECONDS = 30 * 24 * 3600;
/** Re-issue the cookie at most this often, so most responses carry no Set-Cookie. */
const SESSION_TOUCH_SECONDS = 3600;

/** A text the session keeps from an ID token claim (a name, the provider's `sid`): a non-empty string of at most 500 characters. */
export function claimText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 500 ? value : undefined;
}

/** How the session cookie is kept (@fastify/secure-session), for the app and for the benchmark's floor steps alike. */
export function sessionCookieOptions(appBaseUrl: URL, keys: Buffer[]): SecureSessionPluginOptions {
  const https = appBaseUrl.protocol === 'https:';
  return {
    key: keys,
    // __Host- makes browsers refuse the cookie unless it is Secure, Path=/ and has no Domain,
    // so no subdomain can set or shadow it. They also refuse it over plain http (local development).
    cookieName: https ? '__Host-session' : 'session',
    expiry: SESSION_IDLE_SECONDS,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: https,
      maxAge: SESSION_IDLE_SECONDS,
    },
  };
}

/** Decrypted session cookies kept by keepDecryptedSessions: far more than the sessions one process serves at once. */
export const KEPT_SESSION_COOKIES = 2_000;

/**
 * Keeps what @fastify/secure-session decrypted, by the cookie's text: a browser sends the same
 * cookie with every request until it is re-issued (at most hourly), and decrypting and parsing it
 * was a tenth of the time of a signed-in request that does nothing. Only a cookie that decrypted
 * with the first key, in the form the plugin writes it (asWritten), is kept, so a rotated key
 * still re-issues it; each request still gets a session of its own, and the idle expiry is
 * checked at each use, as the plugin checks it. What is kept is frozen: a session's values are
 * replaced by set(), never changed in place. The oldest kept cookie goes first when full.
 * Whether a session was signed out stays the database's question (loadSessionUser), at every request.
 */
export function keepDecryptedSessions(app: FastifyInstance, idleSeconds = SESSION_IDLE_SECONDS): void {
  const decrypt = app.decodeSecureSession;
  const kept = new Map<string, Readonly<Record<string, unknown>>>();
  app.decodeSecureSession = (cookie, log, sessionName) => {
    const data = cookie === undefined ? undefined : kept.get(cookie);
    if (data === undefined) {
      const session = decrypt(cookie, log, sessionName);
      if (session && !session.changed && asWritten(cookie)) {
        if (kept.size >= KEPT_SESSION_COOKIES) kept.delete(kept.keys().next().value!);
        kept.set(cookie, deepFreeze({ ...session.data(), __ts: session.get('__ts') }));
      }
      return session;
    }
    if (((data.__ts as number) + idleSeconds) * 1000 - Date.now() <= 0) {
      kept.delete(cookie);
      return null;
    }
    return app.createSecureSession({ ...data });
  };
}

/** Browsers keep at most 4,096 bytes of a cookie; the app's are a few hundred. */
const COOKIE_LIMIT = 4096;

/**
 * Whether a cookie is in the one form the plugin writes, "<ciphertext>;<nonce>" in base64. The
 * plugin reads past other forms (text after a second ";", base64 that is not canonical): kept
 * by their text, one valid cookie could fill the cache with as many long copies of itself.
 */
function asWritten(cookie: string): boolean {
  if (cookie.length > COOKIE_LIMIT) return false;
  const parts = cookie.split(';');
  return parts.length === 2 && parts.every((part) => Buffer.from(part, 'base64').toString('base64') === part);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads the signed-in user from the session, ending sessions past the absolute cap or
 * signed out elsewhere (a copy of the cookie), and sliding the idle expiry.
 */
export async function loadSessionUser(request: FastifyRequest, db: Db): Promise<SessionUser | null> {
  const user = request.session.get('user');
  if (!user) return null;
  const now = Math.floor(Date.now() / 1000);
  const signedInAt = request.session.get('signedInAt') ?? 0;
  const sessionId = request.session.get('sessionId');
  // Every sign-in since ended_sessions existed has an id; a cookie without one is not ours to trust.
  const check = sessionId && now - signedInAt <= SESSION_ABSOLUTE_SECONDS ? await checkSession(db, sessionId, user.sub) : null;
  if (!check || check.ended) {
    // Emptied, not deleted: a deleted session stays deleted for the whole request, which
    // would throw away a sign-in that /auth/login or /auth/callback begins in this request.
    request.session.regenerate();
    return null;
  }
  const lastTouched = Number(request.session.get('__ts') ?? 0);
  if (now - lastTouched > SESSION_TOUCH_SECONDS) request.session.touch();
  request.userDataVersion = check.ownerVersion;
  return user;
}

/** Lists this session's id as ended (sign-out, or a new sign-in over it): no copy of its cookie works afterwards. */
export async function endCurrentSession(request: FastifyRequest, db: Db): Promise<void> {
  const sessionId = request.session.get('sessionId');
  if (sessionId) await endSession(db, sessionId, (request.session.get('signedInAt') ?? 0) + SESSION_ABSOLUTE_SECONDS);
}

/** preHandler for signed-in routes; how a request without a user is answered is the auth mode's call. */
export async function requireUser(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (request.user) return undefined;
  return request.server.authMode.refuseAnonymous(request, reply);
}

/** The signed-in user, for handlers behind requireUser. */
export function currentUser(request: FastifyRequest): SessionUser {
  if (!request.user) throw new Error('currentUser() used on a route without requireUser');
  return request.user;
}
