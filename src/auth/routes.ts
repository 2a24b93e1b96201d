import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import { isFragmentRequest } from '../http/htmx.js';
import { newSessionId } from './ended-sessions.js';
import { claimText, endCurrentSession, type SessionUser } from './session.js';
import { PROXY_SUB_PREFIX } from './proxy.js';
import { signOutRoutes } from './sign-out.js';

const SCOPE = 'openid profile email';

/**
 * The longest return address: it travels in the session cookie, which browsers cap at 4,096 bytes.
 * Percent-encoded (so one byte a character), with the pending login beside it, encrypted and in
 * base64, 2,000 characters make a cookie of about 3,200 bytes; 1,000 cut off the long addresses phones share.
 */
export const RETURN_TO_MAX_LENGTH = 2000;

/**
 * Only a same-site path may be a returnTo: no scheme, no host, no '//' or '/\' tricks.
 * Control characters are refused before parsing, because the URL parser drops tabs and
 * newlines ('/\t/evil' would become '//evil'). The result is re-serialised by the URL
 * parser so non-ASCII is percent-encoded: a raw '/日本' in Location makes Node throw.
 */
export function safeReturnTo(value: unknown, appBaseUrl: URL): string {
  const fallback = '/dashboard';
  if (typeof value !== 'string' || value.length > RETURN_TO_MAX_LENGTH) return fallback;
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, appBaseUrl);
  } catch {
    return fallback;
  }
  const path = url.pathname + url.search + url.hash;
  // Checked again after parsing: resolving dot segments turns '/.//evil' into '//evil'.
  if (url.origin !== appBaseUrl.origin || !/^\/(?![/\\])/.test(path) || path.length > RETURN_TO_MAX_LENGTH) return fallback;
  return path;
}

/** What the session keeps of the ID token: the profile, and the `sid` that logout needs. */
export function userFromClaims(claims: oidc.IDToken): SessionUser {
  const email = claimText(claims.email);
  const picture = claimText(claims.picture);
  const sid = claimText(claims.sid);
  const user: SessionUser = { sub: claims.sub, name: claimText(claims.name) ?? claimText(claims.nickname) ?? email ?? 'there' };
  if (email) user.email = email;
  if (picture && /^https:\/\//.test(picture)) user.picture = picture;
  if (sid) user.sid = sid;
  return user;
}

export interface LogoutTarget {
  issuer: string;
  endSessionEndpoint?: string | undefined;
  clientId: string;
  appBaseUrl: URL;
  sid?: string | undefined;
}

/** Where the browser goes once the app has forgotten the session. */
export function logoutUrl({ issuer, endSessionEndpoint, clientId, appBaseUrl, sid }: LogoutTarget): string {
  if (endSessionEndpoint) {
    const url = new URL(endSessionEndpoint);
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('post_logout_redirect_uri', appBaseUrl.href);
    // Tells the provider which of its sessions to end when the browser holds several.
    if (sid) url.searchParams.set('logout_hint', sid);
    return url.href;
  }
  // Auth0 tenants without RP-initiated logout discovery still offer /v2/logout.
  if (/\.auth0\.com$/.test(new URL(issuer).hostname)) {
    const url = new URL('/v2/logout', issuer);
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('returnTo', appBaseUrl.href);
    return url.href;
  }
  return '/';
}

/** The sign-in that did not complete: why, when the provider said the person cancelled, and a way to start again to the same page. */
interface LoginFailure {
  /** The person cancelled at the provider. */
  cancelled?: boolean;
  /** The provider named the account with a sub of the proxy users' form. */
  proxyFormSub?: boolean;
  returnTo?: string;
}

async function renderLoginFailure(reply: FastifyReply, { cancelled = false, proxyFormSub = false, returnTo }: LoginFailure = {}) {
  const again = returnTo && returnTo !== '/dashboard' ? `/auth/login?${new URLSearchParams({ returnTo })}` : '/auth/login';
  return reply.code(400).viewAsync('pages/login-failed.njk', { cancelled, proxyFormSub, again });
}

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const { appBaseUrl, oidcClientId } = { appBaseUrl: app.config.appBaseUrl, oidcClientId: app.oidc.clientMetadata().client_id };
  const callbackUrl = new URL('/auth/callback', appBaseUrl).href;

  app.get('/', async (request, reply) => {
    if (request.user) return reply.redirect('/dashboard', 303);
    return reply.viewAsync('pages/login.njk', {});
  });

  app.get('/auth/login', async (request: FastifyRequest<{ Querystring: { returnTo?: string } }>, reply) => {
    const returnTo = safeReturnTo(request.query.returnTo, appBaseUrl);
    // htmx cannot follow a redirect to another origin; make the browser load this URL itself.
    if (isFragmentRequest(request)) {
      const target = request.query.returnTo === undefined ? '/auth/login' : `/auth/login?${new URLSearchParams({ returnTo })}`;
      return reply.code(200).header('HX-Redirect', target).send();
    }
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    request.session.set('login', { state, nonce, codeVerifier, returnTo });
    const authorizationUrl = oidc.buildAuthorizationUrl(app.oidc, {
      redirect_uri: callbackUrl,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return reply.redirect(authorizationUrl.href, 302);
  });

  app.get('/auth/callback', async (request, reply) => {
    const pending = request.session.get('login');
    // Back or a reload onto the callback once signed in: nothing failed.
    if (!pending && request.user) return reply.redirect('/dashboard', 303);
    if (!pending) return renderLoginFailure(reply);
    // One use only: a replayed callback finds no pending login.
    request.session.set('login', undefined);
    const currentUrl = new URL(request.url, appBaseUrl);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(app.oidc, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      const { code, name } = error as { code?: string; name?: string };
      request.log.warn({ code, name }, 'sign-in callback rejected');
      // The provider's own answer (RFC 6749 4.1.2.1) when the person cancels or declines; only its code is read.
      const cancelled = currentUrl.searchParams.get('error') === 'access_denied';
      return renderLoginFailure(reply, { cancelled, returnTo: pending.returnTo });
    }
    const claims = tokens.claims();
    if (!claims) return renderLoginFailure(reply);
    // Such a sub is a proxy user's (AUTH_MODE=proxy, on this database before or after): it would be handed their bookmarks.
    if (claims.sub.startsWith(PROXY_SUB_PREFIX)) {
      request.log.warn('sign-in refused: the provider named the account with a sub of the proxy users\' form');
      return renderLoginFailure(reply, { proxyFormSub: true });
    }
    // Signing in over a live session ends that one, so its old id cannot outlive the next sign-out.
    await endCurrentSession(request, app.db);
    request.session.regenerate();
    request.session.set('user', userFromClaims(claims));
    request.session.set('signedInAt', Math.floor(Date.now() / 1000));
    request.session.set('sessionId', newSessionId());
    request.log.info({ sub: claims.sub }, 'signed in');
    return reply.redirect(pending.returnTo, 303);
  });

  signOutRoutes(app, {
    async forget(request) {
      const sid = request.user?.sid;
      // Copies of this cookie (another tab's, a stolen one) stop working too, not just this browser's.
      // A refused session was already emptied when it was read, so only a live one has an id here.
      await endCurrentSession(request, app.db);
      request.session.delete();
      return sid;
    },
    leaveTo(sid) {
      const { issuer, end_session_endpoint: endSessionEndpoint } = app.oidc.serverMetadata();
      return logoutUrl({ issuer, endSessionEndpoint, clientId: oidcClientId, appBaseUrl, sid });
    },
  });
}
