/** Only http and https addresses are ever stored. */
export function parseHttpUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An address typed into a form without its scheme ("example.com/page", "localhost:8080/x") is
 * read as https, as a browser's address bar reads it. One that names a scheme ("javascript:",
 * "ftp://…") stays as typed, for validation to refuse, and so does a bare word ("notes"): only
 * a host with a dot, localhost or an [IPv6 address] is taken for one.
 */
export function withAssumedScheme(typed: string): string {
  const trimmed = typed.trim();
  // "name:" followed by a digit is a host and its port, not a scheme.
  if (trimmed === '' || /^[a-z][a-z\d+.-]*:(?!\d)/i.test(trimmed)) return typed;
  const assumed = `https://${trimmed.replace(/^\/\//, '')}`;
  const { hostname } = parseHttpUrl(assumed) ?? { hostname: '' };
  return hostname.includes('.') || hostname === 'localhost' || hostname.startsWith('[') ? assumed : typed;
}

/**
 * Two addresses name the same page when their keys are equal. Stored URLs are
 * already normalised by the URL parser (scheme and host lowercased), so the key
 * only drops one slash at the end of the path: never in the query or fragment,
 * where a slash is data ("?a=1/" is not "?a=1").
 */
export function sameUrlKey(url: string): string {
  const pathEnd = pathEndOf(url);
  return url[pathEnd - 1] === '/' ? url.slice(0, pathEnd - 1) + url.slice(pathEnd) : url;
}

const pathEndOf = (url: string): number => {
  const queryOrFragment = url.search(/[?#]/u);
  return queryOrFragment === -1 ? url.length : queryOrFragment;
};

/**
 * Every spelling with the same sameUrlKey as `url` (with and without the slash
 * at the end of the path), so a duplicate is found by exact lookups on the url index.
 */
export function equivalentUrls(url: string): string[] {
  const key = sameUrlKey(url);
  const withSlash = `${key.slice(0, pathEndOf(key))}/${key.slice(pathEndOf(key))}`;
  return [...new Set([url, key, withSlash])].filter((spelling) => sameUrlKey(spelling) === key);
}
