import { parseHttpUrl, withAssumedScheme } from './urls.js';
import { text } from '../http/params.js';

export const LIMITS = { urlLength: 2048, titleLength: 500, descriptionLength: 1000, tagCount: 20, tagLength: 50 } as const;

export interface BookmarkFields {
  url: string;
  title: string;
  /** Absent is empty. */
  description?: string;
  tags: string;
}

export interface ValidBookmark {
  url: string;
  title: string;
  /** Absent is empty. */
  description?: string;
  tags: string[];
}

export type FieldErrors = Partial<Record<keyof BookmarkFields, string>>;

const FIELD_ORDER = ['url', 'title', 'description', 'tags'] as const;

/** The first field with an error, in the form's order: it gets the focus. */
export function firstErrorField(errors: FieldErrors): keyof BookmarkFields | undefined {
  return FIELD_ORDER.find((name) => errors[name]);
}

export type Validation =
  | { ok: true; value: ValidBookmark }
  | { ok: false; errors: FieldErrors; fields: BookmarkFields };

/**
 * Reads the bookmark form's body into strings; anything that is not a string counts as empty.
 * An address typed without its scheme reads as https (withAssumedScheme); the API takes whole addresses only.
 */
export function readBookmarkForm(body: unknown): BookmarkFields {
  const record = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return { url: withAssumedScheme(text(record.url)), title: text(record.title), description: text(record.description), tags: text(record.tags) };
}

/**
 * Control characters (NUL, escapes, DEL…) are never stored: they read as white space. So does a
 * lone UTF-16 surrogate, which a JSON body can hold and no engine can store as itself (SQLite
 * read it back as three U+FFFD, PostgreSQL as one).
 */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cs}]+/gu;

/**
 * Default-ignorable characters render as nothing: zero-width spaces and joiners, the word
 * joiner, BOM, soft hyphen, bidi embeddings, overrides, isolates and marks (U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069, U+061C), variation selectors, Hangul fillers. Text differing
 * only by them looks the same, and a bidi override (U+202E) makes text read backwards.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/** The same, less what emoji and some scripts need to be written right: joiners (U+200C, U+200D) and selectors. */
const INVISIBLE_IN_TEXT = /(?![\u200C\u200D\uFE00-\uFE0F\u{E0020}-\u{E007F}\u{E0100}-\u{E01EF}])\p{Default_Ignorable_Code_Point}/gu;

/**
 * Text people read (titles and descriptions): control characters become
 * spaces; bidi controls and invisible characters go; trimmed. Not folded (NFKC): 'ﬁ' stays.
 */
export function cleanText(raw: string): string {
  return raw.replace(CONTROL_CHARACTERS, ' ').replace(INVISIBLE_IN_TEXT, '').trim();
}

/** Control characters (and lone surrogates) but the line feed. */
const CONTROL_BUT_LINE_FEED = /(?:(?!\n)[\p{Cc}\p{Cs}])+/gu;

/**
 * A description, by the rules of cleanText, keeping its line breaks (paragraphs, a list):
 * CR LF and CR become LF, a line's trailing spaces go, and at most one empty line stays
 * between paragraphs.
 */
export function cleanDescription(raw: string): string {
  const text = raw.replace(/\r\n?/gu, '\n').replace(CONTROL_BUT_LINE_FEED, ' ').replace(INVISIBLE_IN_TEXT, '');
  // Line by line: a pattern for spaces before a line feed backtracks over every run of spaces without one (quadratic).
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/gu, '\n\n')
    .trim();
}

/**
 * Tag text before it is split: without invisible characters, and folded to NFKC, so that
 * 'ｗｅｂ', 'w\u200Beb' and 'web' are one tag (and a fullwidth comma separates). NFKC never
 * yields a default-ignorable character.
 */
const foldTagText = (raw: string): string => raw.replace(INVISIBLE, '').normalize('NFKC');

/**
 * Lowercase, and in NFKC again: lowercasing can leave it ('Ϊ́' lowercases to a decomposed 'ΐ'),
 * and a stored tag must fold to itself, or its link would search another tag.
 */
const lowercaseTag = (tag: string): string => tag.toLowerCase().normalize('NFKC');

