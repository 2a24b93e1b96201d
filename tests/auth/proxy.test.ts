import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { ProxyAuthSettings } from '../../src/config.js';
import { MAX_USER_LENGTH, proxyIdentifier, type ProxyClaim } from '../../src/auth/proxy.js';
import { freePort } from '../../scripts/lib/production.js';
import { startForwardAuthProxy, proxySignIn, type ForwardAuthProxy, type ForwardAuthProxyOptions } from '../forward-auth-proxy.js';
import { sql } from 'drizzle-orm';
import { migrateDatabase } from '../../src/db/client.js';
import { authorizeAt, buildTestApp, form, html, newBlankDatabase, newTestDatabase, sessionCookieFrom, signIn, startTestProvider, testConfig, type TestConfigOverrides } from '../helpers.js';

/**
 * AUTH_MODE=proxy with a real reverse proxy in front of the real app, both listening on
 * 127.0.0.1: the proxy signs people in (HTTP Basic) and forwards Remote-User and
 * X-Proxy-Secret, as Traefik with Authelia's forward-auth does. Requests "straight to
 * the app" skip the proxy and go to the app's own port.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = randomBytes(24).toString('hex');
const LOGOUT_URL = new URL('https://auth.example.test/logout?rd=https%3A%2F%2Fbookmarks.example.test%2F');

function proxySettings(overrides: Partial<ProxyAuthSettings> = {}): ProxyAuthSettings {
  return { userHeader: 'remote-user', emailHeader: 'remote-email', nameHeader: 'remote-name', secret: SECRET, logoutUrl: LOGOUT_URL, ...overrides };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request over a real socket; localAddress picks the address it comes from. */
function send(url: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: string; localAddress?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, localAddress: options.localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };
const HTMX = { 'hx-request': 'true', ...SAME_ORIGIN };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface ProxiedApp {
  app: FastifyInstance;
  /** The app's own port: what a client reaches if the port is exposed. */
  appUrl: string;
  proxy: ForwardAuthProxy;
  logs: string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The app in proxy mode on 127.0.0.1 with a forward-auth proxy in front; the logger writes into `logs`. */
async function startProxiedApp(
  options: { config?: TestConfigOverrides; settings?: Partial<ProxyAuthSettings>; proxy?: Partial<ForwardAuthProxyOptions> } = {},
): Promise<ProxiedApp> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const { target, drop } = await newTestDatabase();
  cleanups.push(drop);
  const config = testConfig({ oidc: null, sessionKeys: [], trustProxy: ['127.0.0.1'], proxyAuth: proxySettings(options.settings), database: target, ...options.config });
  const app = await buildApp(config, { logger: { level: 'info', stream } });
  cleanups.push(() => app.close());
  const appUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const proxy = await startForwardAuthProxy({ upstream: appUrl, secret: SECRET, ...options.proxy });
  cleanups.push(() => proxy.close());
  return { app, appUrl, proxy, logs };
}

const greeting = (answer: Answer): string | null | undefined => html(answer.body).querySelector('h1')?.textContent;
const ownersInDatabase = async (app: FastifyInstance): Promise<string[]> =>
  (await app.db.all<{ owner: string }>(sql`SELECT owner_sub AS owner FROM bookmarks ORDER BY id`)).map((row) => row.owner);

/** The answer to a request without a believable identity: the explaining page, never a redirect. */
function expectExplained(answer: Answer): void {
  expect(answer.status).toBe(401);
  expect(answer.headers.location).toBeUndefined();
  expect(greeting(answer)).toBe('Sign in through your sign-in proxy');
}

