import type http from 'node:http';
import type { AllowedHost } from '../src/fetch/index.js';
import { startServer, type TestServer } from './fetch/servers.js';

/*
 * Web sites for the app to fetch, on 127.0.0.1 only (closed after each test by
 * tests/fetch/servers.ts). The app reaches them because its test config allows
 * 127.0.0.1 (ALLOW_LOOPBACK); no other address is ever allowed, or looked up.
 */

/** FETCH_ALLOW_HOSTS=127.0.0.1: every port on loopback, for the sites tests start. */
export const ALLOW_LOOPBACK: readonly AllowedHost[] = Object.freeze([{ host: '127.0.0.1', port: null }]);

/** A real 1×1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

export interface Answer {
  status?: number;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
}

/** An HTML page with this head, as a site serves it. */
export const htmlPage = (head: string): Answer => ({
  headers: { 'content-type': 'text/html; charset=utf-8' },
  body: `<!doctype html><html><head>${head}</head><body><p>Body text</p></body></html>`,
});

/** Answers each path with its page (or handler); anything else is a 404. */
export function startSite(pages: Record<string, Answer | http.RequestListener>, options: { host?: string } = {}): Promise<TestServer> {
  return startServer((request, response) => {
    const page = pages[new URL(request.url ?? '/', 'http://site').pathname];
    if (typeof page === 'function') return page(request, response);
    if (!page) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(page.status ?? 200, page.headers ?? {}).end(page.body ?? '');
  }, options);
}

/** Requests the site received for a path. */
export const requestsFor = (site: TestServer, path: string): number => site.requests.filter((request) => request.url.split('?')[0] === path).length;
