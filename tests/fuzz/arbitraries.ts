import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { parseHttpUrl } from '../../src/bookmarks/urls.js';
import { LIMITS } from '../../src/bookmarks/validation.js';
import { HOSTILE_FILES } from '../transfer/hostile-files.js';

/**
 * Generators for whole HTTP requests against the HTML app and the JSON API, and the checks the
 * fuzz suite applies to every response and every stored row.
 */

/** Lone surrogates cannot be percent-encoded; the raw string still reaches bodies and headers. */
const wellFormed = (value: string): string => value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const enc = (value: string): string => encodeURIComponent(wellFormed(value));

/** Any generated markup carries this tag; seeing it raw in an HTML body means output was not escaped. */
export const MARKER = /<x-fuzz-\d+/;
const marker = fc.nat({ max: 99_999 }).map((n) => `<x-fuzz-${n}>"'&</x-fuzz-${n}>`);

const huge = fc.constantFrom(2047, 2048, 2049, 5000, 70_000).chain((length) =>
  fc.constantFrom('a', 'é', '😀', '%', '<').map((c) => c.repeat(length)),
);

const nasty = fc.constantFrom(
  '', ' ', '\u0000', '\r\n', '\t', '%', '%00', '%ff', '%%', '../..', '..%2f', '\\', '//', '#', '?', '&', '=', '+',
  'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', 'file:///etc/passwd',
  'http://', 'https://', 'http:///x', 'https://[::1]/', 'http://127.0.0.1:0/', 'https://xn--bcher-kva.example/',
  'https://ex ample.com', 'https://example.com/\u2028', 'https://example.com/%', 'HTTPS://EXAMPLE.COM/A',
  '"', "'", '`', '${x}', '{{ 7*7 }}', '{% raw %}', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
  '\u0000', '#a\u0000b', '"x\u0000y"', '\t', '\r\n', '\u001b[0m', '\u202e', '\ufeff', '\ud800', 'İ', 'ß', 'ǅ', 'ﬃ', 'Ⅻ', '#tag', '-#tag', '"unclosed', '-', 'NEAR(a b)', 'a OR b', '*', '^', ':',
  '1e3', '-1', '0', '9'.repeat(30), 'NaN', 'Infinity', '__proto__', 'constructor',
);

/**
 * Characters that look like nothing or like others: zero-width and joiners, bidi controls,
 * BOM, soft hyphen, fillers, variation selectors, fullwidth and compatibility forms.
 */
const LOOKALIKE_PARTS = [
  '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u200E', '\u200F', '\u061C', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E',
  '\u2066', '\u2067', '\u2068', '\u2069', '\u206A', '\u3164', '\uFFA0', '\u115F', '\uFE0F', '\u034F', '\u180E', '\u{E0041}', '\u{1D173}',
  'ｗｅｂ', 'Ｗ', '，', '＃', '　', 'ﬁ', 'ℌ', '①', '¨', 'w', 'e', 'b', ' ', ',', '#', '👨\u200D👩',
];
export const lookalike: fc.Arbitrary<string> = fc.array(fc.constantFrom(...LOOKALIKE_PARTS), { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''));

export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: lookalike },
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 3, arbitrary: nasty },
  { weight: 3, arbitrary: marker },
  { weight: 1, arbitrary: huge },
  { weight: 2, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), marker, nasty).map((parts) => parts.join('')) },
);

const urlish: fc.Arbitrary<string> = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(fc.constantFrom('http', 'https', 'HTTP', 'ftp', 'javascript', 'data'), fc.domain(), text).map(([s, d, p]) => `${s}://${d}/${encodeURI(wellFormed(p)).slice(0, 3000)}`),
  fc.tuple(fc.webUrl(), marker).map(([u, m]) => `${u}?q=${m}`),
  fc.tuple(fc.webUrl(), fc.constantFrom(2030, 2048, 2100)).map(([u, n]) => `${u}/${'x'.repeat(Math.max(0, n - u.length - 1))}`),
  text,
);

