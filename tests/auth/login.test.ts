import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { logoutUrl, safeReturnTo, userFromClaims } from '../../src/auth/routes.js';
import { as, authorizeAt, buildTestApp, followSignOutSteps, html, sessionCookieFrom, signIn, TEST_BASE_URL, useSignedInApp } from '../helpers.js';

// Tests about signing in and out sign in for real in the test; the others use the file's signed-in users.
const ctx = useSignedInApp();

/** Requests from a browser that holds this cookie (one signed in within the test). */
const browserWith = (cookie: string) => as({ app: ctx.app, cookies: { holder: cookie } }, 'holder');
/** The provider's redirect back to /auth/callback, carrying the cookie that holds the pending login. */
const backFromProvider = (callbackUrl: URL, pendingCookie: string) =>
  ctx.app.inject({ method: 'GET', url: callbackUrl.pathname + callbackUrl.search, headers: { cookie: pendingCookie } });

describe('sign-in page', () => {
  it('shows a Sign in link to anonymous visitors', async () => {
    const response = await as(ctx, null).get('/');
    expect(response.statusCode).toBe(200);
    const link = html(response.body).querySelector('a[href="/auth/login"]');
    expect(link?.textContent).toContain('Sign in');
  });

  it('redirects a signed-in visitor to the dashboard', async () => {
    const response = await as(ctx, 'alice').get('/');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/dashboard');
  });
});

