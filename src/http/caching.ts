import type { FastifyInstance } from 'fastify';

/**
 * How an answer holding someone's data may be cached: not at all, since Back after sign-out
 * shows what the browser kept. `private, no-cache` is not enough for full pages: Chromium 156
 * then restores them from its back/forward cache after sign-out. Clear-Site-Data drops the
 * pages already in that cache, but the page the user signs out from enters it only when the
 * next page commits, after the header was read (tests/e2e/sign-out-history.e2e.ts fails on
 * that page with `private, no-cache`).
 */
export const PRIVATE_CACHE_CONTROL = 'no-store';

/** Sent by sign-out: the browser drops this site's HTTP cache and its storage (htmx keeps history there). */
export const SIGN_OUT_CLEAR_SITE_DATA = '"cache", "storage"';

/**
 * Every answer to a signed-in browser or an API token holder is private, whatever the route
 * (fragments and error pages included), unless the route chose its own caching: static files.
 */
export function registerPrivateCaching(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if ((request.user || request.apiToken) && !reply.hasHeader('cache-control')) reply.header('Cache-Control', PRIVATE_CACHE_CONTROL);
    done(null, payload);
  });
}