const tagsText: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 60 }), marker, nasty, lookalike), { maxLength: 25 })
    .chain((tags) => fc.constantFrom(', ', ' ', ',', '\n', '\u3000', '\u00a0').map((sep) => tags.join(sep))),
  text,
);

const id: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 60 }).map(String),
  fc.constantFrom('0', '-1', '01', '1.5', '1e3', '9007199254740993', '99999999999999999999', 'abc', '%00', '..', 'İ', '%E2%80%AE'),
  fc.string({ maxLength: 6 }).map(enc),
);

const garbagePath: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '/static/app.css', '/static/app.js', '/vendor/htmx.min.js', '/favicon.ico',
    '/static/../package.json', '/vendor/../../package.json', '/static/%2e%2e/src/app.ts', '//dashboard', '/dashboard/',
    '/DASHBOARD', '/bookmarks/', '/bookmarks//edit', '/%', '/%zz', '/\u0000', '/bookmarks/1/2', '/auth/', '/auth/../dashboard',
  ),
  text.map((t) => `/${enc(t).slice(0, 3000)}`),
  fc.string({ unit: 'binary', maxLength: 20 }).map((t) => `/bookmarks/${t.replace(/[?#]/g, '')}`),
);

/** Every real route with its own method, most of the time; otherwise any method on any path. */
const realRoute: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<[string, string]>(
    ['GET', '/'], ['GET', '/healthz'], ['GET', '/dashboard'], ['GET', '/bookmarks/search'], ['GET', '/bookmarks/search'],
    ['POST', '/bookmarks'], ['POST', '/bookmarks'], ['POST', '/bookmarks'], ['POST', '/bookmarks/restore'],
    ['GET', '/import'], ['POST', '/import'], ['POST', '/import'], ['GET', '/export'],
    ['GET', '/auth/login'], ['GET', '/auth/callback'], ['POST', '/auth/logout'],
    ['GET', '/settings'], ['POST', '/settings/tokens'], ['POST', '/settings/tokens'], ['GET', '/bookmarks/undo-notice'],
    ['GET', '/api/v1/bookmarks'], ['POST', '/api/v1/bookmarks'], ['POST', '/api/v1/bookmarks'], ['GET', '/api/v1/tags'], ['GET', '/api/v1/openapi.json'],
    ['GET', '/bookmarks/new'], ['GET', '/bookmarks/new'], ['POST', '/bookmarks/new'], ['POST', '/bookmarks/lookup'],
    ['GET', '/favicons/example.com'], ['GET', '/static/manifest.webmanifest'],
  ) },
  fc.string({ maxLength: 12 }).map((host): [string, string] => ['GET', `/favicons/${enc(host)}`]),
  id.map((i): [string, string] => ['GET', `/api/v1/bookmarks/${i}`]),
  id.map((i): [string, string] => ['PATCH', `/api/v1/bookmarks/${i}`]),
  id.map((i): [string, string] => ['DELETE', `/api/v1/bookmarks/${i}`]),
  id.map((i): [string, string] => ['DELETE', `/settings/tokens/${i}`]),
  id.map((i): [string, string] => ['POST', `/settings/tokens/${i}/delete`]),
  id.map((i): [string, string] => ['GET', `/bookmarks/${i}`]),
  id.map((i): [string, string] => ['GET', `/bookmarks/${i}/edit`]),
  id.map((i): [string, string] => ['PUT', `/bookmarks/${i}`]),
  id.map((i): [string, string] => ['PUT', `/bookmarks/${i}`]),
  id.map((i): [string, string] => ['POST', `/bookmarks/${i}/edit`]),
  id.map((i): [string, string] => ['DELETE', `/bookmarks/${i}`]),
  id.map((i): [string, string] => ['POST', `/bookmarks/${i}/delete`]),
);
const anyRoute: fc.Arbitrary<[string, string]> = fc.tuple(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  fc.oneof(realRoute.map(([, path]) => path), garbagePath),
);
const route = fc.oneof({ weight: 4, arbitrary: realRoute }, { weight: 1, arbitrary: anyRoute });

