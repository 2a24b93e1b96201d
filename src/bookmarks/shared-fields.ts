import { text } from '../http/params.js';
import { withAssumedScheme } from './urls.js';
import { LIMITS, type BookmarkFields } from './validation.js';

const SENTENCE_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?', "'", '"']);

/** The sentence punctuation of Chinese, Japanese and Korean text, full and half width. */
const CJK_PUNCTUATION = '、。，．：；！？､｡';

/**
 * Characters that end an address in shared text: an address copied or shared holds them only
 * percent-encoded, and text in Chinese, Japanese or Korean puts its punctuation and brackets right
 * after an address, with no space ("「https://…」を読んだ。"), as other text puts curly quotes.
 */
const ENDS_ADDRESS = `“”‘’«»‹›〈〉《》「」『』【】〔〕〖〗〘〙〚〛〝〞〟（）［］｛｝｢｣${CJK_PUNCTUATION}`;
const WRITTEN_ADDRESS = new RegExp(`\\bhttps?:\\/\\/[^\\s<>"${ENDS_ADDRESS}]+`, 'iu');
/** The opening bracket or quote of each closing one, which goes with the address it is written around. */
const OPENER_OF = new Map(['()', '“”', '‘’', '«»', '‹›', '〈〉', '《》', '「」', '『』', '【】', '〔〕', '〖〗', '〘〙', '〚〛', '（）', '［］', '｛｝', '｢｣'].map(([open, close]) => [close!, open!]));
/** What written right after an address ends the sentence or closes a bracket or quote around it, and goes with it. */
const CLOSES_AFTER = new RegExp(`[${[...SENTENCE_PUNCTUATION, ...OPENER_OF.keys()].join('')}${CJK_PUNCTUATION}〞〟]*`, 'uy');

/** Where `address` ends once the punctuation before `end` goes: walked back, as a pattern anchored at the end would retry every start (quadratic). */
function endBeforePunctuation(address: string, end: number): number {
  while (end > 0 && SENTENCE_PUNCTUATION.has(address[end - 1]!)) end--;
  return end;
}

/**
 * The first web address in shared text, without the punctuation that usually ends a sentence
 * after it; `written` is the address as written, with that punctuation and the closing brackets
 * and quotes after it, from `at`. One pass back from the end, so a long run of punctuation or
 * brackets costs what it is long, not its square (the query can hold 16 KB).
 */
function addressIn(words: string): { url: string; written: string; at: number } {
  const found = WRITTEN_ADDRESS.exec(words);
  if (!found) return { url: '', written: '', at: -1 };
  const address = found[0];
  let end = endBeforePunctuation(address, address.length);
  // A closing parenthesis belongs to the address only when it closes one the address opened ("…/Fish_(food)").
  let unopened = 0;
  for (let i = 0; i < end; i++) unopened += address[i] === ')' ? 1 : address[i] === '(' ? -1 : 0;
  while (end > 0 && address[end - 1] === ')' && unopened > 0) {
    end = endBeforePunctuation(address, end - 1);
    unopened--;
  }
  CLOSES_AFTER.lastIndex = found.index + address.length;
  return { url: address.slice(0, end), written: address + CLOSES_AFTER.exec(words)![0], at: found.index };
}

/** Straight quotes open and close alike: one after an address closes one only when one is written before it. */
const STRAIGHT_QUOTES = new Set(['"', "'"]);

/**
 * `before` without the brackets and quotes that the text written after the address closes,
 * innermost first, and how many characters of `closing` go with the address: all of them, but a
 * straight quote only when it closes one before the address (else it opens what follows: `…/a"nice"`).
 */
function withoutOpened(before: string, closing: string): { before: string; closed: number } {
  let end = before.length;
  let matching = true;
  let closed = 0;
  for (const closer of closing) {
    const straight = STRAIGHT_QUOTES.has(closer);
    const opener = straight ? closer : OPENER_OF.get(closer);
    if (opener !== undefined && matching) {
      let at = end;
      while (at > 0 && /\s/u.test(before[at - 1]!)) at--;
      if (before[at - 1] === opener) end = at - 1;
      else if (straight) break;
      else matching = false;
    } else if (straight) break;
    closed += closer.length;
  }
  return { before: before.slice(0, end), closed };
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
    // The address goes, with the punctuation written right after it, and the brackets and quotes it closed
    // ("see (https://…), nice", "「https://…」を読んだ").
    if (url) {
      const { before, closed } = withoutOpened(shared.slice(0, found.at).trimEnd(), found.written.slice(url.length));
      rest = `${before} ${shared.slice(found.at + url.length + closed)}`;
    }
  }
  rest = rest.replace(/\s+/gu, ' ').trim();
  const description = text(query.description).trim() || (rest === title || rest === url ? '' : rest);
  // Cut to what a bookmark holds, as the bookmarklet cuts a selection: a long share still saves as it arrives.
  return { url, title: cutTo(title, LIMITS.titleLength), description: cutTo(description, LIMITS.descriptionLength), tags: text(query.tags) };
}
