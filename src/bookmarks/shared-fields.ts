import { text } from '../http/params.js';
import { withAssumedScheme } from './urls.js';
import { LIMITS, type BookmarkFields } from './validation.js';

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

/** At most `limit` characters (code points, as the limits count them), cut after the last whole word that fits, with an ellipsis. */
function cutTo(value: string, limit: number): string {
  const characters = [...value];
  if (characters.length <= limit) return value;
  const kept = characters.slice(0, limit - 1).join('');
  const lastSpace = kept.lastIndexOf(' ');
  return `${(lastSpace > limit / 2 ? kept.slice(0, lastSpace) : kept).trimEnd()}…`;
}

/**
 * The new-bookmark page's fields from its query: the bookmarklet's url, title and
 * description (the selection or the meta description), or a phone's share sheet, whose
 * `text` often holds the address (Android) and sometimes words around it.
 */
export function sharedFields(query: Record<string, unknown>): BookmarkFields {
  const title = text(query.title).trim();
  const shared = text(query.text).trim();
  // Typed into the page's address by hand, an address may come without its scheme, as in the form.
  let url = withAssumedScheme(text(query.url).trim());
  let rest = shared;
  if (!url && shared) {
    const found = addressIn(shared);
    url = found.url;
    // The address goes, with the punctuation written right after it, and the bracket it closed ("see (https://…), nice").
    if (url) {
      const at = shared.indexOf(found.written);
      let before = shared.slice(0, at).trimEnd();
      if (found.written.slice(url.length).includes(')') && before.endsWith('(')) before = before.slice(0, -1);
      rest = `${before} ${shared.slice(at + found.written.length)}`;
    }
  }
  rest = rest.replace(/\s+/gu, ' ').trim();
  const description = text(query.description).trim() || (rest === title || rest === url ? '' : rest);
  // Cut to what a bookmark holds, as the bookmarklet cuts a selection: a long share still saves as it arrives.
  return { url, title: cutTo(title, LIMITS.titleLength), description: cutTo(description, LIMITS.descriptionLength), tags: text(query.tags) };
}
