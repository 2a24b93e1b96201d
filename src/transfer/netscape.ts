/**
 * The Netscape bookmark file: the HTML that Chrome, Firefox, Safari, Edge and
 * linkding export and import. Parsing is tolerant (browsers disagree on
 * closing tags and case); output follows the common dialect, with TAGS as
 * Firefox and linkding write it.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Tokenizer } from 'htmlparser2';

export interface NetscapeEntry {
  url: string;
  title: string;
  /**
   * Folder names on the way down, outermost first, without the browser's root containers
   * (at most MAX_FOLDERS). Entries under the same folders share this array.
   */
  folders: readonly string[];
  /** Firefox's and linkding's TAGS attribute, comma separated (at most MAX_TAGS). */
  tags: string[];
  addDate: Date | null;
  /** The <DD> text that follows the link (Firefox and linkding write descriptions there); empty when none. */
  description: string;
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

/**
 * A title or folder name: a run of white space that breaks the line in the file (how a title
 * is laid out across lines of HTML) reads as one space; any other, two spaces in a row or a
 * no-break space as typed in the title, is kept, so an export reads back exactly.
 */
const cleanText = (text: string): string =>
  // Each run once, in linear time (a pattern for spaces around a line break backtracks over every run without one).
  decodeEntities(text)
    .replace(/[ \t\n\r\f]+/g, (run) => (/[\t\n\r\f]/.test(run) ? ' ' : run))
    .trim();
/** A description as the file wrote it, lines and spaces and all (as the export writes one), for the form's rules to clean (cleanDescription). */
const descriptionText = (text: string): string => decodeEntities(text).trim();

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
/**
 * Folder names (the outermost) and TAGS names (the first) kept per entry. An import keeps 20
 * tags at most, and the caps keep a hostile nesting or TAGS attribute from costing more
 * than a constant per list or per entry.
 */
export const MAX_FOLDERS = 32;
export const MAX_TAGS = 100;
const NO_FOLDERS: readonly string[] = Object.freeze([]);

/** The first MAX_TAGS names of a TAGS attribute, read without splitting all of it. */
function splitTags(value: string): string[] {
  const tags: string[] = [];
  for (let start = 0; start <= value.length && tags.length < MAX_TAGS; ) {
    const comma = value.indexOf(',', start);
    const end = comma === -1 ? value.length : comma;
    const tag = value.slice(start, end).trim();
    if (tag) tags.push(tag);
    start = end + 1;
  }
  return tags;
}

/** A heading, a link or a link's description being read: its attributes, and its text as pieces of the file. */
interface OpenElement {
  kind: 'h3' | 'a' | 'dd';
  /** For a description: the link it describes. */
  describes?: NetscapeEntry;
  attributes: Map<string, string>;
  text: string[];
  /** The run of text read last, kept as a range while the next piece follows on directly. */
  runStart: number;
  runEnd: number;
}

/** Values are kept raw while reading; only the ones used are decoded. */
function decodedAttribute(element: OpenElement, name: string): string {
  const value = element.attributes.get(name);
  return value === undefined ? '' : decodeEntities(value);
}

function textOf(element: OpenElement, html: string): string {
  if (element.runEnd > element.runStart) element.text.push(html.slice(element.runStart, element.runEnd));
  return element.text.join('');
}