describe('login flow against a real OpenID provider', () => {
  it('starts the code flow with PKCE S256, state, nonce and the right scope', async () => {
    const response = await as(ctx, null).get('/auth/login');
    expect(response.statusCode).toBe(302);
    const location = new URL(response.headers.location as string);
    expect(location.origin).toBe(ctx.provider.issuer);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(location.searchParams.get('scope')).toBe('openid profile email');
    expect(location.searchParams.get('redirect_uri')).toBe(`${TEST_BASE_URL}/auth/callback`);
    const cookie = response.cookies.find((c) => c.name === 'session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.path).toBe('/');
  });

  it('answers an htmx request for /auth/login with HX-Redirect, never a redirect to the provider', async () => {
    const bare = await as(ctx, null).htmx.get('/auth/login');
    expect(bare.statusCode).toBe(200);
    expect(bare.headers['hx-redirect']).toBe('/auth/login');
    expect(bare.headers.location).toBeUndefined();
    expect(bare.body).toBe('');
    expect(sessionCookieFrom(bare)).toBeUndefined();
    expect(bare.headers.vary).toContain('HX-Request');

    const withReturnTo = await as(ctx, null).htmx.get(`/auth/login?returnTo=${encodeURIComponent('/bookmarks/search?q=日本')}`);
    expect(withReturnTo.statusCode).toBe(200);
    const target = new URL(withReturnTo.headers['hx-redirect'] as string, TEST_BASE_URL);
    expect(target.pathname).toBe('/auth/login');
    expect(target.searchParams.get('returnTo')).toBe('/bookmarks/search?q=%E6%97%A5%E6%9C%AC');
    expect(withReturnTo.body).toBe('');

    // htmx restoring history wants the real thing, so the normal flow starts.
    const restore = await as(ctx, null).htmx.get('/auth/login', { headers: { 'hx-history-restore-request': 'true' } });
    expect(restore.statusCode).toBe(302);
    expect(new URL(restore.headers.location as string).origin).toBe(ctx.provider.issuer);
  });

  it('signs in, lands on the dashboard greeted by name, and keeps only profile data in the session', async () => {
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice');
    const callback = await backFromProvider(callbackUrl, pendingCookie);
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe('/dashboard');
    const cookie = sessionCookieFrom(callback)!;
    expect(cookie).not.toBe(pendingCookie);
    const session = ctx.app.decodeSecureSession(decodeURIComponent(cookie.slice('session='.length)))!;
    expect(session.data()).toMatchObject({ user: { sub: 'alice', name: 'alice', email: 'alice@example.test' } });
    // The pending login is gone; a fresh random id names this sign-in.
    expect(Object.keys(session.data()!).sort()).toEqual(['sessionId', 'signedInAt', 'user']);
    expect(session.get('sessionId')).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const dashboard = await browserWith(cookie).get('/dashboard');
    expect(dashboard.statusCode).toBe(200);
    expect(html(dashboard.body).querySelector('h1')?.textContent).toContain('Hello, alice');
  });

  it('honours a relative returnTo and ignores an absolute one', async () => {
    const relative = await authorizeAt(ctx.app, 'alice', '/auth/login?returnTo=%2Fbookmarks%2Fsearch%3Fq%3Dx');
    const back = await backFromProvider(relative.callbackUrl, relative.pendingCookie);
    expect(back.headers.location).toBe('/bookmarks/search?q=x');

    const absolute = await authorizeAt(ctx.app, 'alice', '/auth/login?returnTo=https%3A%2F%2Fevil.example%2F');
    const home = await backFromProvider(absolute.callbackUrl, absolute.pendingCookie);
    expect(home.headers.location).toBe('/dashboard');
  });

  it('signed out, Settings, Import and a search (a tag followed) lead through the sign-in back to themselves', async () => {
    for (const [path, returnTo] of [
      ['/settings', '/settings'],
      ['/import', '/import'],
      ['/bookmarks/search?q=%23work', '/bookmarks/search?q=%23work'],
      // Only the search itself: a cursor or an Undo of a session gone means nothing now.
      ['/bookmarks/search?q=rust&after=123.4&undo=abc', '/bookmarks/search?q=rust'],
    ]) {
      const anonymous = await as(ctx, null).get(path!);
      expect(anonymous.statusCode, path).toBe(303);
      expect(anonymous.headers.location, path).toBe(`/auth/login?${new URLSearchParams({ returnTo: returnTo! })}`);
      const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice', anonymous.headers.location as string);
      const back = await backFromProvider(callbackUrl, pendingCookie);
      expect(back.headers.location, path).toBe(returnTo);
    }
  });

  it('signs in with a non-ASCII returnTo and lands there, percent-encoded, with a session', async () => {
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice', `/auth/login?returnTo=${encodeURIComponent('/日本?q=é#ü')}`);
    const back = await backFromProvider(callbackUrl, pendingCookie);
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/%E6%97%A5%E6%9C%AC?q=%C3%A9#%C3%BC');
    const cookie = sessionCookieFrom(back)!;
    const session = ctx.app.decodeSecureSession(decodeURIComponent(cookie.slice('session='.length)))!;
    expect(session.get('user')?.sub).toBe('alice');
    const dashboard = await browserWith(cookie).get('/dashboard');
    expect(dashboard.statusCode).toBe(200);
  });

  it.each([
    ['/dashboard', '/dashboard'],
    ['/bookmarks/search?q=a', '/bookmarks/search?q=a'],
    ['/bookmarks/search?q=a#top', '/bookmarks/search?q=a#top'],
    ['/日本', '/%E6%97%A5%E6%9C%AC'],
    ['/é?q=é', '/%C3%A9?q=%C3%A9'],
    ['/%E6%97%A5', '/%E6%97%A5'],
    ['/a b', '/a%20b'],
    ['/a/../b', '/b'],
    ['/../../etc', '/etc'],
    ['https://evil.example/', '/dashboard'],
    ['http://127.0.0.1:3999/dashboard', '/dashboard'],
    ['//evil.example/', '/dashboard'],
    ['/.//evil.example', '/dashboard'],
    ['/..//evil.example', '/dashboard'],
    ['/%2e//evil.example', '/dashboard'],
    ['/%2e%2e//evil.example', '/dashboard'],
    ['/a/..//evil.example', '/dashboard'],
    ['/a/.//b', '/a//b'],
    ['/\\evil.example', '/dashboard'],
    ['/a\\b', '/dashboard'],
    ['/\t/evil.example', '/dashboard'],
    ['/\n/evil.example', '/dashboard'],
    ['/x\u0000', '/dashboard'],
    ['/x\u007f', '/dashboard'],
    [' //evil.example', '/dashboard'],
    ['javascript:alert(1)', '/dashboard'],
    ['dashboard', '/dashboard'],
    ['', '/dashboard'],
    [['/a', '/b'], '/dashboard'],
    [undefined, '/dashboard'],
  ])('safeReturnTo(%j) is %j', (input, expected) => {
    expect(safeReturnTo(input, new URL(TEST_BASE_URL))).toBe(expected);
  });

  it('ignores a returnTo over 2000 characters, counted once percent-encoded', () => {
    expect(safeReturnTo(`/${'a'.repeat(1999)}`, new URL(TEST_BASE_URL))).toHaveLength(2000);
    expect(safeReturnTo(`/${'a'.repeat(2000)}`, new URL(TEST_BASE_URL))).toBe('/dashboard');
    // Nine characters each once percent-encoded: 222 make 1,999, 223 are too many.
    expect(safeReturnTo(`/${'日'.repeat(222)}`, new URL(TEST_BASE_URL))).toHaveLength(1999);
    expect(safeReturnTo(`/${'日'.repeat(223)}`, new URL(TEST_BASE_URL))).toBe('/dashboard');
  });

  it('carries a returnTo of 2000 characters through the sign-in whole, in a cookie a browser keeps', async () => {
    // A long shared address, as a phone's share sheet or a tracking link makes them: 1,000 characters once cut it off.
    const returnTo = `/bookmarks/new?url=${encodeURIComponent(`https://example.com/a?${'x'.repeat(2000)}`)}`.slice(0, 2000);
    expect(returnTo).toHaveLength(2000);
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice', `/auth/login?${new URLSearchParams({ returnTo })}`);
    // At most 4,096 bytes, name included, even under the longer name it has over https (__Host-session).
    expect(pendingCookie.length + '__Host-'.length).toBeLessThanOrEqual(4096);
    const back = await backFromProvider(callbackUrl, pendingCookie);
    expect(back.headers.location).toBe(returnTo);
  });

  it('rejects a callback whose state does not match with the friendly 400 page', async () => {
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice');
    callbackUrl.searchParams.set('state', 'forged-state');
    const response = await backFromProvider(callbackUrl, pendingCookie);
    expect(response.statusCode).toBe(400);
    const page = html(response.body);
    expect(page.querySelector('a[href="/auth/login"]')?.textContent).toContain('Sign in again');
    expect(response.body).not.toMatch(/at .*\.ts:\d+/);
    expect(sessionCookieFrom(response) ? ctx.app.decodeSecureSession(decodeURIComponent(sessionCookieFrom(response)!.slice(8)))?.get('user') : undefined).toBeUndefined();
  });

  it('rejects a replayed callback', async () => {
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice');
    const first = await backFromProvider(callbackUrl, pendingCookie);
    expect(first.statusCode).toBe(303);
    const replay = await backFromProvider(callbackUrl, pendingCookie);
    expect(replay.statusCode).toBe(400);
    expect(html(replay.body).querySelector('h1')?.textContent).toContain('Sign-in did not complete');
  });

  it('rejects a callback without a pending login', async () => {
    const response = await as(ctx, null).get('/auth/callback?code=abc&state=def');
    expect(response.statusCode).toBe(400);
  });

  it('rejects a provider error response', async () => {
    const login = await as(ctx, null).get('/auth/login');
    const state = new URL(login.headers.location as string).searchParams.get('state')!;
    const response = await backFromProvider(new URL(`/auth/callback?error=access_denied&state=${state}`, TEST_BASE_URL), sessionCookieFrom(login)!);
    expect(response.statusCode).toBe(400);
  });

  it('says a sign-in cancelled at the provider was cancelled, and signs in again to the page it was for', async () => {
    const login = await as(ctx, null).get(`/auth/login?returnTo=${encodeURIComponent('/settings')}`);
    const state = new URL(login.headers.location as string).searchParams.get('state')!;
    const response = await backFromProvider(new URL(`/auth/callback?error=access_denied&state=${state}`, TEST_BASE_URL), sessionCookieFrom(login)!);
    expect(response.statusCode).toBe(400);
    const page = html(response.body);
    // It said "The sign-in link expired or was already used", which a person who pressed Cancel never did.
    expect(page.querySelector('.lead')?.textContent).toBe('Sign-in was cancelled at the sign-in page, so you are not signed in.');
    expect(page.querySelector('a.button-primary')?.getAttribute('href')).toBe(`/auth/login?returnTo=${encodeURIComponent('/settings')}`);
    // A link that expired keeps its words.
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice');
    callbackUrl.searchParams.set('state', 'forged-state');
    expect(html((await backFromProvider(callbackUrl, pendingCookie)).body).querySelector('.lead')?.textContent).toBe('The sign-in link expired or was already used. Please start again.');
  });

  it('sends someone already signed in who comes back to a used callback (Back, a reload) to the dashboard, not to a failure', async () => {
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice');
    const first = await backFromProvider(callbackUrl, pendingCookie);
    expect(first.statusCode).toBe(303);
    const again = await backFromProvider(callbackUrl, sessionCookieFrom(first)!);
    expect([again.statusCode, again.headers.location]).toEqual([303, '/dashboard']);
  });
});

/** Follows the provider's end-session page and its confirm form, as a browser would; returns the final redirect. */
async function confirmLogoutAtProvider(location: URL): Promise<Response> {
  const endSession = await fetch(location, { redirect: 'manual' });
  expect(endSession.status).toBe(200);
  const confirm = html(await endSession.text()).querySelector('form')!;
  const fields = new URLSearchParams();
  for (const input of confirm.querySelectorAll('input')) fields.set(input.getAttribute('name')!, input.getAttribute('value')!);
  const cookie = endSession.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return fetch(confirm.getAttribute('action')!, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: fields,
  });
}

