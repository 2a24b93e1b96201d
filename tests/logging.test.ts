import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import type { LocalProvider } from '../src/dev/oidc-provider.js';
import type { Config } from '../src/config.js';
import { as, authorizeAt, newTestDatabase, providerSettings, sessionCookieFrom, startTestProvider, testConfig } from './helpers.js';

/**
 * A whole journey with the logger at trace level writing into memory; then the
 * log is searched for every secret the journey handled.
 */
let provider: LocalProvider;
let app: FastifyInstance;
const lines: string[] = [];
let config: Config;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  provider = await startTestProvider();
  // The run's engine, as buildTestApp would pick it; built by hand for the logger options.
  const database = await newTestDatabase();
  config = testConfig({ database: database.target });
  dropDatabase = database.drop;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  app = await buildApp({ ...config, oidc: providerSettings(provider) }, { logger: { level: 'trace', stream } });
});
afterAll(async () => {
  await app?.close();
  await dropDatabase?.();
  await provider?.close();
});

describe('logs', () => {
  it('hold no cookie, authorization code, state, nonce, PKCE verifier, token, API token, client secret or session key across a full journey', async () => {
    const secrets: Record<string, string> = {};

    // A refused callback first: its query string (code, state) must not be logged either.
    const refused = await authorizeAt(app, 'alice');
    const forged = new URL(refused.callbackUrl);
    forged.searchParams.set('state', 'forged-state-value-123');
    await app.inject({ method: 'GET', url: forged.pathname + forged.search, headers: { cookie: refused.pendingCookie } });
    secrets.refusedCode = refused.callbackUrl.searchParams.get('code')!;

    const { callbackUrl, pendingCookie } = await authorizeAt(app, 'alice');
    const pending = app.decodeSecureSession(decodeURIComponent(pendingCookie.slice('session='.length)))!.get('login')!;
    Object.assign(secrets, {
      pendingCookie: pendingCookie.slice('session='.length),
      code: callbackUrl.searchParams.get('code')!,
      state: pending.state,
      nonce: pending.nonce,
      codeVerifier: pending.codeVerifier,
      clientSecret: provider.clientSecret,
      sessionKeyHex: config.sessionKeys[0]!.toString('hex'),
      sessionKeyBase64: config.sessionKeys[0]!.toString('base64'),
    });
    // The provider's token response (access token, ID token) is read where openid-client fetches it.
    const realFetch = globalThis.fetch;
    let tokenResponse: { access_token?: string; id_token?: string } = {};
    globalThis.fetch = async (input, init) => {
      const response = await realFetch(input, init);
      const url = input instanceof Request ? input.url : String(input);
      if (url.startsWith(provider.issuer) && /\/token$/.test(new URL(url).pathname)) tokenResponse = await response.clone().json();
      return response;
    };
    let callback;
    try {
      callback = await app.inject({ method: 'GET', url: callbackUrl.pathname + callbackUrl.search, headers: { cookie: pendingCookie } });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(callback.statusCode).toBe(303);
    expect(tokenResponse.access_token).toEqual(expect.any(String));
    expect(tokenResponse.id_token).toMatch(/^eyJ/);
    secrets.accessToken = tokenResponse.access_token!;
    secrets.idToken = tokenResponse.id_token!;
    secrets.idTokenSignature = tokenResponse.id_token!.split('.')[2]!;
    const cookie = sessionCookieFrom(callback)!;
    secrets.sessionCookie = cookie.slice('session='.length);
    secrets.sessionCookieDecoded = decodeURIComponent(secrets.sessionCookie).split(';')[0]!;

    const alice = as({ app, cookies: { alice: cookie } }, 'alice');
    const added = await alice.htmx.post('/bookmarks', { url: 'https://logs.example/', title: 'Log me', tags: 'x' });
    expect(added.statusCode).toBe(200);
    const id = /id="bookmark-(\d+)"/.exec(added.body)![1];
    expect((await alice.htmx.get('/bookmarks/search?q=log')).statusCode).toBe(200);
    expect((await alice.htmx.put(`/bookmarks/${id}`, { url: 'https://logs.example/', title: 'Edited', tags: '' })).statusCode).toBe(200);
    expect((await alice.htmx.delete(`/bookmarks/${id}`)).statusCode).toBe(200);
    expect((await alice.get('/export')).statusCode).toBe(200);
    const created = await alice.htmx.post('/settings/tokens', { name: 'laptop', expiry: 'never' });
    expect(created.statusCode).toBe(201);
    secrets.apiToken = /id="new-token"[^>]*value="([^"]+)"/.exec(created.body)![1]!;
    const bearer = await app.inject({ method: 'GET', url: '/api/v1/bookmarks', headers: { authorization: `Bearer ${secrets.apiToken}` } });
    expect(bearer.statusCode).toBe(200);
    expect((await alice.post('/auth/logout')).statusCode).toBe(303);
    // Someone else's bearer header on an HTML route must not be logged either.
    await app.inject({ method: 'GET', url: '/dashboard', headers: { authorization: 'Bearer bm_supersecrettokenvalue123' } });
    secrets.bearer = 'bm_supersecrettokenvalue123';

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(20);
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(8);
      expect(log.includes(value), `${name} appears in the log`).toBe(false);
      expect(log.includes(encodeURIComponent(value)), `${name} (URL-encoded) appears in the log`).toBe(false);
    }
    expect(log).not.toMatch(/eyJ[\w-]{10,}/); // no JWT (ID or access token)
    expect(log).not.toMatch(/[?&](code|state)=/);
  });

  it('are structured JSON with a request id on every request line', () => {
    const entries = lines.map((line) => JSON.parse(line) as { reqId?: string; req?: { url: string }; msg: string });
    const incoming = entries.filter((e) => e.msg === 'incoming request');
    expect(incoming.length).toBeGreaterThan(5);
    for (const entry of incoming) expect(entry.reqId).toMatch(/^req-/);
    expect(incoming.some((e) => e.req?.url === '/auth/callback')).toBe(true);
    expect(entries.some((e) => e.msg === 'signed in')).toBe(true);
  });
});