const queryKeys = ['q', 'after', 'undo', 'returnTo', 'code', 'state', 'error', 'iss', 'id', 'q[]', '__proto__', 'url', 'limit', 'cursor', 'title', 'text', 'description', 'tags', 'popup'];
const query: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(fc.constantFrom(...queryKeys), fc.oneof(text, urlish, fc.constantFrom('1700000000000.5', '0.0', '1.1.1', '100', '101', '-1'))), { maxLength: 4 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}` : '')),
  fc.constantFrom('?', '?&&', '?q', '?q=%', '?q=%zz', '?q=a&q=b', '?returnTo=//evil.example', '?q=%00', `?q=${'a'.repeat(70_000)}`),
);

const plainTags = fc.array(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { maxLength: 5 }).map((tags) => tags.join(', '));
const formFields = fc.record(
  {
    url: fc.oneof({ weight: 2, arbitrary: fc.webUrl({ withQueryParameters: true }) }, { weight: 3, arbitrary: urlish }),
    title: fc.oneof(fc.string({ maxLength: 30 }), text),
    description: fc.oneof(fc.string({ maxLength: 30 }), text),
    tags: fc.oneof(plainTags, tagsText),
    q: text,
    update: id,
    popup: fc.constantFrom('0', '1', '', 'yes'),
    token: text,
    name: text,
    expiry: fc.oneof(fc.constantFrom('never', '30', '90', '365', '7d'), text),
  },
  { requiredKeys: [] },
);

function netscapeFile(entries: { url: string; title: string; folder: string; tags: string; date: string }[]): string {
  const rows = entries.map((e) => `<DT><H3>${e.folder}</H3>\n<DL><p>\n<DT><A HREF="${e.url}" ADD_DATE="${e.date}" TAGS="${e.tags}">${e.title}</A>\n</DL><p>`);
  return `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n${rows.join('\n')}\n</DL><p>\n`;
}

const netscapeEntries: fc.Arbitrary<string> = fc.array(
  fc.record({ url: urlish, title: text, folder: text, tags: tagsText, date: fc.oneof(fc.nat().map(String), fc.constantFrom('', '-5', '1e30', '99999999999999999')) }),
  { maxLength: 8 },
).map(netscapeFile);

/**
 * Shapes that once made the parser's time grow with the square of the file (issue 17). In
 * any request they stay small; largeImport below posts them at sizes that held the old
 * parser for seconds to minutes.
 */
const hostileFile = (min: number, max: number): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...Object.values(HOSTILE_FILES)), fc.integer({ min, max })).map(([file, n]) => file(n));

const importFile: fc.Arbitrary<string> = fc.oneof(
  netscapeEntries,
  text,
  fc.constantFrom('<A HREF="https://a.example/">x', '<DL><DL><DL>', '</DL></DL>', '<H3>&#0;&#x110000;&#xD800;&bogus;</H3><DL><A HREF="https://b.example/">b</A>'),
  hostileFile(100, 20_000),
  fc.tuple(netscapeEntries, hostileFile(100, 20_000), netscapeEntries).map((parts) => parts.join('\n')),
);

function multipart(parts: { name: string; filename?: string; content: string }[], boundary: string): string {
  return parts
    .map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}\r\n` +
      `Content-Type: ${p.filename !== undefined ? 'text/html' : 'text/plain'}\r\n\r\n${p.content}\r\n`)
    .join('') + `--${boundary}--\r\n`;
}

type Body = { payload?: string | Buffer; contentType?: string };

/**
 * A signed-in user's import of a file shaped to be slow to parse, 100 KB to 2 MB, alone
 * or inside a browser's file: at these sizes the old parser took from seconds to minutes.
 */