describe('logout', () => {
  it('clears the session and redirects to the provider end-session endpoint', async () => {
    const cookie = await signIn(ctx.app, 'alice');
    const response = await browserWith(cookie).post('/auth/logout');
    expect(response.headers.location).toBe('/auth/signing-out');
    const location = await followSignOutSteps(ctx.app, response);
    expect(location.href.startsWith(ctx.app.oidc.serverMetadata().end_session_endpoint!)).toBe(true);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${TEST_BASE_URL}/`);
    expect(location.searchParams.get('client_id')).toBe(ctx.provider.clientId);
    const cleared = response.cookies.find((c) => c.name === 'session')!;
    expect(cleared.value).toBe('');

    // The provider accepts the request and, once confirmed, sends the browser back to the app.
    const confirmed = await confirmLogoutAtProvider(location);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${TEST_BASE_URL}/`);
  });

  it('asks at GET /auth/logout, ending nothing, and its button signs out', async () => {
    const cookie = await signIn(ctx.app, 'alice');
    const asked = await browserWith(cookie).get('/auth/logout');
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('Sign out?');
    expect((await browserWith(cookie).get('/dashboard')).statusCode).toBe(200);
    const form = html(asked.body).querySelector('main form[method="post"]')!;
    const response = await browserWith(cookie).post(form.getAttribute('action')!);
    expect(response.headers.location).toBe('/auth/signing-out');
    expect((await browserWith(cookie).get('/dashboard')).statusCode).toBe(303);
  });

  it("refuses a copy of the cookie taken before sign-out, while the user's other sessions live on", async () => {
    const copied = await signIn(ctx.app, 'alice');
    const otherDevice = await signIn(ctx.app, 'alice');
    expect((await browserWith(copied).get('/dashboard')).statusCode).toBe(200);
    const response = await browserWith(copied).post('/auth/logout');
    expect(response.statusCode).toBe(303);
    for (const url of ['/dashboard', '/export']) {
      const replay = await browserWith(copied).get(url);
      expect(replay.statusCode).toBe(303);
      expect(replay.headers.location).toBe('/');
    }
    const write = await browserWith(copied).post('/bookmarks', { url: 'https://after-logout.example/' });
    expect(write.statusCode).toBe(303);
    expect(await ctx.app.db.get(sql`SELECT count(*) AS n FROM bookmarks`)).toEqual({ n: 0 });
    expect((await browserWith(otherDevice).get('/dashboard')).statusCode).toBe(200);
  });

  it('signing in again over a live session ends the old one, so a copy of the old cookie cannot outlive the next sign-out', async () => {
    const first = await signIn(ctx.app, 'alice');
    const { callbackUrl, pendingCookie } = await authorizeAt(ctx.app, 'alice', '/auth/login', first);
    const callback = await backFromProvider(callbackUrl, pendingCookie);
    expect(callback.statusCode).toBe(303);
    const second = sessionCookieFrom(callback)!;
    expect((await browserWith(first).get('/dashboard')).statusCode).toBe(303);
    expect((await browserWith(second).get('/dashboard')).statusCode).toBe(200);
  });

  it('passes the session sid as logout_hint, and the provider still accepts the logout', async () => {
    // The local provider puts no sid in its ID tokens (Auth0 does), so add one to a real session.
    const signedIn = await signIn(ctx.app, 'alice');
    const data = ctx.app.decodeSecureSession(decodeURIComponent(signedIn.slice('session='.length)))!.data()!;
    const session = ctx.app.createSecureSession({ ...data, user: { ...data.user!, sid: 'provider-session-1' } });
    const cookie = `session=${encodeURIComponent(ctx.app.encodeSecureSession(session))}`;

    const response = await browserWith(cookie).post('/auth/logout');
    const location = await followSignOutSteps(ctx.app, response);
    expect(location.searchParams.get('logout_hint')).toBe('provider-session-1');
    const confirmed = await confirmLogoutAtProvider(location);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${TEST_BASE_URL}/`);
  });

  it('ends no session at its last step, a GET: linked from another site, that only opens the provider’s sign-out', async () => {
    const cookie = await signIn(ctx.app, 'alice');
    const leave = await browserWith(cookie).get('/auth/signing-out/leave?hint=provider-session-2');
    expect(leave.statusCode).toBe(303);
    const location = new URL(leave.headers.location as string);
    expect(location.href.startsWith(ctx.app.oidc.serverMetadata().end_session_endpoint!)).toBe(true);
    expect(location.searchParams.get('logout_hint')).toBe('provider-session-2');
    expect((await browserWith(cookie).get('/dashboard')).statusCode).toBe(200);
  });

  it('passes on no hint longer than a session id can be', async () => {
    const location = new URL((await as(ctx, null).get(`/auth/signing-out/leave?hint=${'x'.repeat(501)}`)).headers.location as string);
    expect(location.searchParams.has('logout_hint')).toBe(false);
  });

  const base = new URL('https://bookmarks.example.com');
  it.each([
    [
      'the provider\'s end-session endpoint, with logout_hint when the session knows the sid',
      { issuer: 'https://tenant.eu.auth0.com/', endSessionEndpoint: 'https://tenant.eu.auth0.com/oidc/logout', sid: 'abc' },
      'https://tenant.eu.auth0.com/oidc/logout?client_id=app&post_logout_redirect_uri=https%3A%2F%2Fbookmarks.example.com%2F&logout_hint=abc',
    ],
    [
      'the provider\'s end-session endpoint, keeping its own query, without logout_hint when no sid is known',
      { issuer: 'https://id.example/', endSessionEndpoint: 'https://id.example/logout?tenant=x' },
      'https://id.example/logout?tenant=x&client_id=app&post_logout_redirect_uri=https%3A%2F%2Fbookmarks.example.com%2F',
    ],
    [
      'Auth0 /v2/logout when the tenant publishes no end-session endpoint',
      { issuer: 'https://tenant.us.auth0.com/', sid: 'abc' },
      'https://tenant.us.auth0.com/v2/logout?client_id=app&returnTo=https%3A%2F%2Fbookmarks.example.com%2F',
    ],
    ['home for any other provider without one', { issuer: 'https://id.example/' }, '/'],
    ['home for a look-alike of Auth0', { issuer: 'https://evil-auth0.com.example/' }, '/'],
  ])('logoutUrl: %s', (_name, provider, expected) => {
    expect(logoutUrl({ ...provider, clientId: 'app', appBaseUrl: base })).toBe(expected);
  });
});

describe('userFromClaims', () => {
  const claims = { iss: 'https://id.example/', aud: 'app', iat: 0, exp: 0, sub: 'auth0|1' };
  it.each([
    [{ ...claims, name: 'Alice', email: 'a@example.test', sid: 'sid-1' }, { sub: 'auth0|1', name: 'Alice', email: 'a@example.test', sid: 'sid-1' }],
    [{ ...claims, nickname: 'al' }, { sub: 'auth0|1', name: 'al' }],
    [{ ...claims, sid: '' }, { sub: 'auth0|1', name: 'there' }],
    [{ ...claims, sid: 42 }, { sub: 'auth0|1', name: 'there' }],
    [{ ...claims, picture: 'http://img.example/a.png' }, { sub: 'auth0|1', name: 'there' }],
  ])('keeps %j as %j', (input, expected) => {
    expect(userFromClaims(input)).toEqual(expected);
  });
});

describe('not signed in', () => {
  it('redirects full-page routes to the sign-in page', async () => {
    const dashboard = await as(ctx, null).get('/dashboard');
    expect([dashboard.statusCode, dashboard.headers.location]).toEqual([303, '/']);
    const search = await as(ctx, null).get('/bookmarks/search?q=x');
    expect([search.statusCode, search.headers.location]).toEqual([303, '/auth/login?returnTo=%2Fbookmarks%2Fsearch%3Fq%3Dx']);
  });

  it('answers htmx requests with 401 and HX-Redirect, never a provider redirect', async () => {
    const response = await as(ctx, null).htmx.get('/bookmarks/search?q=x');
    expect(response.statusCode).toBe(401);
    expect(response.headers['hx-redirect']).toBe('/');
    const post = await as(ctx, null).htmx.post('/bookmarks', { url: 'https://a.example' });
    expect(post.statusCode).toBe(401);
  });

  it('treats a tampered cookie as signed out', async () => {
    const cookie = await signIn(ctx.app, 'alice');
    const value = cookie.slice('session='.length);
    const flipped = value.slice(0, 10) + (value[10] === 'A' ? 'B' : 'A') + value.slice(11);
    const response = await browserWith(`session=${flipped}`).get('/dashboard');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
  });

  it('treats a cookie signed with another key as signed out', async () => {
    const other = await buildTestApp(ctx.provider);
    const cookie = await signIn(other, 'mallory');
    await other.close();
    const response = await browserWith(cookie).get('/dashboard');
    expect(response.statusCode).toBe(303);
  });
});
