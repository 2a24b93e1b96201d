import { text } from '../http/params.js';
import type { BookmarkFields } from './validation.js';

/** The first web address in shared text, without the punctuation that usually ends a sentence after it. */
function addressIn(words: string): { url: string; written: string } {
  const written = /\bhttps?:\/\/[^\s<>"]+/iu.exec(words)?.[0] ?? '';
  let url = written.replace(/[.,;:!?'"]+$/u, '');
  // A closing parenthesis belongs to the address only when it closes one the address opened ("…/Fish_(food)").
  const count = (character: string): number => url.split(character).length - 1;
  while (url.endsWith(')') && count(')') > count('(')) url = url.slice(0, -1).replace(/[.,;:!?'"]+$/u, '');
  return { url, written };
}

/**
 * The new-bookmark page's fields from its query: the bookmarklet's url, title and
 * description (the selection or the meta description), or a phone's share sheet, whose
 * `text` often holds the address (Android) and sometimes words around it.
 */
export function sharedFields(query: Record<string, unknown>): BookmarkFields {
  const title = text(query.title).trim();
  const shared = text(query.text).trim();
  let url = text(query.url).trim();
  let rest = shared;
  if (!url && shared) {
    const found = addressIn(shared);
    url = found.url;
    // The address goes, with the punctuation written right after it.
    rest = url ? shared.replace(found.written, ' ') : shared;
  }
  rest = rest.replace(/\s+/gu, ' ').trim();
  const description = text(query.description).trim() || (rest === title || rest === url ? '' : rest);
  return { url, title, description, tags: text(query.tags) };
}
