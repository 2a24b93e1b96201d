import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { form, html, SAME_ORIGIN, setupBookmark, useSignedInApp } from '../helpers.js';

/**
 * Every route, anonymous and signed in, each as a plain browser request and as
 * an htmx request. The expectations follow the route contract: full pages and
 * redirects for plain requests, fragments (or 401 + HX-Redirect) for htmx, and
 * Vary: HX-Request on every answer.
 */
const t = useSignedInApp();

type Who = 'anonymous' | 'alice';
interface Case {
  method: 'GET' | 'POST' | 'DELETE';
  url: string | (() => string);
  body?: Record<string, string>;
}
type Expect = (response: LightMyRequestResponse) => void;

const isFullPage = (response: LightMyRequestResponse): boolean => /^<!doctype html>/i.test(response.body.trim());
const redirectsTo = (status: number, location: string | RegExp): Expect => (response) => {
  expect(response.statusCode).toBe(status);
  expect(response.headers.location).toMatch(location);
};
const page = (check: (document: Document) => void = () => {}): Expect => (response) => {
  expect(response.statusCode).toBe(200);
  expect(isFullPage(response)).toBe(true);
  check(html(response.body));
};
const fragment = (selector: string): Expect => (response) => {
  expect(response.statusCode).toBe(200);
  expect(isFullPage(response)).toBe(false);
  expect(html(`<div>${response.body}</div>`).querySelector(selector)).not.toBeNull();
};
const htmxSignIn: Expect = (response) => {
  expect(response.statusCode).toBe(401);
  expect(response.headers['hx-redirect']).toBe('/');
  expect(response.headers.location).toBeUndefined();
};
const toProvider = (status: number): Expect => (response) => {
  expect(response.statusCode).toBe(status);
  expect(new URL(response.headers.location as string).origin).toBe(new URL(t.provider.issuer).origin);
};
const htmxToProvider: Expect = (response) => {
  expect(response.statusCode).toBe(200);
  expect(response.headers.location).toBeUndefined();
  expect(response.headers['hx-redirect']).toMatch(/^(\/auth\/login|http:\/\/127\.0\.0\.1:\d+\/)/);
};
/** Signed in or not, a plain request is redirected to the provider with `status`; htmx is told to go there itself. */
const toProviderForAll = (status: number) => ({
  'anonymous plain': toProvider(status),
  'anonymous htmx': htmxToProvider,
  'alice plain': toProvider(status),
  'alice htmx': htmxToProvider,
});

let existingId = 0;
const routes: [string, Case, Record<`${Who} ${'plain' | 'htmx'}`, Expect>][] = [
  ['GET /', { method: 'GET', url: '/' }, {
    'anonymous plain': page((d) => expect(d.querySelector('a[href="/auth/login"]')).not.toBeNull()),
    'anonymous htmx': page((d) => expect(d.querySelector('a[href="/auth/login"]')).not.toBeNull()),
    'alice plain': redirectsTo(303, '/dashboard'),
    'alice htmx': redirectsTo(303, '/dashboard'),
  }],
  ['GET /dashboard', { method: 'GET', url: '/dashboard' }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': htmxSignIn,
    'alice plain': page((d) => expect(d.querySelector('h1')?.textContent).toContain('alice')),
    'alice htmx': page((d) => expect(d.querySelector('#bookmark-list')).not.toBeNull()),
  }],
  ['GET /bookmarks/search', { method: 'GET', url: '/bookmarks/search?q=kept' }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': htmxSignIn,
    'alice plain': page((d) => expect(d.querySelector('#search-input')?.getAttribute('value')).toBe('kept')),
    'alice htmx': fragment('#bookmark-list .card'),
  }],
  ['POST /bookmarks', { method: 'POST', url: '/bookmarks', body: { url: 'https://example.org/new', title: 'New', tags: '' } }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': htmxSignIn,
    'alice plain': redirectsTo(303, '/dashboard'),
    'alice htmx': fragment('#bookmark-form'),
  }],
  ['DELETE /bookmarks/:id', { method: 'DELETE', url: () => `/bookmarks/${existingId}` }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': htmxSignIn,
    'alice plain': (response) => expect(response.statusCode).toBe(204),
    'alice htmx': (response) => {
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('');
    },
  }],
  ['GET /healthz', { method: 'GET', url: '/healthz' }, {
    'anonymous plain': (response) => expect([response.statusCode, response.body]).toEqual([200, 'ok']),
    'anonymous htmx': (response) => expect([response.statusCode, response.body]).toEqual([200, 'ok']),
    'alice plain': (response) => expect([response.statusCode, response.body]).toEqual([200, 'ok']),
    'alice htmx': (response) => expect([response.statusCode, response.body]).toEqual([200, 'ok']),
  }],
  ['GET /auth/login', { method: 'GET', url: '/auth/login' }, toProviderForAll(302)],
  ['GET /auth/callback (no login under way)', { method: 'GET', url: '/auth/callback?code=x&state=y' }, {
    'anonymous plain': (response) => expect([response.statusCode, html(response.body).querySelector('a[href="/auth/login"]') !== null]).toEqual([400, true]),
    'anonymous htmx': (response) => expect(response.statusCode).toBe(400),
    'alice plain': (response) => expect(response.statusCode).toBe(400),
    'alice htmx': (response) => expect(response.statusCode).toBe(400),
  }],
  ['POST /auth/logout', { method: 'POST', url: '/auth/logout' }, toProviderForAll(303)],
  ['GET /nowhere', { method: 'GET', url: '/nowhere' }, {
    'anonymous plain': (response) => expect([response.statusCode, isFullPage(response)]).toEqual([404, true]),
    'anonymous htmx': (response) => expect([response.statusCode, isFullPage(response)]).toEqual([404, false]),
    'alice plain': (response) => expect([response.statusCode, isFullPage(response)]).toEqual([404, true]),
    'alice htmx': (response) => expect([response.statusCode, isFullPage(response)]).toEqual([404, false]),
  }],
];

describe.each(routes)('%s', (_name, route, expectations) => {
  it.each(Object.entries(expectations))('%s', async (who, expectation) => {
    existingId = setupBookmark(t.app.db, 'alice', { title: 'Kept words', url: 'https://example.com/kept' }).id;
    const cookie = who.startsWith('alice') ? t.alice : undefined;
    const htmx = who.endsWith('htmx') ? { 'hx-request': 'true' } : {};
    const payload = route.body ? form(route.body) : undefined;
    const response = await t.app.inject({
      method: route.method,
      url: typeof route.url === 'function' ? route.url() : route.url,
      headers: { ...SAME_ORIGIN, ...htmx, ...(cookie ? { cookie } : {}), ...payload?.headers },
      ...(payload ? { payload: payload.payload } : {}),
    });
    expectation(response);
    expect(String(response.headers.vary)).toMatch(/HX-Request/);
  });
});

describe('GET /healthz', () => {
  it('answers 503 when the database does not', async () => {
    t.app.db.$client.close();
    const response = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('database unavailable');
  });
});
