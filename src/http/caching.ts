import type { FastifyInstance } from 'fastify';
import { isLoopbackHost } from '../config.js';

/**
 * How an answer holding someone's data is cached unless its route revalidates it
 * (src/http/revalidation.ts): not at all.
 */
export const PRIVATE_CACHE_CONTROL = 'no-store';

/**
 * Sent by sign-out's steps (src/auth/sign-out.ts): the browser drops this site's HTTP cache,
 * the pages in its back/forward cache, and its storage (htmx keeps history there).
 */
export const SIGN_OUT_CLEAR_SITE_DATA = '"cache", "storage"';

/**
 * Whether browsers honour Clear-Site-Data from this address: only from a secure context,
 * https or the machine itself (localhost, loopback addresses).
 */
export function honoursClearSiteData(appBaseUrl: URL): boolean {
  const host = appBaseUrl.hostname;
  // Browsers count every *.localhost name as this machine too.
  return appBaseUrl.protocol === 'https:' || isLoopbackHost(host) || host.endsWith('.localhost');
}

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
