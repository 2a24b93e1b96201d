import { decodeCursor } from '../bookmarks/search-plans.js';

/*
 * Where a plain form (without JavaScript, or the edit page of its own) takes the user back to:
 * the list they came from, the dashboard or a search, read from the Referer (same-origin only, by
 * the app's Referrer-Policy) or from a form's own `back` field. Never another site, nor any other page.
 */

const LIST_PATHS = new Set(['/dashboard', '/bookmarks/search']);

/**
 * The list `address` shows, as a path of this app: the search it names, from the page it was on
 * (a later page, reached by "Load more" without JavaScript, names its cursor), else the dashboard.
 */
export function listPathFrom(address: string | undefined, appOrigin: string): string {
  let url: URL;
  try {
    url = new URL(address ?? '', appOrigin);
  } catch {
    return '/dashboard';
  }
  if (!address || url.origin !== appOrigin || !LIST_PATHS.has(url.pathname)) return '/dashboard';
  const search = url.searchParams.get('q') ?? '';
  const after = url.searchParams.get('after') ?? '';
  if (decodeCursor(after)) return `/bookmarks/search?${new URLSearchParams({ q: search, after })}`;
  return search ? `/bookmarks/search?${new URLSearchParams({ q: search })}` : '/dashboard';
}

/** `path` with one more query parameter. */
export function withParam(path: string, name: string, value: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams({ [name]: value })}`;
}

/**
 * `path` cut to at most `maxLength` characters by shortening the query parameters named in
 * `cuttable`, in that order, each as little as needed and never inside a character. Unchanged
 * when it fits; still too long when they cannot make it fit.
 */
export function cutToFit(path: string, cuttable: readonly string[], maxLength: number): string {
  if (path.length <= maxLength) return path;
  const queryStart = path.indexOf('?');
  if (queryStart === -1) return path;
  const pathname = path.slice(0, queryStart);
  const params = new URLSearchParams(path.slice(queryStart + 1));
  const withValue = (name: string, characters: string[], kept: number): string => {
    params.set(name, characters.slice(0, kept).join(''));
    return `${pathname}?${params}`;
  };
  for (const name of cuttable) {
    const value = params.get(name);
    if (value === null) continue;
    const characters = [...value];
    if (withValue(name, characters, 0).length > maxLength) continue;
    // The most characters that fit: at least none, at most all (encoded anew, the whole may fit).
    let fits = 0;
    let tooMany = characters.length + 1;
    while (tooMany - fits > 1) {
      const middle = Math.floor((fits + tooMany) / 2);
      if (withValue(name, characters, middle).length <= maxLength) fits = middle;
      else tooMany = middle;
    }
    return withValue(name, characters, fits);
  }
  return `${pathname}?${params}`;
}
