/**
 * The Netscape bookmark file: the HTML that Chrome, Firefox, Safari, Edge and
 * linkding export and import. Parsing is tolerant (browsers disagree on
 * closing tags and case); output follows the common dialect, with TAGS as
 * Firefox and linkding write it.
 */
export interface NetscapeEntry {
  url: string;
  title: string;
  /** Folder names on the way down, outermost first, without the browser's root containers. */
  folders: string[];
  /** Firefox's and linkding's TAGS attribute, comma separated. */
  tags: string[];
  addDate: Date | null;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', mdash: '—', ndash: '–', hellip: '…',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™', euro: '€', middot: '·',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (entity, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

function attributes(source: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const match of source.matchAll(/([a-z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    result.set(match[1]!.toUpperCase(), decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return result;
}

const stripTags = (html: string): string => html.replace(/<[^>]*>/g, '');
const cleanText = (html: string): string => decodeEntities(stripTags(html)).replace(/\s+/g, ' ').trim();

function parseAddDate(value: string | undefined): Date | null {
  if (!value || !/^\d{1,16}$/.test(value)) return null;
  const number = Number(value);
  // Seconds in every browser; some tools write milliseconds or microseconds.
  const ms = number > 1e14 ? number / 1000 : number > 1e11 ? number : number * 1000;
  const date = new Date(Math.round(ms));
  return Number.isNaN(date.getTime()) || date.getTime() <= 0 ? null : date;
}

/** Names browsers give their root containers; a folder of the user's own may carry one too. */
const ROOT_FOLDERS = new Set(
  ['bookmarks', 'bookmarks bar', 'bookmarks toolbar', 'bookmarks menu', 'other bookmarks', 'mobile bookmarks',
    'favorites', 'favorites bar', 'favourites', 'bookmarksbar', 'bookmarksmenu', 'imported', 'menu', 'toolbar', 'unfiled'],
);
/** Firefox marks its toolbar and "Other Bookmarks" roots, whatever the language of their names. */
const ROOT_MARKERS = ['PERSONAL_TOOLBAR_FOLDER', 'UNFILED_BOOKMARKS_FOLDER'];

interface OpenFolder {
  name: string;
  /** A browser root container (or a list without a heading): no meaning as a tag. */
  root: boolean;
}

export function parseNetscape(html: string): NetscapeEntry[] {
  const entries: NetscapeEntry[] = [];
  const open: OpenFolder[] = [];
  let pending: { name: string; marked: boolean } | null = null;
  const token = /<h3\b([^>]*)>([\s\S]*?)<\/h3\s*>|<a\b([^>]*)>([\s\S]*?)<\/a\s*>|<dl\b[^>]*>|<\/dl\s*>/gi;
  for (const match of html.matchAll(token)) {
    const [whole, folderAttributes, folderHtml, anchorAttributes, anchorHtml] = match;
    if (folderHtml !== undefined) {
      const attrs = attributes(folderAttributes ?? '');
      pending = { name: cleanText(folderHtml), marked: ROOT_MARKERS.some((marker) => attrs.has(marker)) };
    } else if (anchorAttributes !== undefined) {
      const attrs = attributes(anchorAttributes);
      const href = (attrs.get('HREF') ?? '').trim();
      if (!href) continue;
      entries.push({
        url: href,
        title: cleanText(anchorHtml ?? ''),
        folders: open.filter((folder) => !folder.root).map((folder) => folder.name),
        tags: (attrs.get('TAGS') ?? '').split(',').map((tag) => tag.trim()).filter(Boolean),
        addDate: parseAddDate(attrs.get('ADD_DATE')),
      });
    } else if (/^<dl/i.test(whole)) {
      const name = pending?.name ?? '';
      // Only at the top (inside nothing but unnamed lists) is "Menu" or "Favorites" the browser's.
      const topLevel = open.every((folder) => folder.name === '');
      open.push({ name, root: name === '' || pending?.marked === true || (topLevel && ROOT_FOLDERS.has(name.toLowerCase())) });
      pending = null;
    } else {
      open.pop();
    }
  }
  return entries;
}

/** A name as a tag: lowercase, words joined by '-', no separators left. */
export function nameToTag(name: string): string | null {
  const tag = name.trim().toLowerCase().replace(/[\s,]+/g, '-').replace(/^#+/, '');
  return tag || null;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface ExportItem {
  url: string;
  title: string;
  tags: string[];
  createdAt: Date;
}

export function renderNetscape(items: ExportItem[]): string {
  const lines = [
    '<!DOCTYPE NETSCAPE-Bookmark-file-1>',
    '<!-- This is an automatically generated file. It will be read and overwritten. DO NOT EDIT! -->',
    '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
    '<TITLE>Bookmarks</TITLE>',
    '<H1>Bookmarks</H1>',
    '<DL><p>',
  ];
  for (const item of items) {
    const addDate = Math.floor(item.createdAt.getTime() / 1000);
    lines.push(
      `    <DT><A HREF="${escapeHtml(item.url)}" ADD_DATE="${addDate}" TAGS="${escapeHtml(item.tags.join(','))}">${escapeHtml(item.title)}</A>`,
    );
  }
  lines.push('</DL><p>', '');
  return lines.join('\n');
}
