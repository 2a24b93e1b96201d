import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import type { LocalProvider } from '../../src/dev/oidc-provider.js';
import { apiTokens } from '../../src/db/schema.js';
import { authenticateToken, createToken, hashSecret, listTokens, revokeToken } from '../../src/tokens/tokens.js';
import { buildTestApp, form, html, HTMX, SAME_ORIGIN, signIn, startTestProvider } from '../helpers.js';
import { createTokenViaSettings, expectProblem } from './support.js';

let provider: LocalProvider;
let app: FastifyInstance;

beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => provider.close());
beforeEach(async () => {
  app = await buildTestApp(provider);
});
afterEach(async () => app.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('token functions', () => {
  it('stores only the SHA-256 of a long, prefixed secret', () => {
    const { token, secret } = createToken(app.db, 'alice', 'cli');
    expect(secret).toMatch(/^bm_[A-Za-z0-9_-]{43}$/);
    const row = app.db.select().from(apiTokens).where(eq(apiTokens.id, token.id)).get()!;
    expect(row.tokenHash).toBe(hashSecret(secret));
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(token).not.toHaveProperty('tokenHash');
  });

  it('authenticates live tokens only, and records use at most once a minute', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { token, secret } = createToken(app.db, 'alice', 'cli', null, now);
    expect(authenticateToken(app.db, secret, now)).toMatchObject({ id: token.id, ownerSub: 'alice' });
    expect(listTokens(app.db, 'alice')[0]!.lastUsedAt).toEqual(now);
    authenticateToken(app.db, secret, new Date(now.getTime() + 30_000));
    expect(listTokens(app.db, 'alice')[0]!.lastUsedAt).toEqual(now);
    const later = new Date(now.getTime() + 61_000);
    authenticateToken(app.db, secret, later);
    expect(listTokens(app.db, 'alice')[0]!.lastUsedAt).toEqual(later);

    const expiring = createToken(app.db, 'alice', 'short', new Date(now.getTime() + 1000), now);
    expect(authenticateToken(app.db, expiring.secret, now)).not.toBeNull();
    expect(authenticateToken(app.db, expiring.secret, new Date(now.getTime() + 1000))).toBeNull();

    expect(revokeToken(app.db, 'bob', token.id)).toBe(false);
    expect(revokeToken(app.db, 'alice', token.id)).toBe(true);
    expect(authenticateToken(app.db, secret, later)).toBeNull();
    expect(authenticateToken(app.db, 'bm_' + 'A'.repeat(43))).toBeNull();
    expect(authenticateToken(app.db, 'nonsense')).toBeNull();
  });
});

