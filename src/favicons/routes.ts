import type { FastifyInstance, FastifyRequest } from 'fastify';
import { currentUser, requireUser } from '../auth/session.js';
import { findFavicon, HOST_PATTERN } from './favicons.js';

/** Shown for a host without a stored icon: ours, so it is SVG; a fetched icon never is. */
const PLACEHOLDER = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><style>rect{fill:#e4e4ec}path{stroke:#6b6b7b}' +
    '@media (prefers-color-scheme:dark){rect{fill:#2c2c38}path{stroke:#a0a0b0}}</style>' +
    '<rect width="16" height="16" rx="4"/><path fill="none" stroke-width="1.3" stroke-linecap="round" ' +
    'd="M7 9.2a2.2 2.2 0 0 0 3.1 0l1.6-1.6a2.2 2.2 0 0 0-3.1-3.1l-.6.6M9 6.8a2.2 2.2 0 0 0-3.1 0L4.3 8.4a2.2 2.2 0 0 0 3.1 3.1l.6-.6"/></svg>',
);

/**
 * Icons are private (they tell which sites someone saved) but change rarely: the browser
 * keeps a stored one for a day, and sign-out's Clear-Site-Data drops it with the rest of
 * the cache. The placeholder is asked for again each time, so an icon fetched a moment
 * after a save shows up on the next list.
 */
const STORED_CACHE_CONTROL = 'private, max-age=86400';
const PLACEHOLDER_CACHE_CONTROL = 'private, no-cache';

/** GET /favicons/:host — the signed-in owner's icon for a host, from our own origin. */
export async function faviconRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireUser);

  app.get('/favicons/:host', async (request: FastifyRequest<{ Params: { host: string } }>, reply) => {
    const host = request.params.host.toLowerCase();
    const icon = HOST_PATTERN.test(host) ? await findFavicon(app.db, currentUser(request).sub, host) : undefined;
    // Never sniffed into anything else (nosniff is on every answer), and never a document of ours.
    reply.header('Content-Disposition', 'inline; filename="favicon"');
    if (!icon) return reply.header('Cache-Control', PLACEHOLDER_CACHE_CONTROL).type('image/svg+xml').send(PLACEHOLDER);
    return reply.header('Cache-Control', STORED_CACHE_CONTROL).type(icon.contentType).send(icon.bytes);
  });
}
