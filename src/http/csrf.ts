import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isApiRequest } from '../api/scope.js';
import { renderError } from './errors.js';
import { WRITE_METHODS } from './methods.js';

/**
 * Refuses state-changing requests sent by another site. Browsers send
 * Sec-Fetch-Site on every request; older ones fall back to Origin, and those from
 * before Origin on every POST (2019) to the Referer of the other site's page. SameSite=Lax
 * cookies are the second line, but proxy mode behind HTTP Basic auth has none.
 */
export function isCrossSiteWrite(request: FastifyRequest, appOrigin: string): boolean {
  if (!WRITE_METHODS.has(request.method)) return false;
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string') return fetchSite !== 'same-origin' && fetchSite !== 'none';
  const origin = request.headers.origin;
  if (typeof origin === 'string') return origin !== appOrigin;
  const referer = request.headers.referer;
  return typeof referer === 'string' && URL.parse(referer)?.origin !== appOrigin;
}

export function registerCsrfGuard(app: FastifyInstance, appOrigin: string): void {
  // A callback hook: it runs on every request and nearly always lets it through at once.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    // The JSON API ignores cookies, so a forged cross-site request carries no credentials:
    // nothing to guard, and browser extensions (which send their own Origin) must get through.
    if (isApiRequest(request) || !isCrossSiteWrite(request, appOrigin)) return done();
    request.log.warn({ origin: request.headers.origin, fetchSite: request.headers['sec-fetch-site'] }, 'cross-site write refused');
    renderError(request, reply, 403, 'Cross-site requests are not allowed.').then((html) => reply.send(html), done);
  });
}