describe('settings page', () => {
  it('needs a signed-in user', async () => {
    const page = await app.inject({ method: 'GET', url: '/settings' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/');
    const fragment = await app.inject({ method: 'POST', url: '/settings/tokens', ...form({ name: 'x' }), headers: { ...HTMX, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(fragment.statusCode).toBe(401);
  });

  it('is linked from the header and starts with no tokens', async () => {
    const cookie = await signIn(app, 'alice');
    const dashboard = html((await app.inject({ method: 'GET', url: '/dashboard', headers: { cookie } })).body);
    expect(dashboard.querySelector('.account a[href="/settings"]')?.textContent).toContain('Settings');
    const page = await app.inject({ method: 'GET', url: '/settings', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    const doc = html(page.body);
    expect(doc.querySelector('h1')?.textContent).toContain('API tokens');
    expect(doc.querySelector('form[action="/settings/tokens"][method="post"][hx-post="/settings/tokens"]')).not.toBeNull();
    expect(doc.querySelector('.token-empty')?.textContent).toContain('No tokens yet');
  });

  it('creates a token as a plain form post and shows the secret once, uncached', async () => {
    const cookie = await signIn(app, 'alice');
    const { payload, headers } = form({ name: 'Laptop script', expiry: '30' });
    const response = await app.inject({ method: 'POST', url: '/settings/tokens', payload, headers: { ...headers, ...SAME_ORIGIN, cookie } });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const doc = html(response.body);
    expect(doc.querySelector('html')).not.toBeNull();
    const secret = doc.querySelector('#new-token')!.getAttribute('value')!;
    expect(secret).toMatch(/^bm_/);
    const rows = doc.querySelectorAll('.token-row');
    expect(rows.length).toBe(1);
    expect(rows[0]!.querySelector('.token-name')?.textContent).toBe('Laptop script');
    expect(rows[0]!.textContent).toContain('never used');
    expect(rows[0]!.textContent).toContain('expires');

    const again = await app.inject({ method: 'GET', url: '/settings', headers: { cookie } });
    expect(again.body).not.toContain(secret);
    expect(html(again.body).querySelector('#new-token')).toBeNull();
  });

  it('creates a token through htmx and answers with the panel only', async () => {
    const cookie = await signIn(app, 'alice');
    const { payload, headers } = form({ name: 'extension' });
    const response = await app.inject({ method: 'POST', url: '/settings/tokens', payload, headers: { ...headers, ...HTMX, cookie } });
    expect(response.statusCode).toBe(201);
    expect(response.headers.vary).toContain('HX-Request');
    const doc = html(response.body);
    expect(doc.querySelector('html body main')).toBeNull();
    const panel = doc.querySelector('#token-panel')!;
    expect(panel.getAttribute('hx-target')).toBe('this');
    expect(panel.querySelector('#new-token')?.getAttribute('value')).toMatch(/^bm_/);
    expect(panel.querySelector('.token-name')?.textContent).toBe('extension');
  });

  it.each([
    ['', 'Give the token a name'],
    ['   ', 'Give the token a name'],
    ['x'.repeat(101), 'at most 100 characters'],
  ])('refuses the name %j with 422, with and without htmx', async (name, message) => {
    const cookie = await signIn(app, 'alice');
    for (const extra of [SAME_ORIGIN, HTMX]) {
      const { payload, headers } = form({ name });
      const response = await app.inject({ method: 'POST', url: '/settings/tokens', payload, headers: { ...headers, ...extra, cookie } });
      expect(response.statusCode).toBe(422);
      const doc = html(response.body);
      expect(doc.querySelector('#token-name-error')?.textContent).toContain(message);
      expect(doc.querySelector('#token-name')?.getAttribute('aria-invalid')).toBe('true');
      expect(doc.querySelector('#new-token')).toBeNull();
    }
    expect(listTokens(app.db, 'alice')).toEqual([]);
  });

  it.each(['7', 'forever', '__proto__', 'toString'])('refuses the expiry choice %j with 422 next to the field, creating nothing', async (expiry) => {
    const cookie = await signIn(app, 'alice');
    for (const extra of [SAME_ORIGIN, HTMX]) {
      const { payload, headers } = form({ name: 'script', expiry });
      const response = await app.inject({ method: 'POST', url: '/settings/tokens', payload, headers: { ...headers, ...extra, cookie } });
      expect(response.statusCode).toBe(422);
      const doc = html(response.body);
      expect(doc.querySelector('#token-expiry-error')?.textContent).toContain('Choose one of the offered expiry periods');
      expect(doc.querySelector('#token-expiry')?.getAttribute('aria-invalid')).toBe('true');
      expect((doc.querySelector('#token-name') as HTMLInputElement | null)?.getAttribute('value')).toBe('script');
      expect(doc.querySelector('#new-token')).toBeNull();
    }
    expect(listTokens(app.db, 'alice')).toEqual([]);
  });

  it('shows when each token expires, and which have expired', async () => {
    const cookie = await signIn(app, 'alice');
    const now = Date.now();
    const { payload, headers } = form({ name: 'month', expiry: '30' });
    expect((await app.inject({ method: 'POST', url: '/settings/tokens', payload, headers: { ...headers, ...SAME_ORIGIN, cookie } })).statusCode).toBe(201);
    createToken(app.db, 'alice', 'old', new Date(now - 3600 * 1000));
    const doc = html((await app.inject({ method: 'GET', url: '/settings', headers: { cookie } })).body);
    const row = (name: string) => [...doc.querySelectorAll('.token-row')].find((r) => r.querySelector('.token-name')?.textContent === name)!;
    const monthExpiry = Date.parse(row('month').querySelectorAll('time')[1]!.getAttribute('datetime')!);
    expect(Math.abs(monthExpiry - (now + 30 * 24 * 3600 * 1000))).toBeLessThan(60_000);
    expect(row('month').textContent).toMatch(/expires\s/);
    expect(row('old').textContent).toMatch(/expired\s/);
    expect(row('old').textContent).not.toMatch(/expires\s/);
  });

  it('escapes the token name everywhere it appears', async () => {
    const cookie = await signIn(app, 'alice');
    const name = '<img src=x onerror=alert(1)>"\'';
    await createTokenViaSettings(app, cookie, name);
    const page = await app.inject({ method: 'GET', url: '/settings', headers: { cookie } });
    expect(page.body).not.toContain('<img src=x');
    const row = html(page.body).querySelector('.token-row')!;
    expect(row.querySelector('.token-name')?.textContent).toBe(name);
    // User data never goes into hx-* attributes: the confirm text is generic.
    for (const element of row.querySelectorAll('*')) {
      for (const attribute of element.attributes) if (attribute.name.startsWith('hx-')) expect(attribute.value).not.toContain(name);
    }
    expect(row.querySelector('form')?.getAttribute('hx-confirm')).toBe('Revoke this token? Anything using it stops working at once.');
  });

  it('refuses a cross-site token creation', async () => {
    const cookie = await signIn(app, 'alice');
    const { payload, headers } = form({ name: 'evil' });
    const response = await app.inject({ method: 'POST', url: '/settings/tokens', payload, headers: { ...headers, cookie, 'sec-fetch-site': 'cross-site' } });
    expect(response.statusCode).toBe(403);
    expect(listTokens(app.db, 'alice')).toEqual([]);
  });
});

describe('token lifecycle', () => {
  it('create, use, last used shown, revoke through htmx, and the next request is refused', async () => {
    const cookie = await signIn(app, 'alice');
    const token = await createTokenViaSettings(app, cookie, 'cli');

    const first = await app.inject({ method: 'GET', url: '/api/v1/bookmarks', headers: bearer(token) });
    expect(first.statusCode).toBe(200);
    const [stored] = listTokens(app.db, 'alice');
    expect(stored!.lastUsedAt).toBeInstanceOf(Date);

    const page = html((await app.inject({ method: 'GET', url: '/settings', headers: { cookie } })).body);
    const row = page.querySelector(`#token-${stored!.id}`)!;
    expect(row.textContent).toContain('last used');
    expect(row.querySelector('time:nth-of-type(2)')?.getAttribute('datetime')).toBe(stored!.lastUsedAt!.toISOString());
    expect(row.querySelector(`form[action="/settings/tokens/${stored!.id}/delete"]`)?.getAttribute('hx-delete')).toBe(`/settings/tokens/${stored!.id}`);

    const revoke = await app.inject({ method: 'DELETE', url: `/settings/tokens/${stored!.id}`, headers: { ...HTMX, cookie } });
    expect(revoke.statusCode).toBe(200);
    const panel = html(revoke.body).querySelector('#token-panel')!;
    expect(panel.querySelector('.token-row')).toBeNull();

    const reuse = await app.inject({ method: 'GET', url: '/api/v1/bookmarks', headers: bearer(token) });
    const problem = expectProblem(reuse, 401);
    expect(problem.detail).toContain('revoked');
    expect(reuse.headers['www-authenticate']).toBe('Bearer realm="bookmarks", error="invalid_token"');
  });

  it('revokes with a plain form post and redirects back to settings', async () => {
    const cookie = await signIn(app, 'alice');
    const token = await createTokenViaSettings(app, cookie);
    const [stored] = listTokens(app.db, 'alice');
    const response = await app.inject({ method: 'POST', url: `/settings/tokens/${stored!.id}/delete`, headers: { ...SAME_ORIGIN, cookie } });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/settings');
    expectProblem(await app.inject({ method: 'GET', url: '/api/v1/tags', headers: bearer(token) }), 401);
  });

  it("cannot revoke another user's token: 404, and the token keeps working", async () => {
    const alice = await signIn(app, 'alice');
    const token = await createTokenViaSettings(app, alice);
    const [stored] = listTokens(app.db, 'alice');
    const bob = await signIn(app, 'bob');
    for (const request of [
      { method: 'DELETE' as const, url: `/settings/tokens/${stored!.id}`, headers: { ...HTMX, cookie: bob } },
      { method: 'POST' as const, url: `/settings/tokens/${stored!.id}/delete`, headers: { ...SAME_ORIGIN, cookie: bob } },
      { method: 'POST' as const, url: '/settings/tokens/abc/delete', headers: { ...SAME_ORIGIN, cookie: bob } },
    ]) {
      expect((await app.inject(request)).statusCode).toBe(404);
    }
    const bobsPage = await app.inject({ method: 'GET', url: '/settings', headers: { cookie: bob } });
    expect(html(bobsPage.body).querySelector('.token-row')).toBeNull();
    expect((await app.inject({ method: 'GET', url: '/api/v1/bookmarks', headers: bearer(token) })).statusCode).toBe(200);
  });

  it('is not accepted on the HTML routes', async () => {
    const { secret } = createToken(app.db, 'alice', 'cli');
    for (const url of ['/dashboard', '/settings', '/export']) {
      const response = await app.inject({ method: 'GET', url, headers: bearer(secret) });
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/');
    }
  });
});
