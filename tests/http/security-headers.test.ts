import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/tokens/tokens.js';
import { form, HTMX, SAME_ORIGIN, useSignedInApp } from '../helpers.js';
import { expectedHeaders, securityHeadersOf } from './expected-headers.js';

const AUTH_PER_IP = 10;
const t = useSignedInApp({ rateLimits: { authPerIp: AUTH_PER_IP, writesPerUser: 1000, apiPerToken: 1000, apiFailedAuthPerIp: 1000, windowMs: 60_000 } });

describe('security headers', () => {
  it('are the ones helmet sent, on every kind of answer', async () => {
    const expected = expectedHeaders(new URL(t.provider.issuer).origin);
    const token = createToken(t.app.db, 'alice', 'headers').secret;
    const answers: [string, Promise<LightMyRequestResponse>][] = [
      ['the sign-in page', t.app.inject({ method: 'GET', url: '/' })],
      ['the dashboard', t.app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: t.alice } })],
      ['a fragment', t.app.inject({ method: 'GET', url: '/bookmarks/search?q=x', headers: { ...HTMX, cookie: t.alice } })],
      ['a redirect', t.app.inject({ method: 'GET', url: '/dashboard' })],
      ['a form error', t.app.inject({ method: 'POST', url: '/bookmarks', ...form({ url: 'nope' }), headers: { ...form({}).headers, ...SAME_ORIGIN, cookie: t.alice } })],
      ['a cross-site write refused', t.app.inject({ method: 'POST', url: '/bookmarks', headers: { 'sec-fetch-site': 'cross-site', cookie: t.alice } })],
      ['a missing page', t.app.inject({ method: 'GET', url: '/no-such-page' })],
      ['a static file', t.app.inject({ method: 'GET', url: '/static/app.css' })],
      ['htmx', t.app.inject({ method: 'GET', url: '/vendor/htmx.min.js' })],
      ['the health check', t.app.inject({ method: 'GET', url: '/healthz' })],
      ['an API answer', t.app.inject({ method: 'GET', url: '/api/v1/tags', headers: { authorization: `Bearer ${token}` } })],
      ['an API refusal', t.app.inject({ method: 'GET', url: '/api/v1/tags' })],
    ];
    for (const [name, answer] of answers) {
      const response = await answer;
      expect(securityHeadersOf(response.headers, expected), name).toEqual(expected);
    }
    // The rate limit answers from its own hook: the headers are already there.
    const remoteAddress = '10.0.0.9';
    for (let i = 0; i < AUTH_PER_IP; i++) await t.app.inject({ method: 'GET', url: '/auth/login', remoteAddress });
    const limited = await t.app.inject({ method: 'GET', url: '/auth/login', remoteAddress });
    expect(limited.statusCode).toBe(429);
    expect(securityHeadersOf(limited.headers, expected)).toEqual(expected);
  });
});