export function largeImport(cookie: string): fc.Arbitrary<InjectOptions> {
  const file = fc.oneof(hostileFile(100_000, 2_000_000), fc.tuple(netscapeEntries, hostileFile(100_000, 2_000_000), netscapeEntries).map((parts) => parts.join('\n')));
  return fc.tuple(file, fc.boolean()).map(([content, htmx]) => ({
    method: 'POST',
    url: '/import',
    headers: {
      cookie,
      'sec-fetch-site': 'same-origin',
      'content-type': 'multipart/form-data; boundary=XfuzzBoundary',
      ...(htmx ? { 'hx-request': 'true' } : {}),
    },
    payload: multipart([{ name: 'file', filename: 'bookmarks.html', content }], 'XfuzzBoundary'),
    // How a failure names the file: its size and beginning, not megabytes of it.
    [fc.toStringMethod]: () => `POST /import (${htmx ? 'htmx' : 'no JavaScript'}) of ${content.length} characters: ${JSON.stringify(content.slice(0, 200))}…`,
  }));
}
const urlencodedBody: fc.Arbitrary<Body> = formFields.map((f) => ({ payload: new URLSearchParams(f as Record<string, string>).toString(), contentType: 'application/x-www-form-urlencoded' }));
const multipartBody: fc.Arbitrary<Body> = fc
  .tuple(
    fc.array(
      fc.record({
        name: fc.constantFrom('file', 'url', 'title', 'file', 'x'),
        filename: fc.option(fc.constantFrom('bookmarks.html', '', '../../x', '<x-fuzz-1>.html'), { nil: undefined }),
        content: importFile,
      }),
      { maxLength: 4 },
    ),
    fc.constantFrom('XfuzzBoundary', 'a', '----', 'x'.repeat(80)),
    fc.constantFrom('', '', '', 'missing', 'wrong'),
  )
  .map(([parts, boundary, twist]) => ({
    payload: multipart(parts, boundary),
    contentType: twist === 'missing' ? 'multipart/form-data' : `multipart/form-data; boundary=${twist === 'wrong' ? 'nope' : boundary}`,
  }));
const anyBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: urlencodedBody },
  { weight: 1, arbitrary: multipartBody },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.oneof(text, fc.json(), formFields.map((f) => JSON.stringify(f))),
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-16', 'text/html', 'application/xml', 'multipart/mixed', 'garbage', ''),
    ).map(([payload, contentType]) => ({ payload, contentType })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ payload: Buffer.from(bytes), contentType: 'application/x-www-form-urlencoded' })) },
);

/** A bookmark form that mostly passes the rules, so writes land and the stored-row checks have rows to read. */
const likelyValidForm: fc.Arbitrary<Body> = fc
  .record({
    url: fc.webUrl({ withQueryParameters: true, withFragments: true }),
    title: fc.oneof(fc.string({ maxLength: 40 }), marker, nasty, lookalike),
    description: fc.oneof(fc.constant(''), fc.string({ maxLength: 60 }), marker, nasty, lookalike),
    tags: fc.oneof(plainTags, tagsText),
  })
  .map((f) => ({ payload: new URLSearchParams(f).toString(), contentType: 'application/x-www-form-urlencoded' }));

/** JSON for the API: right and wrong types, nulls, unknown fields. */
const jsonValue = fc.oneof(text, urlish, fc.constant(null), fc.integer(), fc.array(text, { maxLength: 3 }), fc.constant({}));
const apiBody: fc.Arbitrary<Body> = fc
  .record(
    {
      url: fc.oneof({ weight: 3, arbitrary: fc.webUrl({ withQueryParameters: true }) }, { weight: 2, arbitrary: urlish }, { weight: 1, arbitrary: jsonValue }),
      title: fc.oneof(fc.string({ maxLength: 40 }), text, jsonValue),
      description: fc.oneof(fc.string({ maxLength: 40 }), text, jsonValue),
      tags: fc.oneof(fc.array(fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,12}$/), text, nasty, lookalike), { maxLength: 25 }), jsonValue),
      extra: jsonValue,
    },
    { requiredKeys: [] },
  )
  .chain((fields) => fc.boolean().map((keepExtra) => {
    const { extra, ...known } = fields;
    return JSON.stringify(keepExtra && extra !== undefined ? { ...known, extra } : known);
  }))
  .map((payload) => ({ payload, contentType: 'application/json' }));

/** Mostly the body a route expects, sometimes anything. */
const bodyFor = (method: string, path: string): fc.Arbitrary<Body> => {
  const expected = path.startsWith('/api/')
    ? apiBody
    : path.startsWith('/import')
      ? multipartBody
      : (method === 'POST' && (path === '/bookmarks' || path === '/bookmarks/new' || path === '/bookmarks/lookup')) || (method === 'PUT' && path.startsWith('/bookmarks/'))
        ? fc.oneof(likelyValidForm, urlencodedBody)
        : urlencodedBody;
  return fc.oneof({ weight: 4, arbitrary: expected }, { weight: 1, arbitrary: anyBody });
};

