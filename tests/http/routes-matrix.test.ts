import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { as, buildTestApp, html, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

/**
 * Every route, anonymous and signed in, each as a plain browser request and as
 * an htmx request. The expectations follow the route contract: full pages and
 * redirects for plain requests, fragments (or 401 + HX-Redirect) for htmx, and
 * Vary: HX-Request on every answer.
 */
const ctx = useSignedInApp();

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
  expect(parseFragment(response.body).querySelector(selector)).not.toBeNull();
};
/** An htmx request that errs gets the notice partial, retargeted into the page's #notice region. */
const htmxNotice = (status: number, message: string): Expect => (response) => {
  expect([response.statusCode, isFullPage(response)]).toEqual([status, false]);
  expect(response.headers['hx-retarget']).toBe('#notice');
  expect(response.headers['hx-reswap']).toBe('innerHTML');
  expect(parseFragment(response.body).querySelector('.toast[role="alert"]')?.textContent).toContain(message);
};
const htmxSignIn: Expect = (response) => {
  expect(response.statusCode).toBe(401);
  expect(response.headers['hx-redirect']).toBe('/');
  expect(response.headers.location).toBeUndefined();
};
const toProvider = (status: number): Expect => (response) => {
  expect(response.statusCode).toBe(status);
  expect(new URL(response.headers.location as string).origin).toBe(new URL(ctx.provider.issuer).origin);
};
const htmxToProvider: Expect = (response) => {
  expect(response.statusCode).toBe(200);
  expect(response.headers.location).toBeUndefined();
  expect(response.headers['hx-redirect']).toMatch(/^(\/auth\/login|http:\/\/127\.0\.0\.1:\d+\/)/);
};
/** Sign-out's first step leads to the app's own signing-out page (src/auth/sign-out.ts); htmx is told to load it. */
const toSigningOut = (status: number): Expect => (response) => {
  expect(response.statusCode).toBe(status);
  expect(response.headers.location).toBe('/auth/signing-out');
};
const htmxToSigningOut: Expect = (response) => {
  expect(response.statusCode).toBe(200);
  expect(response.headers.location).toBeUndefined();
  expect(response.headers['hx-redirect']).toBe('/auth/signing-out');
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
    // A saved or shared search: the sign-in comes back to it.
    'anonymous plain': redirectsTo(303, `/auth/login?${new URLSearchParams({ returnTo: '/bookmarks/search?q=kept' })}`),
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
  ['GET /bookmarks/new', { method: 'GET', url: '/bookmarks/new?url=https%3A%2F%2Fexample.org%2Fshared' }, {
    // Reached from elsewhere (a share sheet, the bookmarklet): the sign-in comes back to it.
    'anonymous plain': redirectsTo(303, `/auth/login?${new URLSearchParams({ returnTo: '/bookmarks/new?url=https%3A%2F%2Fexample.org%2Fshared' })}`),
    'anonymous htmx': htmxSignIn,
    'alice plain': page((d) => expect(d.querySelector('#bookmark-url')?.getAttribute('value')).toBe('https://example.org/shared')),
    'alice htmx': page((d) => expect(d.querySelector('h1')?.textContent).toBe('Save a link')),
  }],
  ['POST /bookmarks/new', { method: 'POST', url: '/bookmarks/new', body: { url: 'https://example.org/new', title: 'New', tags: '', popup: '0' } }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': htmxSignIn,
    'alice plain': redirectsTo(303, '/dashboard'),
    // The page's form is a plain one: the same answer.
    'alice htmx': redirectsTo(303, '/dashboard'),
  }],
  ['POST /bookmarks/lookup', { method: 'POST', url: '/bookmarks/lookup', body: { url: 'https://example.com/kept', title: '' } }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': htmxSignIn,
    'alice plain': redirectsTo(303, /^\/bookmarks\/new\?url=https%3A%2F%2Fexample\.com%2Fkept&/),
    'alice htmx': fragment('.lookup-note'),
  }],
  ['GET /favicons/:host', { method: 'GET', url: '/favicons/example.com' }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': htmxSignIn,
    'alice plain': (response) => expect([response.statusCode, response.headers['content-type']]).toEqual([200, 'image/svg+xml']),
    'alice htmx': (response) => expect([response.statusCode, response.headers['content-type']]).toEqual([200, 'image/svg+xml']),
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
    // Signed in, a callback with no login under way is Back or a reload onto a used one: nothing failed.
    'alice plain': redirectsTo(303, '/dashboard'),
    'alice htmx': redirectsTo(303, '/dashboard'),
  }],
  ['POST /auth/logout', { method: 'POST', url: '/auth/logout' }, {
    'anonymous plain': toSigningOut(303),
    'anonymous htmx': htmxToSigningOut,
    'alice plain': toSigningOut(303),
    'alice htmx': htmxToSigningOut,
  }],
  // Typed or linked from elsewhere, it asks: a GET that signed out would let any page sign its visitors out.
  ['GET /auth/logout', { method: 'GET', url: '/auth/logout' }, {
    'anonymous plain': redirectsTo(303, /^\/$/),
    'anonymous htmx': (response) => expect([response.statusCode, response.headers['hx-redirect']]).toEqual([200, '/']),
    'alice plain': (response) => {
      const form = html(response.body).querySelector('main form');
      expect([response.statusCode, response.headers['set-cookie'], form?.getAttribute('method'), form?.getAttribute('action'), form?.textContent?.includes('Sign out')])
        .toEqual([200, undefined, 'post', '/auth/logout', true]);
    },
    'alice htmx': (response) => expect(response.statusCode).toBe(200),
  }],
  ['GET /auth/signing-out', { method: 'GET', url: '/auth/signing-out' }, {
    'anonymous plain': (response) => expect([response.statusCode, html(response.body).querySelector('meta[http-equiv="refresh"]')?.getAttribute('content')]).toEqual([200, '0; url=/auth/signing-out/leave']),
    'anonymous htmx': (response) => expect(response.statusCode).toBe(200),
    'alice plain': (response) => expect(response.statusCode).toBe(200),
    'alice htmx': (response) => expect(response.statusCode).toBe(200),
  }],
  ['GET /auth/signing-out/leave', { method: 'GET', url: '/auth/signing-out/leave' }, toProviderForAll(303)],
  ['GET /nowhere', { method: 'GET', url: '/nowhere' }, {
    'anonymous plain': (response) => expect([response.statusCode, isFullPage(response)]).toEqual([404, true]),
    'anonymous htmx': htmxNotice(404, 'There is nothing here'),
    'alice plain': (response) => expect([response.statusCode, isFullPage(response)]).toEqual([404, true]),
    'alice htmx': htmxNotice(404, 'There is nothing here'),
  }],
];

describe.each(routes)('%s', (_name, route, expectations) => {
  it.each(Object.entries(expectations))('%s', async (who, expectation) => {
    existingId = (await setupBookmark(ctx.app.db, 'alice', { title: 'Kept words', url: 'https://example.com/kept' })).id;
    const user = as(ctx, who.startsWith('alice') ? 'alice' : null);
    const requests = who.endsWith('htmx') ? user.htmx : user;
    const url = typeof route.url === 'function' ? route.url() : route.url;
    const response = await (route.method === 'GET' ? requests.get(url) : route.method === 'DELETE' ? requests.delete(url) : requests.post(url, route.body));
    expectation(response);
    expect(String(response.headers.vary)).toMatch(/HX-Request/);
  });
});

describe('GET /healthz', () => {
  it('answers 503 when the database does not', async () => {
    // An app of its own, so closing its database leaves the file's shared app working.
    const app = await buildTestApp(ctx.provider);
    try {
      await app.db.close();
      const response = await as({ app, cookies: {} }, null).get('/healthz');
      expect(response.statusCode).toBe(503);
      expect(response.body).toBe('database unavailable');
    } finally {
      await app.close();
    }
  });
});
