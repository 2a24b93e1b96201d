import { describe, expect, it } from 'vitest';
import { countHit } from '../../src/http/rate-limit-store.js';
import { as, followSignOutSteps, html, parseFragment, useSignedInApp } from '../helpers.js';

const LIMITS = { authPerIp: 6, writesPerUser: 3, apiFailedAuthPerIp: 4, windowMs: 60_000 };
// alice and bob sign in once for the file; the counters are emptied before every test.
const ctx = useSignedInApp({ rateLimits: LIMITS });

const add = (userName: string, url: string, options: { htmx?: boolean } = { htmx: true }) => {
  const user = as(ctx, userName);
  return (options.htmx ? user.htmx : user).post('/bookmarks', { url, title: '', tags: '' });
};
const plain = { htmx: false };

describe('rate limit on /auth/* per IP', () => {
  it('answers 429 with Retry-After and a friendly full page once the IP is over the limit', async () => {
    for (let i = 0; i < LIMITS.authPerIp; i++) expect((await as(ctx, null).get('/auth/login')).statusCode).toBe(302);
    const limited = await as(ctx, null).get('/auth/login');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const page = html(limited.body);
    expect(page.querySelector('h1')?.textContent).toBe('Slow down');
    expect(page.querySelector('.lead')?.textContent).toMatch(/wait \d+ seconds?/);
    expect(limited.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('counts each client IP separately and leaves other routes alone', async () => {
    for (let i = 0; i < LIMITS.authPerIp; i++) await as(ctx, null).get('/auth/login');
    expect((await as(ctx, null).get('/auth/login')).statusCode).toBe(429);
    expect((await ctx.app.inject({ method: 'GET', url: '/auth/login', remoteAddress: '10.0.0.2' })).statusCode).toBe(302);
    expect((await as(ctx, null).get('/')).statusCode).toBe(200);
    expect((await as(ctx, 'alice').get('/dashboard')).statusCode).toBe(200);
  });
});

describe('the address a per-IP limit counts', () => {
  const from = (remoteAddress: string, url = '/auth/login') => ctx.app.inject({ method: 'GET', url, remoteAddress });

  it('is an IPv6 client’s /64, which one host holds whole: new addresses within it share its limit, another /64 has its own', async () => {
    for (let i = 1; i <= LIMITS.authPerIp; i++) expect((await from(`2001:db8:1:2::${i.toString(16)}`)).statusCode).toBe(302);
    expect((await from('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).statusCode).toBe(429);
    expect((await from('2001:db8:1:3::1')).statusCode).toBe(302);
  });

  it('is the same for failed API sign-ins, which would otherwise be guesses without end', async () => {
    const guess = (remoteAddress: string) =>
      ctx.app.inject({ method: 'GET', url: '/api/v1/bookmarks', remoteAddress, headers: { authorization: `Bearer bm_${'x'.repeat(43)}` } });
    for (let i = 1; i <= LIMITS.apiFailedAuthPerIp; i++) expect((await guess(`2001:db8:5:6::${i}`)).statusCode).toBe(401);
    expect((await guess('2001:db8:5:6::ffff')).statusCode).toBe(429);
  });

  it('is an IPv4 client’s address however the socket writes it (a dual-stack listener gives ::ffff:192.0.2.7)', async () => {
    for (let i = 0; i < LIMITS.authPerIp / 2; i++) await from('192.0.2.7');
    for (let i = 0; i < LIMITS.authPerIp / 2; i++) await from('::ffff:192.0.2.7');
    expect((await from('192.0.2.7')).statusCode).toBe(429);
    expect((await from('::ffff:192.0.2.8')).statusCode).toBe(302);
  });
});

describe('sign-out under the /auth/* limit', () => {
  it('is never refused: an IP over the limit still goes through every step, each clearing the browser', async () => {
    for (let i = 0; i < LIMITS.authPerIp; i++) await as(ctx, null).get('/auth/login');
    expect((await as(ctx, null).get('/auth/login')).statusCode).toBe(429);
    const posted = await as(ctx, null).post('/auth/logout');
    expect([posted.statusCode, posted.headers.location]).toEqual([303, '/auth/signing-out']);
    await followSignOutSteps(ctx.app, posted);
    expect((await as(ctx, null).get('/auth/login')).statusCode).toBe(429);
  });
});

describe('rate limit on writes per signed-in user', () => {
  it('htmx: a 429 notice retargeted to #notice, with Retry-After, after the limit', async () => {
    for (let i = 0; i < 3; i++) expect((await add('alice', `https://a.example/${i}`)).statusCode).toBe(200);
    const limited = await add('alice', 'https://a.example/over');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['hx-retarget']).toBe('#notice');
    expect(limited.headers['hx-reswap']).toBe('innerHTML');
    expect(limited.body).not.toContain('<html');
    expect(parseFragment(limited.body).querySelector('.toast[role="alert"]')?.textContent).toMatch(/Too many requests/);
  });

  it('plain form post: the full 429 page; the refused write is not stored', async () => {
    for (let i = 0; i < 3; i++) await add('alice', `https://a.example/${i}`, plain);
    const limited = await add('alice', 'https://a.example/over', plain);
    expect(limited.statusCode).toBe(429);
    expect(html(limited.body).querySelector('h1')?.textContent).toBe('Slow down');
    const search = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=over');
    expect(search.statusCode).toBe(200);
    expect(parseFragment(search.body).querySelectorAll('.card')).toHaveLength(0);
  });

  it('counts each user separately, and never limits reads', async () => {
    for (let i = 0; i < 4; i++) await add('alice', `https://a.example/${i}`);
    expect((await add('bob', 'https://b.example/')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await as(ctx, 'alice').htmx.get('/bookmarks/search?q=a')).statusCode).toBe(200);
    }
  });

  it('edits and deletes count too; unknown routes do not', async () => {
    for (let i = 0; i < 5; i++) await as(ctx, 'alice').htmx.post('/no-such-route');
    expect((await add('alice', 'https://a.example/1')).statusCode).toBe(200);
    expect((await as(ctx, 'alice').htmx.delete('/bookmarks/999')).statusCode).toBe(404);
    expect((await as(ctx, 'alice').htmx.put('/bookmarks/999')).statusCode).toBe(404);
    expect((await as(ctx, 'alice').htmx.delete('/bookmarks/999')).statusCode).toBe(429);
  });

  it('counts in the shared counters, so hits another process counted there use up the same limit', async () => {
    // Another app process on the same database counts alice's writes and the IP's sign-ins under these keys.
    for (let i = 0; i < LIMITS.writesPerUser; i++) await countHit(ctx.app.counterDb, 'write:alice', LIMITS.windowMs);
    for (let i = 0; i < LIMITS.authPerIp; i++) await countHit(ctx.app.counterDb, 'auth:127.0.0.1', LIMITS.windowMs);
    expect((await add('alice', 'https://a.example/')).statusCode).toBe(429);
    expect((await add('bob', 'https://b.example/')).statusCode).toBe(200);
    expect((await as(ctx, null).get('/auth/login')).statusCode).toBe(429);
  });
});
