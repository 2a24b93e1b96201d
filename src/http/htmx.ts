import type { FastifyReply, FastifyRequest } from 'fastify';

/** True for an htmx swap; a history-restore request needs the full page. */
export function isFragmentRequest(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true' && request.headers['hx-history-restore-request'] !== 'true';
}

/** Responses differ by HX-Request, so caches must key on it. */
export function varyOnHtmx(reply: FastifyReply): void {
  reply.header('Vary', 'HX-Request');
}