export type Identity = 'anonymous' | 'alice' | 'bob';
/** Each user's session cookie and API token. */
export interface Credentials { alice: string; bob: string; tokens: { alice: string; bob: string } }

const cookieFor = (who: Identity, cookies: Credentials): fc.Arbitrary<string | undefined> => {
  const own = who === 'anonymous' ? undefined : cookies[who];
  const malformed = fc.oneof(
    fc.constantFrom('session=', 'session=%', 'session=%zz', 'session=;', 'session', '=', ';;;', 'session="x"', 'session=a;session=b', `session=${'A'.repeat(5000)}`),
    text.map((t) => `session=${t.replace(/[\r\n]/g, '')}`),
    fc.base64String({ maxLength: 200 }).map((b) => `session=${encodeURIComponent(b)}`),
  );
  if (!own) return fc.oneof(fc.constant(undefined), malformed);
  const value = own.slice('session='.length);
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(own) },
    { weight: 1, arbitrary: fc.nat({ max: value.length - 1 }).map((i) => `session=${value.slice(0, i)}`) },
    { weight: 1, arbitrary: fc.nat({ max: value.length - 1 }).map((i) => `session=${value.slice(0, i)}${value[i] === 'A' ? 'B' : 'A'}${value.slice(i + 1)}`) },
    { weight: 1, arbitrary: fc.constant(`${own}; ${own}`) },
    { weight: 1, arbitrary: malformed },
  );
};

/** Mostly the identity's own token on the API, otherwise none, another's, or a broken one. */
const authorizationFor = (who: Identity, credentials: Credentials): fc.Arbitrary<string | undefined> => {
  const own = who === 'anonymous' ? undefined : credentials.tokens[who];
  const broken = fc.oneof(
    fc.constantFrom(undefined, 'Bearer', 'Bearer ', 'Basic YTpi', `Bearer bm_${'A'.repeat(43)}`, 'Bearer bm_short', `bearer  ${own ?? ''}`, `Bearer ${own ?? ''} extra`),
    text.map((t) => `Bearer ${t.replace(/[\r\n\u0000]/g, ' ')}`),
  );
  if (!own) return broken;
  return fc.oneof({ weight: 8, arbitrary: fc.constant(`Bearer ${own}`) }, { weight: 1, arbitrary: fc.constant(`Bearer ${own.slice(0, -1)}x`) }, { weight: 1, arbitrary: broken });
};

const headerValue = fc.oneof(text.map((t) => t.replace(/[\r\n\u0000]/g, ' ')), fc.constantFrom('true', 'false', 'True', '', 'same-origin', 'cross-site', 'none'));

export function request(who: Identity, credentials: Credentials): fc.Arbitrary<InjectOptions> {
  return fc
    .record({
      routeAndBody: route.chain(([method, path]) => bodyFor(method, path).map((b) => ({ method, path, b }))),
      query,
      cookie: cookieFor(who, credentials),
      authorization: authorizationFor(who, credentials),
      tokenOnHtml: fc.constantFrom(false, false, false, false, true),
      htmx: fc.constantFrom(true, true, false),
      fetchSite: fc.constantFrom<string | undefined>('same-origin', 'same-origin', 'same-origin', 'cross-site', 'none', undefined),
      extra: fc.dictionary(fc.constantFrom('hx-trigger', 'hx-target', 'hx-history-restore-request', 'hx-current-url', 'origin', 'accept', 'accept-language', 'referer', 'x-forwarded-for', 'user-agent', 'content-length'), headerValue, { maxKeys: 3 }),
    })
    .map(({ routeAndBody: { method, path, b }, query: q, cookie, authorization, tokenOnHtml, htmx, fetchSite, extra }) => {
      const headers: Record<string, string> = { ...extra };
      if (cookie !== undefined) headers.cookie = cookie;
      // A token goes where tokens belong, and sometimes where they do not (the HTML routes must ignore it).
      if (authorization !== undefined && (path.startsWith('/api/') || tokenOnHtml)) headers.authorization = authorization;
      if (htmx) headers['hx-request'] = 'true';
      if (fetchSite) headers['sec-fetch-site'] = fetchSite;
      if (b.contentType) headers['content-type'] = b.contentType;
      if (headers['content-length'] !== undefined) delete headers['content-length'];
      const withBody = method !== 'GET' && method !== 'HEAD' && b.payload !== undefined;
      return { method: method as InjectOptions['method'], url: `${path}${q}`, headers, ...(withBody ? { payload: b.payload } : {}) };
    });
}

