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
 * The same address with its escaped non-ASCII characters written as themselves ("%E6%97%A5" as
 * "日"), which the URL parser reads back as the same href: it escapes them again, in capitals,
 * so only runs in capitals that make whole UTF-8 characters are unescaped. Escaped once more in a
 * query (a return address through the sign-in), each character then takes 9 characters where its
 * escape's escape ("%25E6%2597%25A5") took 15.
 */
export function withNonAsciiUnescaped(href: string): string {
  return href.replace(/(?:%[89A-F][0-9A-F])+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run; // not UTF-8: kept as it is
    }
  });
}

/**
 * An address typed into a form without its scheme ("example.com/page", "localhost:8080/x") is
 * read as https, as a browser's address bar reads it. Anything else stays as typed, for
 * validation to judge: an address with a scheme ("javascript:", "ftp://…"), and whatever does
 * not start with a host as people type one (typedHost): a bare word or number ("notes", "2024"),
 * an email address.
 */
export function withAssumedScheme(typed: string): string {
  const trimmed = typed.trim();
  // "name:" followed by a digit is a host and its port, not a scheme.
  if (/^[a-z][a-z\d+.-]*:(?!\d)/i.test(trimmed)) return typed;
  const address = trimmed.replace(/^\/\//, '');
  const host = /^[^/?#]*/.exec(address)![0].replace(/:\d*$/, '');
  const assumed = `https://${address}`;
  return typedHost(host) && parseHttpUrl(assumed) ? assumed : typed;
}

/**
 * Whether text is a host as people type one: localhost, a dotted quad, an [IPv6 address], or a
 * name of two or more labels whose last is not all digits ("3.14" is a number, "notes." a word).
 * Nothing with an "@": that would be a user name in front of the host.
 */
function typedHost(host: string): boolean {
  if (host === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || /^\[[\da-f:.]+\]$/i.test(host)) return true;
  const labels = host.split('.');
  return labels.length >= 2 && labels.every((label) => label !== '' && !/[\s@:[\]\\]/u.test(label)) && !/^\d+$/.test(labels.at(-1)!);
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
