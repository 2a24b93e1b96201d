import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import proxyaddr from '@fastify/proxy-addr';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProxyAuthSettings } from '../config.js';
import { isApiRequest } from '../api/scope.js';
import { PRIVATE_CACHE_CONTROL } from '../http/caching.js';
import { isFragmentRequest } from '../http/htmx.js';
import type { AuthMode } from './mode.js';
import type { SessionUser } from './session.js';
import { signOutRoutes } from './sign-out.js';

export const PROXY_SECRET_HEADER = 'x-proxy-secret';
/** Proxy users' subs live apart from OIDC subs, so switching AUTH_MODE never merges two people's bookmarks. */
export const PROXY_SUB_PREFIX = 'proxy|';
/** A longer user is refused, never cut: cutting could make two users one. */
export const MAX_USER_LENGTH = 256;
const MAX_EMAIL_LENGTH = 320;
const MAX_NAME_LENGTH = 200;

/** null: the request claims no user. refused: it claims one we must not believe (the reason is for the log). */
export type ProxyIdentity = { user: SessionUser } | { refused: string } | null;

/** What a claim is judged on: the headers, and the socket peer (never X-Forwarded-For, which a client can write). */
export interface ProxyClaim {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A header's text, or undefined when absent, blank, too long, not UTF-8, holding control
 * characters, or with white space at either end beyond HTTP's own spaces and tabs: refused,
 * never changed, since a changed name could be another user's. Node reads header bytes as
 * latin1, while proxies send UTF-8 (a display name such as "José").
 */
function headerText(value: string | string[] | undefined, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Only HTTP's own whitespace is stripped, before decoding: trimming the latin1 reading cut a
  // UTF-8 character's last byte (0xA0), and trimming after decoding would make "alice\u00a0" alice.
  let text = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (/[\x80-\xff]/.test(text) && !/[^\x00-\xff]/.test(text)) {
    try {
      text = utf8.decode(Buffer.from(text, 'latin1'));
    } catch {
      return undefined;
    }
  }
  if (text === '' || text !== text.trim() || text.length > max || /[\u0000-\u001f\u007f-\u009f]/.test(text)) return undefined;
  return text;
}

/**
 * Who an authenticating proxy says the request is from. Believed only when the socket peer
 * is a TRUST_PROXY address and X-Proxy-Secret matches (compared as SHA-256 digests in
 * constant time, so neither the secret's bytes nor its length leak through timing).
 */
export function proxyIdentifier(settings: ProxyAuthSettings, trustProxy: string[]): (claim: ProxyClaim) => ProxyIdentity {
  const trusted = proxyaddr.compile(trustProxy);
  const expectedSecret = sha256(settings.secret);
  return ({ headers, socket }) => {
    const claimed = headers[settings.userHeader];
    // A present-but-empty header (a proxy's unauthenticated path) claims nobody.
    if (claimed === undefined || (typeof claimed === 'string' && claimed.trim() === '')) return null;
    const peer = socket.remoteAddress;
    if (!peer || !trusted(peer, 0)) return { refused: 'the request did not come from a TRUST_PROXY address' };
    const secret = headers[PROXY_SECRET_HEADER];
    if (typeof secret !== 'string') return { refused: 'no X-Proxy-Secret header' };
    if (!timingSafeEqual(sha256(secret), expectedSecret)) return { refused: 'X-Proxy-Secret does not match AUTH_PROXY_SECRET' };
    const user = headerText(claimed, MAX_USER_LENGTH);
    // Node joins repeated headers with ", ": a comma means the proxy let a client's own header through.
    if (!user || user.includes(',')) {
      return { refused: `${settings.userHeader} is not one user name of at most ${MAX_USER_LENGTH} characters` };
    }
    // The profile is optional: a header that fails these checks is left out, not refused.
    const email = headerText(headers[settings.emailHeader], MAX_EMAIL_LENGTH);
    const oneEmail = email && !email.includes(',') ? email : undefined;
    const name = headerText(headers[settings.nameHeader], MAX_NAME_LENGTH);
    const profile: SessionUser = { sub: `${PROXY_SUB_PREFIX}${user}`, name: name ?? oneEmail ?? user };
    if (oneEmail) profile.email = oneEmail;
    return { user: profile };
  };
}

/** The 401 page: never a redirect, so a proxy that sends no identity cannot cause a loop. */
async function explainProxySignIn(reply: FastifyReply, userHeader: string): Promise<FastifyReply> {
  reply.code(401).header('Cache-Control', PRIVATE_CACHE_CONTROL);
  return reply.send(await reply.viewAsync('pages/proxy-sign-in.njk', { userHeader: headerLabel(userHeader) }));
}

/** Remote-User, as people write it, from the lowercased name. */
function headerLabel(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** Sign-in by an authenticating reverse proxy (Authelia, authentik, oauth2-proxy): no cookie, no sign-in round trip. */
export function proxyMode(settings: ProxyAuthSettings, trustProxy: false | string[] | undefined): AuthMode {
  if (!trustProxy || trustProxy.length === 0) throw new Error('proxy sign-in needs TRUST_PROXY: loadConfig refuses it without');
  const identify = proxyIdentifier(settings, trustProxy);
  const { logoutUrl, userHeader } = settings;
  return {
    signOut: logoutUrl !== null,
    identify: fp(async (app) => {
      app.addHook('preHandler', async (request) => {
        // The API takes bearer tokens only, whatever headers come with them.
        if (isApiRequest(request)) return;
        const identity = identify(request.raw);
        if (identity && 'refused' in identity) request.log.warn({ reason: identity.refused, peer: request.raw.socket.remoteAddress }, 'proxy identity refused');
        request.user = identity && 'user' in identity ? identity.user : null;
      });
    }),
    routes: async (app) => {
      const home = async (request: FastifyRequest, reply: FastifyReply) =>
        request.user ? reply.redirect('/dashboard', 303) : explainProxySignIn(reply, userHeader);
      app.get('/', home);
      // Bookmarked in OIDC mode, or a provider's late redirect: explained, not a 404.
      app.get('/auth/login', home);
      app.get('/auth/callback', home);
      // Only the proxy holds a session to end: the app's steps clear what the browser kept, then lead to the proxy's logout.
      if (logoutUrl) signOutRoutes(app, { forget: async () => undefined, leaveTo: () => logoutUrl.href });
    },
    async refuseAnonymous(request, reply) {
      if (isFragmentRequest(request)) return reply.code(401).header('HX-Redirect', '/').send();
      return explainProxySignIn(reply, userHeader);
    },
  };
}
