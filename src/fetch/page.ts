import { bomEncoding, charsetParameter, decodeText, encodingForLabel, metaEncoding, undeclaredEncoding } from './charset.js';
import { createHeadScanner, scanHeadInTurns, type HeadInfo, type IconLink } from './head.js';
import { decodedBody, fetchGuarded, readCapped, type FetchOptions } from './request.js';
import type { PageMetadata, PageResult } from './result.js';

/** Decompressed bytes read at most; a head that has not ended by then is not read further. */
export const PAGE_BYTE_LIMIT = 1024 * 1024;
/** The bookmark form's title limit, in characters. */
const TITLE_LIMIT = 500;
const DESCRIPTION_LIMIT = 1000;
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const HTML_ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1';

/** A word of a title, after the spaces and control characters that become one space between words. */
const WORD = /[\s\u0000-\u001f\u007f-\u009f]*([^\s\u0000-\u001f\u007f-\u009f]+)/y;

/** Control characters become spaces (as the bookmark form stores them), runs of whitespace one space. */
function clean(text: string | null | undefined, limit: number): string | null {
  // Word by word up to the limit, each word cut to room for `limit` characters (two units each,
  // and one for a pair cut in half): a title of a megabyte took 50 ms of the event loop to clean whole.
  const source = text ?? '';
  const words: string[] = [];
  let kept = 0;
  WORD.lastIndex = 0;
  for (let match; kept < limit && (match = WORD.exec(source)) !== null; ) {
    const word = match[1]!.slice(0, limit * 2 + 1);
    words.push(word);
    kept += [...word].length + (words.length > 1 ? 1 : 0);
  }
  const flat = words.join(' ');
  if (flat === '') return null;
  const characters = [...flat];
  return characters.length > limit ? characters.slice(0, limit).join('').trimEnd() : flat;
}

function httpUrl(href: string, base: URL): URL | null {
  try {
    const url = new URL(href.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** A real `sizes` list is a few tokens (Apple's longest about 100 characters); a page's is read only this far. */
const SIZES_READ = 300;
const SIZE_TOKEN = /^(\d{1,4})x\d{1,4}/i;

/**
 * How far the declared sizes are from the 32 px we keep; undeclared sits in the middle.
 * Token by token over a bounded prefix: a pattern searched through the whole attribute
 * backtracked over a long run of digits, stopping the process for minutes on one page.
 */
function sizeDistance(icon: IconLink): number {
  // Commas and semicolons separate too: pages write "16x16,32x32", though HTML says spaces.
  const widths = icon.sizes.slice(0, SIZES_READ).split(/[\s,;]+/).flatMap((token) => {
    const width = SIZE_TOKEN.exec(token)?.[1];
    return width === undefined ? [] : [Math.abs(Number(width) - 32)];
  });
  return widths.length === 0 ? 16 : Math.min(...widths);
}

/** The page's own raster icon nearest 32 px, else its apple-touch-icon, else /favicon.ico. SVG is skipped: fetchFavicon refuses it. */
function faviconUrl(head: HeadInfo, pageUrl: URL): string {
  const base = (head.baseHref !== null && httpUrl(head.baseHref, pageUrl)) || pageUrl;
  const candidates = head.icons
    .map((icon) => ({ icon, url: httpUrl(icon.href, base) }))
    .filter((c): c is { icon: IconLink; url: URL } => c.url !== null && c.icon.type !== 'image/svg+xml' && !c.url.pathname.toLowerCase().endsWith('.svg'));
  const icons = candidates.filter((c) => c.icon.rel.includes('icon')).map((c) => ({ ...c, distance: sizeDistance(c.icon) }));
  const best = icons.reduce<(typeof icons)[number] | undefined>((kept, c) => (kept && kept.distance <= c.distance ? kept : c), undefined);
  const touch = candidates.find((c) => !c.icon.rel.includes('icon'));
  return (best ?? touch)?.url.href ?? new URL('/favicon.ico', pageUrl).href;
}

function metadataFrom(head: HeadInfo, pageUrl: URL): PageMetadata {
  const meta = (name: string): string | undefined => head.metas.get(name);
  return {
    url: pageUrl.href,
    title: clean(head.title, TITLE_LIMIT) ?? clean(meta('og:title'), TITLE_LIMIT) ?? clean(meta('twitter:title'), TITLE_LIMIT),
    description:
      clean(meta('description'), DESCRIPTION_LIMIT) ??
      clean(meta('og:description'), DESCRIPTION_LIMIT) ??
      clean(meta('twitter:description'), DESCRIPTION_LIMIT),
    faviconUrl: faviconUrl(head, pageUrl),
  };
}

/**
 * Reads a page's title, description and icon address through the SSRF guard. Every
 * failure a user or a site can cause comes back as a value, never a throw.
 */
export async function fetchPageMetadata(input: string, options: FetchOptions = {}): Promise<PageResult> {
  return fetchGuarded(input, options, HTML_ACCEPT, async (url, response): Promise<PageResult> => {
    const contentType = response.headers['content-type'] ?? null;
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (!HTML_TYPES.has(mediaType)) return { ok: false, reason: 'not_html', contentType };
    const headerEncoding = encodingForLabel(charsetParameter(contentType));

    // First pass, while reading: only to learn where the head ends and what <meta charset> says.
    // The markup is ASCII in every encoding a page can declare, so a provisional decoder finds it
    // (and Node's windows-1252 bug, see charset.ts, touches only text, never markup).
    const probe = createHeadScanner();
    let probeDecoder: TextDecoder | undefined;
    const body = await readCapped(decodedBody(response), PAGE_BYTE_LIMIT, (chunk) => {
      probeDecoder ??= new TextDecoder(bomEncoding(chunk) ?? headerEncoding ?? 'windows-1252');
      return probe.write(probeDecoder.decode(chunk, { stream: true }));
    });

    // Precedence as in browsers: byte order mark, then the header, then the page's own <meta>.
    const encoding = bomEncoding(body.bytes) ?? headerEncoding ?? metaEncoding(probe.end().charset) ?? undeclaredEncoding(body.bytes);
    const metadata = metadataFrom(await scanHeadInTurns(decodeText(body.bytes, encoding)), url);
    // A head over the cap still gave us what it started with; fail only if that was nothing.
    if (body.capped && metadata.title === null && metadata.description === null) return { ok: false, reason: 'too_large', limit: PAGE_BYTE_LIMIT };
    return { ok: true, metadata };
  });
}
