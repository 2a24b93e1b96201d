import { text } from '../http/params.js';
import type { BookmarkFields } from './validation.js';

const SENTENCE_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?', "'", '"']);

/** Where `address` ends once the punctuation before `end` goes: walked back, as a pattern anchored at the end would retry every start (quadratic). */
function endBeforePunctuation(address: string, end: number): number {
  while (end > 0 && SENTENCE_PUNCTUATION.has(address[end - 1]!)) end--;
  return end;
}

/**
 * The first web address in shared text, without the punctuation that usually ends a sentence
 * after it. One pass back from the end, so a long run of punctuation or brackets costs what it
 * is long, not its square (the query can hold 16 KB).
 */
function addressIn(words: string): { url: string; written: string } {
  const written = /\bhttps?:\/\/[^\s<>"]+/iu.exec(words)?.[0] ?? '';
  let end = endBeforePunctuation(written, written.length);
  // A closing parenthesis belongs to the address only when it closes one the address opened ("…/Fish_(food)").
  let unopened = 0;
  for (let i = 0; i < end; i++) unopened += written[i] === ')' ? 1 : written[i] === '(' ? -1 : 0;
  while (end > 0 && written[end - 1] === ')' && unopened > 0) {
    end = endBeforePunctuation(written, end - 1);
    unopened--;
  }
  return { url: written.slice(0, end), written };
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
