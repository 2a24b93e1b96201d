import type { FastifyRequest } from 'fastify';

export const API_PREFIX = '/api/v1';

/**
 * Whether a request belongs to the JSON API, which authenticates by bearer token only.
 * The matched route decides, so no path trick reaches an HTML route; a URL no route
 * matched (a 404 inside the API) is judged by its prefix, so it too gets the API's answers.
 */
export function isApiRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined) return route.startsWith('/api/');
  return isApiPath(request.url);
}

/** Whether a URL (path and query) lies under the API's prefix. */
export function isApiPath(url: string): boolean {
  const path = url.split('?')[0]!;
  return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);
}