/** One tag as it is stored and searched: folded, lowercase, without a leading '#'. Empty when nothing visible is left. */
export function normalizeTag(raw: string): string {
  return lowercaseTag(foldTagText(raw).replace(/^#+/u, ''));
}

/** Splits on commas, white space and control characters; folds and lowercases each tag, drops a leading '#', de-duplicates, keeps order. */
export function parseTags(raw: string): string[] {
  const seen = new Set<string>();
  for (const piece of foldTagText(raw).split(/[\s,\p{Cc}\p{Cs}]+/u)) {
    const tag = lowercaseTag(piece.replace(/^#+/u, ''));
    if (tag) seen.add(tag);
  }
  return [...seen];
}

/** Tags as an import keeps them, where the form would refuse: parsed, the over-long dropped, the first LIMITS.tagCount. */
export function keptTags(raw: string): string[] {
  return parseTags(raw)
    .filter((tag) => [...tag].length <= LIMITS.tagLength)
    .slice(0, LIMITS.tagCount);
}

/**
 * `fromForm`: the fields were typed into the add or edit form (readBookmarkForm), which also takes
 * an address without its scheme, and its error says so; the API and imports want whole addresses.
 */
export function validateBookmark(fields: BookmarkFields, { fromForm = false } = {}): Validation {
  const errors: FieldErrors = {};
  const rawUrl = fields.url.trim();
  let url: URL | undefined;
  if (rawUrl === '') errors.url = 'Enter the address of the page to save.';
  else if (rawUrl.length > LIMITS.urlLength) errors.url = `Addresses can be at most ${LIMITS.urlLength} characters.`;
  else {
    url = parseHttpUrl(rawUrl);
    if (!url) {
      errors.url = fromForm
        ? 'Enter a web address, such as example.com/page (only http:// or https:// addresses can be saved).'
        : 'Enter a full web address starting with http:// or https://.';
    }
    else if (url.href.length > LIMITS.urlLength) errors.url = `Addresses can be at most ${LIMITS.urlLength} characters.`;
  }

  const title = cleanText(fields.title);
  if ([...title].length > LIMITS.titleLength) errors.title = `Titles can be at most ${LIMITS.titleLength} characters.`;

  const description = cleanDescription(fields.description ?? '');
  if ([...description].length > LIMITS.descriptionLength) errors.description = `Descriptions can be at most ${LIMITS.descriptionLength} characters.`;

  const tags = parseTags(fields.tags);
  if (tags.length > LIMITS.tagCount) errors.tags = `Use at most ${LIMITS.tagCount} tags.`;
  else if (tags.some((tag) => [...tag].length > LIMITS.tagLength)) {
    errors.tags = `Each tag can be at most ${LIMITS.tagLength} characters.`;
  }

  if (!url || Object.keys(errors).length > 0) return { ok: false, errors, fields };
  return { ok: true, value: { url: url.href, title: title || url.hostname, description, tags } };
}

/** Whether the title was left empty, so the saved one would be the host: then the page's own title is worth fetching. */
export const titleLeftEmpty = (fields: BookmarkFields): boolean => cleanText(fields.title) === '';

/** Text fetched from a page, by the rules of typed text: cleaned, and cut (not refused) at the limit. */
export function cleanFetchedText(text: string | null, limit: number): string {
  const cleaned = cleanText(text ?? '');
  const characters = [...cleaned];
  return characters.length > limit ? characters.slice(0, limit).join('').trimEnd() : cleaned;
}

/**
 * A valid bookmark with what the page says filled in where the user left a field
 * empty: the title (only if it was left empty, so it fell back to the host) and the
 * description. Anything the user typed is kept.
 */
export function withPageDetails(value: ValidBookmark, fields: BookmarkFields, page: { title: string | null; description: string | null }): ValidBookmark {
  const title = titleLeftEmpty(fields) ? cleanFetchedText(page.title, LIMITS.titleLength) : '';
  const description = value.description ? '' : cleanFetchedText(page.description, LIMITS.descriptionLength);
  return { ...value, ...(title ? { title } : {}), ...(description ? { description } : {}) };
}
