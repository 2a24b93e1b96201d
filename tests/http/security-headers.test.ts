import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/tokens/tokens.js';
import { as, form, SAME_ORIGIN, useSignedInApp } from '../helpers.js';
import { expectedHeaders, securityHeadersOf } from './expected-headers.js';

const AUTH_PER_IP = 10;
const ctx = useSignedInApp({ rateLimits: { authPerIp: AUTH_PER_IP, writesPerUser: 1000, apiPerToken: 1000, apiFailedAuthPerIp: 1000, windowMs: 60_000 } });

describe('security headers', () => {
  it('are the ones helmet sent, on every kind of answer', async () => {
    const expected = expectedHeaders();
    const token = (await createToken(ctx.app.db, 'alice', 'headers')).secret;
    const answers: [string, Promise<LightMyRequestResponse>][] = [
      ['the sign-in page', ctx.app.inject({ method: 'GET', url: '/' })],
      ['the dashboard', as(ctx, 'alice').get('/dashboard')],
      ['a fragment', as(ctx, 'alice').htmx.get('/bookmarks/search?q=x')],
      ['a redirect', ctx.app.inject({ method: 'GET', url: '/dashboard' })],
      ['a form error', ctx.app.inject({ method: 'POST', url: '/bookmarks', ...form({ url: 'nope' }), headers: { ...form({}).headers, ...SAME_ORIGIN, cookie: ctx.cookies.alice } })],
      ['a cross-site write refused', ctx.app.inject({ method: 'POST', url: '/bookmarks', headers: { 'sec-fetch-site': 'cross-site', cookie: ctx.cookies.alice } })],
      ['a missing page', ctx.app.inject({ method: 'GET', url: '/no-such-page' })],
      ['a static file', ctx.app.inject({ method: 'GET', url: '/static/app.css' })],
      ['htmx', ctx.app.inject({ method: 'GET', url: '/vendor/htmx.min.js' })],
      ['the health check', ctx.app.inject({ method: 'GET', url: '/healthz' })],
      ['an API answer', ctx.app.inject({ method: 'GET', url: '/api/v1/tags', headers: { authorization: `Bearer ${token}` } })],
      ['an API refusal', ctx.app.inject({ method: 'GET', url: '/api/v1/tags' })],
    ];
    for (const [name, answer] of answers) {
      const response = await answer;
      expect(securityHeadersOf(response.headers, expected), name).toEqual(expected);
    }
    // The rate limit answers from its own hook: the headers are already there.
    const remoteAddress = '10.0.0.9';
    for (let i = 0; i < AUTH_PER_IP; i++) await ctx.app.inject({ method: 'GET', url: '/auth/login', remoteAddress });
    const limited = await ctx.app.inject({ method: 'GET', url: '/auth/login', remoteAddress });
    expect(limited.statusCode).toBe(429);
    expect(securityHeadersOf(limited.headers, expected)).toEqual(expected);
  });
});