/** Thrown by parseNetscape when a file holds more entries than the caller allows. */
export class TooManyEntriesError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} entries`);
    this.name = 'TooManyEntriesError';
  }
}

/**
 * Reads the file in one pass with htmlparser2's tokenizer, which is linear in the input.
 * Not its Parser: that one keeps a stack of every open element and searches it on each
 * closing tag, so deep or unclosed markup costs the square of its size. Here only <DL>
 * nesting is kept, with a list's folder names worked out once, when it opens.
 */
export function parseNetscape(html: string, maxEntries = Infinity): NetscapeEntry[] {
  const entries: NetscapeEntry[] = [];
  // The open lists: a byte each (opened under a named heading or not), so that 20 MB of <DL>
  // stays small. The user's folder names change only where one of their folders opens, at
  // most MAX_FOLDERS deep: each such list keeps its depth and its names, shared by its entries.
  let depth = 0;
  let named = new Uint8Array(64);
  let namedOpen = 0;
  const folderLevels: { depth: number; folders: readonly string[] }[] = [];
  const currentFolders = (): readonly string[] => folderLevels.at(-1)?.folders ?? NO_FOLDERS;
  let pending: { name: string; marked: boolean } | null = null;
  let element: OpenElement | null = null;
  // The link just read, until anything else starts: a <DD> right after it is its description.
  let lastLink: NetscapeEntry | null = null;
  let tag = '';
  let attributes: Map<string, string> | null = null;
  let attributeName = '';
  let attributeValue = '';

  // A heading, link or description ends at its closing tag, or where the next item or list begins.
  const finishElement = (): void => {
    const done = element;
    element = null;
    if (!done) return;
    if (done.kind === 'dd') {
      if (done.describes) done.describes.description = descriptionText(textOf(done, html));
      return;
    }
    if (done.kind === 'h3') {
      pending = { name: cleanText(textOf(done, html)), marked: ROOT_MARKERS.some((marker) => done.attributes.has(marker)) };
      return;
    }
    const href = decodedAttribute(done, 'HREF').trim();
    if (!href) return;
    // Stops early: the memory an import may use is bounded by its entries, not by the file's bytes.
    if (entries.length >= maxEntries) throw new TooManyEntriesError(maxEntries);
    lastLink = {
      url: href,
      title: cleanText(textOf(done, html)),
      folders: currentFolders(),
      tags: splitTags(decodedAttribute(done, 'TAGS')),
      addDate: parseAddDate(decodedAttribute(done, 'ADD_DATE')),
      description: '',
    };
    entries.push(lastLink);
  };

  const openList = (): void => {
    const name = pending?.name ?? '';
    // Only at the top (inside nothing but unnamed lists) is "Menu" or "Favorites" the browser's.
    const root = name === '' || pending?.marked === true || (namedOpen === 0 && ROOT_FOLDERS.has(name.toLowerCase()));
    if (depth === named.length) {
      const grown = new Uint8Array(depth * 2);
      grown.set(named);
      named = grown;
    }
    named[depth++] = name === '' ? 0 : 1;
    if (name !== '') namedOpen++;
    const parent = currentFolders();
    if (!root && parent.length < MAX_FOLDERS) folderLevels.push({ depth, folders: Object.freeze([...parent, name]) });
    pending = null;
  };

  const closeList = (): void => {
    if (depth === 0) return;
    if (folderLevels.at(-1)?.depth === depth) folderLevels.pop();
    if (named[--depth]) namedOpen--;
  };

  const startTag = (): void => {
    if (tag === 'a' || tag === 'h3') {
      finishElement();
      lastLink = null;
      element = { kind: tag, attributes: attributes ?? new Map(), text: [], runStart: 0, runEnd: 0 };
    } else if (tag === 'dl') {
      finishElement();
      lastLink = null;
      openList();
    } else if (tag === 'dd') {
      finishElement();
      // Only the first <DD> after a link describes it; one after a folder heading is the folder's, and dropped.
      if (lastLink) element = { kind: 'dd', describes: lastLink, attributes: new Map(), text: [], runStart: 0, runEnd: 0 };
      lastLink = null;
    } else if (tag === 'dt') {
      finishElement();
      lastLink = null;
    }
    attributes = null;
  };

  const tokenizer = new Tokenizer({ decodeEntities: false }, {
    onopentagname(start, end) {
      tag = html.slice(start, end).toLowerCase();
      attributes = tag === 'a' || tag === 'h3' ? new Map() : null;
    },
    // Attributes are read only on headings and links.
    onattribname(start, end) {
      if (!attributes) return;
      attributeName = html.slice(start, end).toUpperCase();
      attributeValue = '';
    },
    onattribdata(start, end) {
      if (attributes) attributeValue += html.slice(start, end);
    },
    onattribentity() {},
    onattribend() {
      attributes?.set(attributeName, attributeValue);
    },
    onopentagend: startTag,
    // <A .../> is an open tag, as browsers read it.
    onselfclosingtag: startTag,
    onclosetag(start, end) {
      const name = html.slice(start, end).toLowerCase();
      if (name === 'dl') {
        finishElement();
        lastLink = null;
        closeList();
      } else if (name === element?.kind) {
        finishElement();
      }
    },
    // The tokenizer hands over text in pieces (each stray '<' is one): adjoining pieces make one slice.
    ontext(start, end) {
      if (!element) return;
      if (start !== element.runEnd) {
        if (element.runEnd > element.runStart) element.text.push(html.slice(element.runStart, element.runEnd));
        element.runStart = start;
      }
      element.runEnd = end;
    },
    // Not called: entities are decoded by decodeEntities, as they always were.
    ontextentity() {},
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onprocessinginstruction() {},
    onend: finishElement,
    // As inside <svg>: <title>, <script>, <style>, <textarea>, <plaintext> and the like are
    // ordinary tags here, so an unescaped one in a title cannot swallow the rest of the file.
    isInForeignContext: () => true,
  });
  tokenizer.write(html);
  tokenizer.end();
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
  description?: string;
  tags: string[];
  createdAt: Date;
}

const NETSCAPE_HEADER = [
  '<!DOCTYPE NETSCAPE-Bookmark-file-1>',
  '<!-- This is an automatically generated file. It will be read and overwritten. DO NOT EDIT! -->',
  '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
  '<TITLE>Bookmarks</TITLE>',
  '<H1>Bookmarks</H1>',
  '<DL><p>',
  '',
].join('\n');
const NETSCAPE_FOOTER = '</DL><p>\n';

/** Links of the file's list, each line ending in a newline, so lists written one after another make one. */
function netscapeEntries(items: ExportItem[]): string {
  let lines = '';
  for (const item of items) {
    const addDate = Math.floor(item.createdAt.getTime() / 1000);
    lines += `    <DT><A HREF="${escapeHtml(item.url)}" ADD_DATE="${addDate}" TAGS="${escapeHtml(item.tags.join(','))}">${escapeHtml(item.title)}</A>\n`;
    // As Firefox and linkding write a description: on its own line after the link.
    if (item.description) lines += `    <DD>${escapeHtml(item.description)}\n`;
  }
  return lines;
}

/** The Netscape file of the bookmarks, written a batch at a time as they come, giving the event loop back between batches. */
export async function* netscapeFile(batches: AsyncIterable<ExportItem[]> | Iterable<ExportItem[]>): AsyncGenerator<string> {
  yield NETSCAPE_HEADER;
  for await (const batch of batches) {
    yield netscapeEntries(batch);
    await nextTurn();
  }
  yield NETSCAPE_FOOTER;
}