describe('sign-in through an authenticating proxy', () => {
  it('signs in whoever the proxy vouches for, on every request, with no cookie and no sign-in round trip', async () => {
    const { proxy } = await startProxiedApp();
    const dashboard = await send(`${proxy.url}/dashboard`, { headers: proxySignIn('alice') });
    expect(dashboard.status).toBe(200);
    expect(greeting(dashboard)).toBe('Hello, Alice');
    expect(dashboard.headers['set-cookie']).toBeUndefined();
    expect(html(dashboard.body).querySelector('form[action="/auth/logout"] button')?.textContent).toBe('Sign out');

    const home = await send(`${proxy.url}/`, { headers: proxySignIn('alice') });
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/dashboard');
    // Left over from OIDC mode: a signed-in visitor simply goes on to the dashboard.
    for (const path of ['/auth/login', '/auth/callback?code=x&state=y']) {
      const leftover = await send(`${proxy.url}${path}`, { headers: proxySignIn('alice') });
      expect(leftover.status).toBe(303);
      expect(leftover.headers.location).toBe('/dashboard');
    }
  });

  it('revalidates searches too: a 304 for the same user and data, a full answer for another user or after a write', async () => {
    const { proxy } = await startProxiedApp();
    const search = (user: string, ifNoneMatch?: string) =>
      send(`${proxy.url}/bookmarks/search?q=`, { headers: { ...proxySignIn(user), ...HTMX, ...(ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {}) } });
    const first = await search('alice');
    expect(first.status).toBe(200);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    expect((await search('alice', etag)).status).toBe(304);
    expect((await search('bob', etag)).status).toBe(200);
    const added = await send(`${proxy.url}/bookmarks`, { method: 'POST', headers: { ...proxySignIn('alice'), ...SAME_ORIGIN, ...FORM }, body: form({ url: 'https://alice.example/', title: 'New', tags: '' }).payload });
    expect(added.status).toBe(303);
    const afterWrite = await search('alice', etag);
    expect(afterWrite.status).toBe(200);
    expect(afterWrite.headers.etag).not.toBe(etag);
  });

  it('keeps two users apart: each sees and changes only their own bookmarks, stored under namespaced subs', async () => {
    const { app, proxy } = await startProxiedApp();
    const add = (user: string, url: string, title: string) =>
      send(`${proxy.url}/bookmarks`, { method: 'POST', headers: { ...proxySignIn(user), ...SAME_ORIGIN, ...FORM }, body: form({ url, title, tags: user }).payload });
    expect((await add('alice', 'https://alice.example/', 'Alice only')).status).toBe(303);
    expect((await add('bob', 'https://bob.example/', 'Bob only')).status).toBe(303);
    expect(await ownersInDatabase(app)).toEqual(['proxy|alice', 'proxy|bob']);

    const titles = async (user: string) =>
      [...html((await send(`${proxy.url}/dashboard`, { headers: proxySignIn(user) })).body).querySelectorAll('.card-title')].map((e) => e.textContent?.trim());
    expect(await titles('alice')).toEqual(['Alice only']);
    expect(await titles('bob')).toEqual(['Bob only']);

    const aliceId = (await app.db.get<{ id: number }>(sql`SELECT id FROM bookmarks WHERE owner_sub = 'proxy|alice'`))!.id;
    const edit = await send(`${proxy.url}/bookmarks/${aliceId}/edit`, { headers: proxySignIn('bob') });
    expect(edit.status).toBe(404);
    const remove = await send(`${proxy.url}/bookmarks/${aliceId}`, { method: 'DELETE', headers: { ...proxySignIn('bob'), ...HTMX } });
    expect(remove.status).toBe(404);
    expect(await titles('alice')).toEqual(['Alice only']);
  });

  it('ignores identity headers sent straight to the app, without the proxy and its secret', async () => {
    const { app, appUrl, logs } = await startProxiedApp();
    const spoofed = { 'remote-user': 'alice', 'remote-email': 'alice@example.test', 'remote-name': 'Alice' };
    expectExplained(await send(`${appUrl}/dashboard`, { headers: spoofed }));
    expectExplained(await send(`${appUrl}/`, { headers: spoofed }));

    const write = await send(`${appUrl}/bookmarks`, { method: 'POST', headers: { ...spoofed, ...SAME_ORIGIN, ...FORM }, body: form({ url: 'https://forged.example/' }).payload });
    expectExplained(write);
    const htmx = await send(`${appUrl}/bookmarks/search?q=x`, { headers: { ...spoofed, ...HTMX } });
    expect(htmx.status).toBe(401);
    expect(htmx.headers['hx-redirect']).toBe('/');
    expect(await ownersInDatabase(app)).toEqual([]);
    expect(logs.some((line) => line.includes('"reason":"no X-Proxy-Secret header"'))).toBe(true);
  });

  it('refuses a wrong or a missing secret, whoever sends it, and never logs the secret', async () => {
    const wrongSecret = SECRET.slice(0, -1) + (SECRET.endsWith('0') ? '1' : '0');
    const wrong = await startProxiedApp({ proxy: { secret: wrongSecret } });
    expectExplained(await send(`${wrong.proxy.url}/dashboard`, { headers: proxySignIn('alice') }));
    const missing = await startProxiedApp({ proxy: { secret: null } });
    expectExplained(await send(`${missing.proxy.url}/dashboard`, { headers: proxySignIn('alice') }));

    for (const secret of ['', SECRET.slice(0, 32), `${SECRET}x`, ` ${wrongSecret} `, SECRET.toUpperCase(), `${SECRET}, ${SECRET}`]) {
      const answer = await send(`${wrong.appUrl}/dashboard`, { headers: { 'remote-user': 'alice', 'x-proxy-secret': secret } });
      expect(answer.status, JSON.stringify(secret)).toBe(401);
    }
    // The same secret twice arrives joined by Node, and matches neither.
    const twice = await send(`${wrong.appUrl}/dashboard`, { headers: { 'remote-user': 'alice', 'x-proxy-secret': [SECRET, SECRET] } });
    expectExplained(twice);
    expect(await ownersInDatabase(wrong.app)).toEqual([]);

    const logged = [...wrong.logs, ...missing.logs].join('\n');
    expect(logged).toContain('"reason":"X-Proxy-Secret does not match AUTH_PROXY_SECRET"');
    expect(logged).toContain('"reason":"no X-Proxy-Secret header"');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(wrongSecret);
  });

  it('ignores identity from an address outside TRUST_PROXY, even with the right secret', async () => {
    // The proxy connects from 127.0.0.2, the only trusted address; everything else on 127.0.0.1 is "outside".
    const { app, appUrl, proxy, logs } = await startProxiedApp({ config: { trustProxy: ['127.0.0.2'] }, proxy: { localAddress: '127.0.0.2' } });
    const throughProxy = await send(`${proxy.url}/dashboard`, { headers: proxySignIn('alice') });
    expect(throughProxy.status).toBe(200);
    expect(greeting(throughProxy)).toBe('Hello, Alice');

    const claim = { 'remote-user': 'mallory', 'x-proxy-secret': SECRET };
    const outside = await send(`${appUrl}/dashboard`, { headers: { ...claim, 'x-forwarded-for': '127.0.0.2' }, localAddress: '127.0.0.1' });
    expectExplained(outside);
    const write = await send(`${appUrl}/bookmarks`, { method: 'POST', headers: { ...claim, ...SAME_ORIGIN, ...FORM }, body: form({ url: 'https://forged.example/' }).payload, localAddress: '127.0.0.1' });
    expectExplained(write);
    expect(await ownersInDatabase(app)).toEqual([]);
    expect(logs.some((line) => line.includes('"reason":"the request did not come from a TRUST_PROXY address"'))).toBe(true);

    // It is the address that is trusted, with the secret: header names in any case, as HTTP allows.
    const fromTrusted = await send(`${appUrl}/dashboard`, { headers: { 'REMOTE-USER': 'carol', 'X-PROXY-SECRET': SECRET }, localAddress: '127.0.0.2' });
    expect(fromTrusted.status).toBe(200);
    expect(greeting(fromTrusted)).toBe('Hello, carol');
  });

  it('judges the proxy by its socket address, not by the X-Forwarded-For a client can write', async () => {
    // The client's own X-Forwarded-For makes request.ip 203.0.113.7 (TRUST_PROXY trusts the hop that appended to it),
    // yet the request itself came from the trusted proxy, which vouches for alice.
    const { proxy, logs } = await startProxiedApp();
    const answer = await send(`${proxy.url}/dashboard`, { headers: { ...proxySignIn('alice'), 'x-forwarded-for': '203.0.113.7' } });
    expect(answer.status).toBe(200);
    expect(greeting(answer)).toBe('Hello, Alice');
    expect(logs.some((line) => line.includes('"remoteAddress":"203.0.113.7"'))).toBe(true);
  });

  it('leads sign-out through the app’s own steps to AUTH_PROXY_LOGOUT_URL, so forms need post nowhere else', async () => {
    const { proxy } = await startProxiedApp();
    const plain = await send(`${proxy.url}/auth/logout`, { method: 'POST', headers: { ...proxySignIn('alice'), ...SAME_ORIGIN } });
    expect(plain.status).toBe(303);
    expect(plain.headers.location).toBe('/auth/signing-out');
    expect(plain.headers['clear-site-data']).toBe('"cache", "storage"');
    expect(plain.headers['set-cookie']).toBeUndefined();
    // The proxy still vouches for alice until its own logout: the steps ask nothing of the user.
    const signingOut = await send(`${proxy.url}/auth/signing-out`, { headers: proxySignIn('alice') });
    expect(signingOut.status).toBe(200);
    expect(html(signingOut.body).querySelector('meta[http-equiv="refresh"]')?.getAttribute('content')).toBe('0; url=/auth/signing-out/leave');
    const leave = await send(`${proxy.url}/auth/signing-out/leave`, { headers: proxySignIn('alice') });
    expect(leave.status).toBe(303);
    expect(leave.headers.location).toBe(LOGOUT_URL.href);
    expect(leave.headers['clear-site-data']).toBe('"cache", "storage"');

    const htmx = await send(`${proxy.url}/auth/logout`, { method: 'POST', headers: { ...proxySignIn('alice'), ...HTMX } });
    expect(htmx.status).toBe(200);
    expect(htmx.headers['hx-redirect']).toBe('/auth/signing-out');

    const page = await send(`${proxy.url}/dashboard`, { headers: proxySignIn('alice') });
    expect(page.headers['content-security-policy']).toContain("form-action 'self';");
    const crossSite = await send(`${proxy.url}/auth/logout`, { method: 'POST', headers: { ...proxySignIn('alice'), 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
  });

  it.each([
    ['on this machine', 'http://127.0.0.1:3999/', 'private, no-cache'],
    ['over https', 'https://bookmarks.example.test/', 'private, no-cache'],
    // Browsers ignore Clear-Site-Data there, so sign-out could not take a kept page back.
    ['over plain http to another machine', 'http://bookmarks.lan/', 'no-store'],
  ])('with a Sign out, keeps the dashboard in the browser %s: %s', async (_name, base, cacheControl) => {
    const { proxy } = await startProxiedApp({ config: { appBaseUrl: new URL(base) } });
    const page = await send(`${proxy.url}/dashboard`, { headers: proxySignIn('alice') });
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe(cacheControl);
  });

  it('without AUTH_PROXY_LOGOUT_URL offers no Sign out, and sign-out’s steps are no routes', async () => {
    const { proxy } = await startProxiedApp({ settings: { logoutUrl: null } });
    const page = await send(`${proxy.url}/dashboard`, { headers: proxySignIn('alice') });
    expect(page.status).toBe(200);
    expect(html(page.body).querySelector('form[action="/auth/logout"]')).toBeNull();
    expect(page.headers['content-security-policy']).toContain("form-action 'self';");
    // No sign-out to clear them from the browser again: pages are not kept, what htmx fetches still is.
    expect([page.headers['cache-control'], page.headers.etag]).toEqual(['no-store', undefined]);
    const fragment = await send(`${proxy.url}/bookmarks/search?q=`, { headers: { ...proxySignIn('alice'), ...HTMX } });
    expect(fragment.headers['cache-control']).toBe('private, no-cache');
    expect((await send(`${proxy.url}/auth/logout`, { method: 'POST', headers: { ...proxySignIn('alice'), ...SAME_ORIGIN } })).status).toBe(404);
    for (const path of ['/auth/signing-out', '/auth/signing-out/leave']) expect((await send(`${proxy.url}${path}`, { headers: proxySignIn('alice') })).status, path).toBe(404);
  });

  it('answers a request without identity with the 401 page: security headers, no redirect, and nothing it was sent echoed', async () => {
    const { appUrl } = await startProxiedApp({ settings: { userHeader: 'x-auth-request-user' } });
    for (const path of ['/', '/dashboard', '/auth/login', '/auth/callback?code=x&state=y', '/settings']) {
      const answer = await send(`${appUrl}${path}`);
      expectExplained(answer);
      expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.headers['set-cookie']).toBeUndefined();
      // It names the configured header, so whoever runs the proxy knows what to send.
      expect(html(answer.body).querySelector('main code')?.textContent).toBe('X-Auth-Request-User');
    }
    const hostile = await send(`${appUrl}/dashboard`, {
      headers: { 'x-auth-request-user': '<script>alert(1)</script>', 'remote-name': '<img src=x onerror=alert(2)>', 'x-proxy-secret': '<b>guess</b>' },
    });
    expectExplained(hostile);
    expect(hostile.body).not.toMatch(/alert\(|onerror|guess/);
    expect(html(hostile.body).querySelector('script:not([src])')).toBeNull();
  });

  it('keeps CSRF protection, the per-user write limit, and the API to its bearer tokens', async () => {
    const { app, appUrl, proxy } = await startProxiedApp({ config: { rateLimits: { authPerIp: 100, writesPerUser: 2, windowMs: 60_000 } } });
    const add = (user: string, url: string, site = 'same-origin') =>
      send(`${proxy.url}/bookmarks`, { method: 'POST', headers: { ...proxySignIn(user), 'sec-fetch-site': site, ...FORM }, body: form({ url }).payload });
    expect((await add('alice', 'https://evil.example/', 'cross-site')).status).toBe(403);
    expect(await ownersInDatabase(app)).toEqual([]);

    // Two writes a minute for each user: creating the token is alice's first.
    const created = await send(`${proxy.url}/settings/tokens`, { method: 'POST', headers: { ...proxySignIn('alice'), ...SAME_ORIGIN, ...FORM }, body: form({ name: 'script', expiry: 'never' }).payload });
    expect(created.status).toBe(201);
    const token = html(created.body).querySelector<HTMLInputElement>('#new-token')!.getAttribute('value')!;
    expect((await add('alice', 'https://one.example/')).status).toBe(303);
    expect((await add('alice', 'https://two.example/')).status).toBe(429);
    expect((await add('bob', 'https://bobs.example/')).status).toBe(303);

    // Through the proxy's API bypass: the token is the only credential, and it is alice's.
    const listed = await send(`${proxy.url}/api/v1/bookmarks`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect((JSON.parse(listed.body) as { items: { url: string }[] }).items.map((item) => item.url)).toEqual(['https://one.example/']);
    // Identity headers with the right secret from a trusted address are no API credential.
    const headersOnly = await send(`${appUrl}/api/v1/bookmarks`, { headers: { 'remote-user': 'alice', 'x-proxy-secret': SECRET } });
    expect(headersOnly.status).toBe(401);
    expect(headersOnly.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});

describe('proxyIdentifier', () => {
  const identify = proxyIdentifier(proxySettings(), ['127.0.0.1', '10.0.0.0/8']);
  const claim = (headers: Record<string, string | undefined>, remoteAddress = '127.0.0.1'): ProxyClaim => ({
    headers: { 'x-proxy-secret': SECRET, ...headers },
    socket: { remoteAddress },
  });
  /** Node hands header bytes over as latin1; a proxy sends UTF-8. */
  const asNodeReadsIt = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

  it('namespaces the sub and builds the profile from name, then email, then user', () => {
    expect(identify(claim({ 'remote-user': 'alice', 'remote-email': 'a@example.test', 'remote-name': 'Alice A.' }))).toEqual({
      user: { sub: 'proxy|alice', name: 'Alice A.', email: 'a@example.test' },
    });
    expect(identify(claim({ 'remote-user': 'alice', 'remote-email': 'a@example.test' }))).toEqual({ user: { sub: 'proxy|alice', name: 'a@example.test', email: 'a@example.test' } });
    expect(identify(claim({ 'remote-user': 'alice' }))).toEqual({ user: { sub: 'proxy|alice', name: 'alice' } });
  });

  it('reads UTF-8 names and users as the proxy sent them', () => {
    expect(identify(claim({ 'remote-user': asNodeReadsIt('josé'), 'remote-name': asNodeReadsIt('José Núñez') }))).toEqual({ user: { sub: 'proxy|josé', name: 'José Núñez' } });
  });

  it.each([['张', 'å¼'], ['voilà', 'voilÃ'], ['Π', 'Î']])('keeps the users %j and %j apart, though the first one’s UTF-8 ends in 0xA0, a space in latin1', (user, lookalike) => {
    expect(identify(claim({ 'remote-user': asNodeReadsIt(user) }))).toEqual({ user: { sub: `proxy|${user}`, name: user } });
    expect(identify(claim({ 'remote-user': asNodeReadsIt(lookalike) }))).toEqual({ user: { sub: `proxy|${lookalike}`, name: lookalike } });
  });

  it.each([['alice\u00a0'], ['\u3000alice'], ['alice\u0085'], ['\uFEFFalice']])('refuses the user %j rather than trim it into another', (user) => {
    expect(identify(claim({ 'remote-user': asNodeReadsIt(user) }))).toHaveProperty('refused');
  });

  it('refuses a user that is not UTF-8, whose latin1 reading would be another user’s UTF-8 name, and drops such a name', () => {
    const latin1 = Buffer.from([0x6a, 0x6f, 0x73, 0xe9]).toString('latin1'); // "josé" in ISO-8859-1
    expect(identify(claim({ 'remote-user': latin1 }))).toHaveProperty('refused');
    expect(identify(claim({ 'remote-user': 'alice', 'remote-name': latin1 }))).toEqual({ user: { sub: 'proxy|alice', name: 'alice' } });
  });

  it('trusts the socket peer by address, IPv4-mapped or in a CIDR range, and nothing without one', () => {
    expect(identify(claim({ 'remote-user': 'alice' }, '::ffff:127.0.0.1'))).toMatchObject({ user: { sub: 'proxy|alice' } });
    expect(identify(claim({ 'remote-user': 'alice' }, '10.1.2.3'))).toMatchObject({ user: { sub: 'proxy|alice' } });
    expect(identify(claim({ 'remote-user': 'alice' }, '11.1.2.3'))).toEqual({ refused: 'the request did not come from a TRUST_PROXY address' });
    expect(identify(claim({ 'remote-user': 'alice' }, '::1'))).toEqual({ refused: 'the request did not come from a TRUST_PROXY address' });
    expect(identify({ ...claim({ 'remote-user': 'alice' }), socket: {} })).toEqual({ refused: 'the request did not come from a TRUST_PROXY address' });
  });

  it.each([[undefined], [''], ['   ']])('takes a user header of %j as no claim at all, even with the right secret', (value) => {
    expect(identify(claim({ 'remote-user': value }))).toBeNull();
  });

  it(`accepts a user of ${MAX_USER_LENGTH} characters and refuses a longer one rather than cutting it`, () => {
    expect(identify(claim({ 'remote-user': 'u'.repeat(MAX_USER_LENGTH) }))).toMatchObject({ user: { sub: `proxy|${'u'.repeat(MAX_USER_LENGTH)}` } });
    expect(identify(claim({ 'remote-user': 'u'.repeat(MAX_USER_LENGTH + 1) }))).toHaveProperty('refused');
  });

  it.each([['alice, mallory'], ['ali\u0000ce'], ['alice\tbob']])('refuses the user %j (two headers joined, or control characters)', (value) => {
    expect(identify(claim({ 'remote-user': value }))).toEqual({ refused: `remote-user is not one user name of at most ${MAX_USER_LENGTH} characters` });
  });

  it('drops an email or name that is too long or joined from two headers, and keeps the user', () => {
    const profile = identify(claim({ 'remote-user': 'alice', 'remote-email': `${'e'.repeat(320)}@x.test`, 'remote-name': 'n'.repeat(201) }));
    expect(profile).toEqual({ user: { sub: 'proxy|alice', name: 'alice' } });
    expect(identify(claim({ 'remote-user': 'alice', 'remote-email': 'a@x.test, m@x.test' }))).toEqual({ user: { sub: 'proxy|alice', name: 'alice' } });
    expect(identify(claim({ 'remote-user': 'alice', 'remote-name': 'Doe, Alice' }))).toEqual({ user: { sub: 'proxy|alice', name: 'Doe, Alice' } });
  });
});

describe('switching AUTH_MODE on the same database', () => {
  it("never hands an OIDC user's bookmarks to the proxy user of the same name", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-proxy-switch-'));
    const provider = await startTestProvider();
    cleanups.push(async () => {
      await provider.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const { target: database, drop } = await newBlankDatabase();
    cleanups.push(drop);
    await migrateDatabase(database);

    const oidcApp = await buildTestApp(provider, { database });
    const cookie = await signIn(oidcApp, 'alice');
    const saved = await oidcApp.inject({ method: 'POST', url: '/bookmarks', headers: { cookie, ...SAME_ORIGIN, ...FORM }, payload: form({ url: 'https://from-oidc.example/' }).payload });
    expect(saved.statusCode).toBe(303);
    await oidcApp.close();

    const proxyApp = await buildApp(testConfig({ database, trustProxy: ['127.0.0.1'], proxyAuth: proxySettings() }), { logger: false });
    cleanups.push(() => proxyApp.close());
    const dashboard = await proxyApp.inject({ method: 'GET', url: '/dashboard', remoteAddress: '127.0.0.1', headers: { 'remote-user': 'alice', 'x-proxy-secret': SECRET } });
    expect(dashboard.statusCode).toBe(200);
    expect(greeting({ status: 200, headers: {}, body: dashboard.body })).toBe('Hello, alice');
    expect(html(dashboard.body).querySelectorAll('.card-title')).toHaveLength(0);
    expect(await ownersInDatabase(proxyApp)).toEqual(['alice']);
  });
  it("refuses an OIDC account whose sub takes the proxy users' form, so it never gets a proxy user's bookmarks", async () => {
    const provider = await startTestProvider();
    cleanups.push(() => provider.close());
    const { target: database, drop } = await newBlankDatabase();
    cleanups.push(drop);
    await migrateDatabase(database);

    const proxyApp = await buildApp(testConfig({ database, trustProxy: ['127.0.0.1'], proxyAuth: proxySettings() }), { logger: false });
    const saved = await proxyApp.inject({
      method: 'POST',
      url: '/bookmarks',
      remoteAddress: '127.0.0.1',
      headers: { 'remote-user': 'alice', 'x-proxy-secret': SECRET, ...SAME_ORIGIN, ...FORM },
      payload: form({ url: 'https://proxy-alice.example/' }).payload,
    });
    expect(saved.statusCode).toBe(303);
    await proxyApp.close();

    const oidcApp = await buildTestApp(provider, { database });
    cleanups.push(() => oidcApp.close());
    const { callbackUrl, pendingCookie } = await authorizeAt(oidcApp, 'proxy|alice');
    const callback = await oidcApp.inject({ method: 'GET', url: callbackUrl.pathname + callbackUrl.search, headers: { cookie: pendingCookie } });
    expect(callback.statusCode).toBe(400);
    expect(html(callback.body).querySelector('.lead')?.textContent).toContain('starts with “proxy|”');
    const cookie = sessionCookieFrom(callback);
    const dashboard = await oidcApp.inject({ method: 'GET', url: '/dashboard', headers: cookie ? { cookie } : {} });
    expect(dashboard.statusCode).toBe(303);
    // Any other account signs in as before.
    expect((await oidcApp.inject({ method: 'GET', url: '/dashboard', headers: { cookie: await signIn(oidcApp, 'proxy-alice') } })).statusCode).toBe(200);
  });
});

describe('starting the server in proxy mode', () => {
  /** src/server.ts in production from an empty folder (so no .env is read), as `npm start` runs it. */
  function startServer(env: Record<string, string>): { exited: Promise<number | null>; output: () => string; stop: () => void } {
    const cwd = mkdtempSync(join(tmpdir(), 'bookmarks-proxy-start-'));
    const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src', 'server.ts')], {
      cwd,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        APP_BASE_URL: 'https://bookmarks.example.test',
        DATABASE_PATH: join(cwd, 'bookmarks.db'),
        LOG_LEVEL: 'warn',
        FETCH_SITES: 'none',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(cwd, { recursive: true, force: true });
    });
    return { exited, output: () => output, stop: () => child.kill('SIGTERM') };
  }

  it.each([
    ['no AUTH_PROXY_SECRET', { TRUST_PROXY: '127.0.0.1' }, 'AUTH_PROXY_SECRET is required with AUTH_MODE=proxy'],
    ['a secret of 31 characters', { TRUST_PROXY: '127.0.0.1', AUTH_PROXY_SECRET: 's'.repeat(31) }, 'AUTH_PROXY_SECRET must be at least 32 printable ASCII characters'],
    ['no TRUST_PROXY', { AUTH_PROXY_SECRET: SECRET }, "TRUST_PROXY must list the authenticating proxy's address"],
  ])('stops with exit code 1 and a clear message given %s', async (_case, env, message) => {
    const server = startServer({ AUTH_MODE: 'proxy', PORT: '0', ...env });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('Invalid configuration:');
    expect(server.output()).toContain(message);
    expect(server.output()).not.toContain(SECRET);
    expect(server.output()).not.toContain('s'.repeat(31));
  });

  it('starts in production with neither Auth0 settings nor a session secret, and starts no provider', async () => {
    const port = await freePort();
    const server = startServer({ AUTH_MODE: 'proxy', AUTH_PROXY_SECRET: SECRET, TRUST_PROXY: 'loopback', PORT: String(port) });
    const deadline = Date.now() + 20_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline) {
      healthy = await send(`http://127.0.0.1:${port}/healthz`).then((answer) => answer.status === 200, () => false);
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(healthy, server.output()).toBe(true);
    expectExplained(await send(`http://127.0.0.1:${port}/`));
    const signedIn = await send(`http://127.0.0.1:${port}/dashboard`, { headers: { 'remote-user': 'dana', 'x-proxy-secret': SECRET } });
    expect(greeting(signedIn)).toBe('Hello, dana');
    expect(server.output()).not.toMatch(/OpenID provider|oidc-provider/);
    server.stop();
    expect(await server.exited).toBe(0);
  });
});
