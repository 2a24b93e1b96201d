import { connect } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createToken } from '../../src/tokens/tokens.js';
import { html, parseFragment, SAME_ORIGIN, useSignedInApp } from '../helpers.js';
import { expectedHeaders, securityHeadersOf } from './expected-headers.js';

/**
 * Requests Fastify refuses before any route runs (a malformed URL, an over-long id, a
 * method the HTTP parser does not know) or that no route takes (a method a path does
 * not accept): the same friendly page, or problem+json under /api/v1, with the same
 * security headers and Vary as every other answer, and no echo of what was sent.
 */
const ctx = useSignedInApp();

const LONG_ID = '9'.repeat(150);

function expectAnswerLikeTheApps(response: LightMyRequestResponse, sent: string): void {
  expect(securityHeadersOf(response.headers, expectedHeaders())).toEqual(expectedHeaders());
  expect(String(response.headers.vary)).toMatch(/HX-Request/);
  expect(response.body).not.toContain(sent);
  expect(response.body).not.toContain('FST_ERR');
}

describe('HTML answers Fastify or the router would give', () => {
  it.each([
    ['malformed percent-encoding in a path', 400, 'GET', '/bookmarks/%zz/edit', 'Bad request', undefined],
    ['malformed percent-encoding in a path no route has', 400, 'GET', '/%zz', 'Bad request', undefined],
    ['an id longer than the router takes', 414, 'GET', `/bookmarks/${LONG_ID}/edit`, 'Address too long', undefined],
    ['an unknown method', 405, 'PROPFIND', '/dashboard', 'Not allowed', 'GET, HEAD'],
    ['a method this path does not take', 405, 'PATCH', '/dashboard?q=x', 'Not allowed', 'GET, HEAD'],
    ['a method the bookmark does not take', 405, 'POST', '/bookmarks/1', 'Not allowed', 'GET, HEAD, PUT, DELETE'],
    ['any method on a path no route has', 404, 'PROPFIND', '/no-such-page', 'Not found', undefined],
  ] as const)('%s: %i, the friendly page, the app’s headers and no echo', async (_name, status, method, url, heading, allow) => {
    for (const cookie of [undefined, ctx.cookies.alice]) {
      const headers = { ...SAME_ORIGIN, ...(cookie ? { cookie } : {}) };
      const page = await ctx.app.inject({ method, url, headers });
      expect(page.statusCode).toBe(status);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(html(page.body).querySelector('h1')?.textContent).toBe(heading);
      expect(page.headers.allow).toBe(allow);
      expectAnswerLikeTheApps(page, url);

      // htmx gets the same message as a notice in the page's #notice region.
      const fragment = await ctx.app.inject({ method, url, headers: { ...headers, 'hx-request': 'true' } });
      expect(fragment.statusCode).toBe(status);
      expect(fragment.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(fragment.headers['hx-retarget']).toBe('#notice');
      expect(parseFragment(fragment.body).querySelector('.toast')?.textContent?.trim()).toBe(html(page.body).querySelector('.lead')?.textContent?.trim());
      expectAnswerLikeTheApps(fragment, url);
    }
  });
});

describe('API answers Fastify or the router would give', () => {
  it.each([
    // A 400 is the API's other 400s: invalid-request, naming path.
    ['malformed percent-encoding in a path', 400, 'GET', '/api/v1/bookmarks/%zz', undefined, 'tag:bookmarks,2026:problem/invalid-request'],
    ['an id longer than the router takes', 414, 'GET', `/api/v1/bookmarks/${LONG_ID}`, undefined, 'about:blank'],
    ['an unknown method', 405, 'PROPFIND', '/api/v1/bookmarks', 'GET, HEAD, POST', 'about:blank'],
    ['a method this path does not take', 405, 'PUT', '/api/v1/bookmarks/1', 'GET, HEAD, PATCH, DELETE', 'about:blank'],
    ['a method on a path no route has', 404, 'GET', '/api/v1/nothing', undefined, 'about:blank'],
  ] as const)('%s: %i as problem+json, the app’s headers and no echo', async (_name, status, method, url, allow, type) => {
    const authorization = `Bearer ${(await createToken(ctx.app.db, 'alice', 'errors')).secret}`;
    const response = await ctx.app.inject({ method, url, headers: { authorization } });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type, status });
    expect(response.headers.allow).toBe(allow);
    expectAnswerLikeTheApps(response, url);
  });
});

/** One request written by hand to the listening app, and its answer as text. */
async function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parseRawAnswer(answer: string): { status: number; headers: Record<string, string>; body: string } {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const [statusLine, ...lines] = head!.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine!.split(' ')[1]), headers, body: Buffer.from(rest.join('\r\n\r\n'), 'latin1').toString('utf8') };
}

describe('a request the HTTP parser refuses', () => {
  it.each([
    ['a page', '/dashboard', 'text/html; charset=utf-8'],
    ['the API', '/api/v1/bookmarks', 'application/problem+json; charset=utf-8'],
  ])('a method it does not know, for %s: 400 with the friendly answer and the security headers', async (_name, path, type) => {
    if (!ctx.app.server.listening) await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as { port: number };
    const answer = parseRawAnswer(await rawExchange(port, `FOO ${path}?%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe(type);
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(securityHeadersOf(answer.headers, expectedHeaders())).toEqual(expectedHeaders());
    expect(answer.headers.vary).toBe('HX-Request');
    expect(answer.body).not.toContain(path);
    if (type.startsWith('text/html')) expect(html(answer.body).querySelector('h1')?.textContent).toBe('Bad request');
    else expect(JSON.parse(answer.body)).toMatchObject({ type: 'about:blank', status: 400 });
  });
});