export interface StoredRow { id: number; owner_sub: string; url: string; title: string; tags: string; description?: string }

/** Bidi embeddings, overrides, isolates and marks: never stored, in titles or tags. */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/** Invisible characters with no part in writing text: never in a title (joiners and selectors may be, for emoji and scripts). */
const INVISIBLE_IN_TITLES = /[\u00AD\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF0-\uFFF8\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E001F}\u{E0080}-\u{E00FF}\u{E01F0}-\u{E0FFF}]/u;
/** Nothing invisible at all in a tag: two tags that look the same are the same tag. */
const INVISIBLE_IN_TAGS = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E0FFF}]/u;

/** The input rules, checked on what is actually stored: returns the problems found. */
export function storedRowProblems(row: StoredRow): string[] {
  const problems: string[] = [];
  const url = parseHttpUrl(row.url);
  if (!url) problems.push('url is not http(s)');
  if (row.url.length > LIMITS.urlLength) problems.push(`url has ${row.url.length} characters`);
  if ([...row.title].length > LIMITS.titleLength) problems.push(`title has ${[...row.title].length} characters`);
  if (row.title.trim() === '') problems.push('title is empty');
  if (/\p{Cc}/u.test(row.title)) problems.push('title holds a control character');
  if (BIDI_CONTROLS.test(row.title)) problems.push('title holds a bidi control');
  if (INVISIBLE_IN_TITLES.test(row.title)) problems.push('title holds an invisible character');
  // A description follows the title's rules, except that it may be empty and keeps its line breaks (LF only, one empty line at most).
  const description = row.description ?? '';
  if ([...description].length > LIMITS.descriptionLength) problems.push(`description has ${[...description].length} characters`);
  if (description !== description.trim()) problems.push('description is not trimmed');
  if (/(?!\n)\p{Cc}/u.test(description)) problems.push('description holds a control character other than a line feed');
  if (/ \n/u.test(description)) problems.push('a line of the description ends in a space');
  if (/\n{3}/u.test(description)) problems.push('description holds more than one empty line in a row');
  if (BIDI_CONTROLS.test(description)) problems.push('description holds a bidi control');
  if (INVISIBLE_IN_TITLES.test(description)) problems.push('description holds an invisible character');
  if (row.tags !== '') {
    const tags = row.tags.split(' ');
    if (tags.length > LIMITS.tagCount) problems.push(`${tags.length} tags`);
    if (new Set(tags).size !== tags.length) problems.push('duplicate tags');
    for (const tag of tags) {
      if (tag === '') problems.push('empty tag (double separator)');
      if ([...tag].length > LIMITS.tagLength) problems.push(`tag of ${[...tag].length} characters`);
      if (tag !== tag.toLowerCase()) problems.push(`tag ${JSON.stringify(tag)} is not lowercase`);
      if (/[\s,]/u.test(tag)) problems.push(`tag ${JSON.stringify(tag)} contains a separator`);
      if (/\p{Cc}/u.test(tag)) problems.push(`tag ${JSON.stringify(tag)} holds a control character`);
      if (INVISIBLE_IN_TAGS.test(tag)) problems.push(`tag ${JSON.stringify(tag)} holds an invisible character or bidi control`);
      if (tag !== tag.normalize('NFKC')) problems.push(`tag ${JSON.stringify(tag)} is not folded (NFKC)`);
    }
  }
  return problems;
}
