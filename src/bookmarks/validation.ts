import { parseHttpUrl } from './urls.js';

export const LIMITS = { urlLength: 2048, titleLength: 500, tagCount: 20, tagLength: 50 } as const;

export interface BookmarkFields {
  url: string;
  title: string;
  tags: string;
}

export interface ValidBookmark {
  url: string;
  title: string;
  tags: string[];
}

export type FieldErrors = Partial<Record<keyof BookmarkFields, string>>;

const FIELD_ORDER = ['url', 'title', 'tags'] as const;

/** The first field with an error, in the form's order: it gets the focus. */
export function firstErrorField(errors: FieldErrors): keyof BookmarkFields | undefined {
  return FIELD_ORDER.find((name) => errors[name]);
}

export type Validation =
  | { ok: true; value: ValidBookmark }
  | { ok: false; errors: FieldErrors; fields: BookmarkFields };

/** Reads a form or JSON body into strings; anything that is not a string counts as empty. */
export function readBookmarkFields(body: unknown): BookmarkFields {
  const record = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return { url: text(record.url), title: text(record.title), tags: text(record.tags) };
}

/** Control characters (NUL, escapes, DEL…) are never stored: they read as white space. */
const CONTROL_CHARACTERS = /\p{Cc}+/gu;

/** Splits on commas, white space and control characters; lowercases, drops a leading '#', de-duplicates, keeps order. */
export function parseTags(raw: string): string[] {
  const seen = new Set<string>();
  for (const piece of raw.split(/[\s,\p{Cc}]+/u)) {
    const tag = piece.replace(/^#+/u, '').toLowerCase();
    if (tag) seen.add(tag);
  }
  return [...seen];
}

export function validateBookmark(fields: BookmarkFields): Validation {
  const errors: FieldErrors = {};
  const rawUrl = fields.url.trim();
  let url: URL | undefined;
  if (rawUrl === '') errors.url = 'Enter the address of the page to save.';
  else if (rawUrl.length > LIMITS.urlLength) errors.url = `Addresses can be at most ${LIMITS.urlLength} characters.`;
  else {
    url = parseHttpUrl(rawUrl);
    if (!url) errors.url = 'Enter a full web address starting with http:// or https://.';
    else if (url.href.length > LIMITS.urlLength) errors.url = `Addresses can be at most ${LIMITS.urlLength} characters.`;
  }

  const title = fields.title.replace(CONTROL_CHARACTERS, ' ').trim();
  if ([...title].length > LIMITS.titleLength) errors.title = `Titles can be at most ${LIMITS.titleLength} characters.`;

  const tags = parseTags(fields.tags);
  if (tags.length > LIMITS.tagCount) errors.tags = `Use at most ${LIMITS.tagCount} tags.`;
  else if (tags.some((tag) => [...tag].length > LIMITS.tagLength)) {
    errors.tags = `Each tag can be at most ${LIMITS.tagLength} characters.`;
  }

  if (!url || Object.keys(errors).length > 0) return { ok: false, errors, fields };
  return { ok: true, value: { url: url.href, title: title || url.hostname, tags } };
}
