import { cleanText, normalizeTag } from './validation.js';

/**
 * The search syntax: what the text in the search box means, parsed once into a
 * typed value that the HTML routes and the API share (search-plans.ts runs it).
 * Words (prefix match, all must match), "exact phrase", #tag, -word and -#tag
 * to exclude. Anything malformed degrades to plain words; nothing here can throw.
 */
export interface SearchTerms {
  words: string[];
  phrases: string[][];
  tags: string[];
  excludedWords: string[];
  excludedTags: string[];
  /** Terms typed past MAX_SEARCH_TERMS, left out of the search or cut short (a phrase). */
  leftOut: number;
}

/**
 * The terms one search may hold, counted as words: each word, each word of a phrase or
 * of a tag the index narrows by, each exclusion. Every term is another pass over the part
 * of the index it matches, or another test on every candidate row, so a search of 250
 * one-letter words held the process for 2 seconds. Repeated terms are dropped first;
 * they change nothing. The search is the terms up to the first that does not fit.
 */
export const MAX_SEARCH_TERMS = 8;

/**
 * A #tag of at most this many words is searched for through the index by its words, and
 * counts them; a longer one counts as one term, and alone is only tested on the rows
 * (search-plans.ts, withTagWords).
 */
export const TAG_INDEX_WORDS = 3;

/** How many words of a #tag the index searches for on their own: none for a tag of no word or of more than TAG_INDEX_WORDS. */
export function tagIndexWords(tag: string): number {
  const words = tokenize(tag).length;
  return words <= TAG_INDEX_WORDS ? words : 0;
}

/** What a #tag counts for: its words in the index, or one test on the rows. */
const tagWeight = (tag: string): number => Math.max(1, tagIndexWords(tag));

/** Matches both engines' tokenizers closely enough (FTS5 unicode61, PostgreSQL's parser): letters, marks and digits. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
}

export function parseSearch(input: string): SearchTerms {
  const terms: SearchTerms = { words: [], phrases: [], tags: [], excludedWords: [], excludedTags: [], leftOut: 0 };
  let counted = 0;
  let full = false;
  /**
   * How many of `weight` terms fit: all, or (with `cut`, for a phrase) what is left. Past the
   * first term that does not fit whole, none does: the search is its first terms.
   */
  const fit = (weight: number, cut = false): number => {
    const left = full ? 0 : MAX_SEARCH_TERMS - counted;
    const fits = weight <= left ? weight : cut ? left : 0;
    if (fits < weight) {
      terms.leftOut++;
      full = true;
    }
    counted += fits;
    return fits;
  };
  const addWords = (list: string[], tokens: string[]): void => {
    for (const token of tokens) if (!list.includes(token) && fit(1) === 1) list.push(token);
  };
  // Cleaned as titles are: control characters separate words like spaces (a NUL would end
  // FTS5's reading of the MATCH text), and invisible characters typed or pasted are dropped.
  const text = cleanText(input.slice(0, 500));
  const pattern = /(-?)"([^"]*)"|(\S+)/gu;
  for (const match of text.matchAll(pattern)) {
    const [, negated, phrase, bare] = match;
    if (phrase !== undefined) {
      const tokens = tokenize(phrase);
      if (tokens.length === 0) continue;
      if (negated) addWords(terms.excludedWords, tokens);
      else if (!terms.phrases.some((kept) => kept.join(' ') === tokens.join(' '))) {
        // A phrase cut short still finds what the whole one finds, and more.
        const fits = fit(tokens.length, true);
        if (fits > 0) terms.phrases.push(tokens.slice(0, fits));
      }
      continue;
    }
    const piece = bare!;
    const exclude = piece.startsWith('-') && piece.length > 1;
    const body = exclude ? piece.slice(1) : piece;
    if (body.startsWith('#') && body.length > 1) {
      // The form's rules, so '#w\u200Beb' and '#ｗｅｂ' find what is stored as 'web'.
      const tag = normalizeTag(body);
      const list = exclude ? terms.excludedTags : terms.tags;
      if (tag && !list.includes(tag) && fit(exclude ? 1 : tagWeight(tag)) > 0) list.push(tag);
      continue;
    }
    addWords(exclude ? terms.excludedWords : terms.words, tokenize(body));
  }
  return terms;
}
