import type { FastifyReply, FastifyRequest } from 'fastify';

/** True for an htmx swap; a history-restore request needs the full page. */
export function isFragmentRequest(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true' && request.headers['hx-history-restore-request'] !== 'true';
}

/**
 * A 303 for the browser; htmx cannot follow a redirect to a page (or another origin),
 * so it is told to load the target itself.
 */
export function redirectToPage(request: FastifyRequest, reply: FastifyReply, target: string): FastifyReply {
  if (isFragmentRequest(request)) return reply.code(200).header('HX-Redirect', target).send();
  return reply.redirect(target, 303);
}

/**
 * Responses differ by HX-Request (a fragment or a page, 401 or a redirect), so
 * caches must key on it: added to every response, next to any other Vary.
 */
export function varyOnHtmx(reply: FastifyReply): void {
  const current = reply.getHeader('vary');
  // Nearly every answer has no Vary of its own yet: the common case without any parsing.
  if (current === undefined) {
    reply.header('Vary', 'HX-Request');
    return;
  }
  const values = (Array.isArray(current) ? current.join(',') : String(current ?? '')).split(',').map((v) => v.trim()).filter(Boolean);
  if (values.includes('*') || values.some((v) => v.toLowerCase() === 'hx-request')) return;
  reply.header('Vary', [...values, 'HX-Request'].join(', '));
}
