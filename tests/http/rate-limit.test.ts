import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { LocalProvider } from '../../src/dev/oidc-provider.js';
import { buildTestApp, form, html, HTMX, SAME_ORIGIN, signIn, startTestProvider } from '../helpers.js';

let provider: LocalProvider;
let app: FastifyInstance;
let alice: string;
let bob: string;

beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => provider.close());
beforeEach(async () => {
  app = await buildTestApp(provider, { rateLimits: { authPerIp: 6, writesPerUser: 3, windowMs: 60_000 } });
  alice = await signIn(app, 'alice'); // 2 auth requests each
  bob = await signIn(app, 'bob');
});
afterEach(async () => app.close());

const add = (cookie: string, url: string, headers: Record<string, string> = HTMX) =>
  app.inject({ method: 'POST', url: '/bookmarks', headers: { cookie, ...headers, ...form({}).headers }, payload: form({ url, title: '', tags: '' }).payload });

describe('rate limit on /auth/* per IP', () => {
  it('answers 429 with Retry-After and a friendly full page once the IP is over the limit', async () => {
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'GET', url: '/auth/login' })).statusCode).toBe(302);
    const limited = await app.inject({ method: 'GET', url: '/auth/login' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const page = html(limited.body);
    expect(page.querySelector('h1')?.textContent).toBe('Slow down');
    expect(page.querySelector('.lead')?.textContent).toMatch(/wait \d+ seconds?/);
    expect(limited.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('counts each client IP separately and leaves other routes alone', async () => {
    for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/auth/login' });
    expect((await app.inject({ method: 'GET', url: '/auth/login' })).statusCode).toBe(429);
    expect((await app.inject({ method: 'GET', url: '/auth/login', remoteAddress: '10.0.0.2' })).statusCode).toBe(302);
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: alice } })).statusCode).toBe(200);
  });
});

describe('rate limit on writes per signed-in user', () => {
  it('htmx: a 429 notice retargeted to #notice, with Retry-After, after the limit', async () => {
    for (let i = 0; i < 3; i++) expect((await add(alice, `https://a.example/${i}`)).statusCode).toBe(200);
    const limited = await add(alice, 'https://a.example/over');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['hx-retarget']).toBe('#notice');
    expect(limited.headers['hx-reswap']).toBe('innerHTML');
    expect(limited.body).not.toContain('<html');
    expect(html(`<div>${limited.body}</div>`).querySelector('[role="alert"]')?.textContent).toMatch(/Too many requests/);
  });

  it('plain form post: the full 429 page; the refused write is not stored', async () => {
    for (let i = 0; i < 3; i++) await add(alice, `https://a.example/${i}`, SAME_ORIGIN);
    const limited = await add(alice, 'https://a.example/over', SAME_ORIGIN);
    expect(limited.statusCode).toBe(429);
    expect(html(limited.body).querySelector('h1')?.textContent).toBe('Slow down');
    const search = await app.inject({ method: 'GET', url: '/bookmarks/search?q=over', headers: { cookie: alice, ...HTMX } });
    expect(search.statusCode).toBe(200);
    expect(html(`<div>${search.body}</div>`).querySelectorAll('.card')).toHaveLength(0);
  });

  it('counts each user separately, and never limits reads', async () => {
    for (let i = 0; i < 4; i++) await add(alice, `https://a.example/${i}`);
    expect((await add(bob, 'https://b.example/')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'GET', url: '/bookmarks/search?q=a', headers: { cookie: alice, ...HTMX } })).statusCode).toBe(200);
    }
  });

  it('edits and deletes count too; unknown routes do not', async () => {
    for (let i = 0; i < 5; i++) await app.inject({ method: 'POST', url: '/no-such-route', headers: { cookie: alice, ...HTMX } });
    expect((await add(alice, 'https://a.example/1')).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/bookmarks/999', headers: { cookie: alice, ...HTMX } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'PUT', url: '/bookmarks/999', headers: { cookie: alice, ...HTMX } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/bookmarks/999', headers: { cookie: alice, ...HTMX } })).statusCode).toBe(429);
  });
});
