/*
 * Where a form sent without JavaScript takes the user back to: the list they came from,
 * the dashboard or a search, read from the Referer (same-origin only, by the app's
 * Referrer-Policy) or from a form's own `back` field. Never another site, nor any other page.
 */

const LIST_PATHS = new Set(['/dashboard', '/bookmarks/search']);

/** The list `address` shows, as a path of this app: the search it names, else the dashboard. */
export function listPathFrom(address: string | undefined, appOrigin: string): string {
  let url: URL;
  try {
    url = new URL(address ?? '', appOrigin);
  } catch {
    return '/dashboard';
  }
  if (!address || url.origin !== appOrigin || !LIST_PATHS.has(url.pathname)) return '/dashboard';
  const search = url.searchParams.get('q');
  return search ? `/bookmarks/search?${new URLSearchParams({ q: search })}` : '/dashboard';
}

/** `path` with one more query parameter. */
export function withParam(path: string, name: string, value: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams({ [name]: value })}`;
}
