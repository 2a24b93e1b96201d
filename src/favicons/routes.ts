import type { FastifyInstance, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../auth/session.js';
import { findFavicon, isUrlHost } from './favicons.js';
import { PRIVATE_CACHE_CONTROL } from '../http/caching.js';

/** Shown for a host without a stored icon: ours, so it is SVG; a fetched icon never is. */
const PLACEHOLDER = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><style>rect{fill:#e4e4ec}path{stroke:#6b6b7b}' +
    '@media (prefers-color-scheme:dark){rect{fill:#2c2c38}path{stroke:#a0a0b0}}</style>' +
    '<rect width="16" height="16" rx="4"/><path fill="none" stroke-width="1.3" stroke-linecap="round" ' +
    'd="M7 9.2a2.2 2.2 0 0 0 3.1 0l1.6-1.6a2.2 2.2 0 0 0-3.1-3.1l-.6.6M9 6.8a2.2 2.2 0 0 0-3.1 0L4.3 8.4a2.2 2.2 0 0 0 3.1 3.1l.6-.6"/></svg>',
);

/**
 * Icons are private (they tell which sites someone saved) but change rarely: the browser
 * keeps one for a day, as it keeps the placeholder for a site known to have none, and
 * sign-out's Clear-Site-Data drops them with the rest of the cache. While the icon is
 * being fetched (just after a save) the placeholder is not kept at all, so the next list
 * shows the icon; for a host never asked (an imported bookmark) it is kept a few minutes.
 * "Being fetched" is known only to the process fetching it: answered by another, the
 * placeholder is kept those few minutes, which costs a late icon, never a wrong one.
 */
const KNOWN_CACHE_CONTROL = 'private, max-age=86400';
const FETCHING_CACHE_CONTROL = PRIVATE_CACHE_CONTROL;
const NEVER_ASKED_CACHE_CONTROL = 'private, max-age=300';

/** GET /favicons/:host — the signed-in owner's icon for a host, from our own origin. */
export async function faviconRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireUser);

  app.get('/favicons/:host', async (request: FastifyRequest<{ Params: { host: string } }>, reply) => {
    const owner = currentUser(request).sub;
    const host = request.params.host.toLowerCase();
    const icon = isUrlHost(host) ? await findFavicon(app.db, owner, host) : null;
    // Never sniffed into anything else (nosniff is on every answer), and never a document of ours.
    reply.header('Content-Disposition', 'inline; filename="favicon"');
    if (icon) return reply.header('Cache-Control', KNOWN_CACHE_CONTROL).type(icon.contentType).send(icon.bytes);
    const caching =
      icon === null ? KNOWN_CACHE_CONTROL : app.pageLookups.isFetchingFavicon(owner, host) ? FETCHING_CACHE_CONTROL : NEVER_ASKED_CACHE_CONTROL;
    return reply.header('Cache-Control', caching).type('image/svg+xml').send(PLACEHOLDER);
  });
}
