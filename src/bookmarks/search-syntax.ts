import { cleanText, normalizeTag } from './validation.js';

/**
 * The search syntax: what the text in the search box means, parsed once into a
 * typed value that the HTML routes and the API share (search-plans.ts runs it).
 * Words (prefix match, all must match), "exact phrase", #tag, -word, -"phrase"
 * and -#tag to exclude. Anything malformed degrades to plain words; nothing here can throw.
 */
export interface SearchTerms {
  words: string[];
  phrases: string[][];
  tags: string[];
  /**
   * Each a -word as typed: the words it splits into ('-e-mail' is e and mail), all of which a
   * bookmark must match to be left out, so that -x leaves out exactly what x finds.
   */
  excludedWords: string[][];
  excludedPhrases: string[][];
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
 * counts them; a longer one counts as one term: alone it is only tested on the rows, beside
 * words the index narrows by its first words (search-plans.ts, withTagWords and textTerms).
 */
export const TAG_INDEX_WORDS = 3;

/**
 * Letters today that were marks in Unicode 6.1, whose tables FTS5 follows (New Tai Lue vowel
 * signs, two Vedic signs): FTS5 splits a word there, so tokenize does too (tests check every
 * letter, mark and digit against the index's own tokenizer).
 */
const MARKS_IN_FTS5 = '\\u19B0-\\u19C0\\u19C8\\u19C9\\u1CF2\\u1CF3';
const WORD = new RegExp(`(?:(?![${MARKS_IN_FTS5}])[\\p{L}\\p{M}\\p{N}])+`, 'gu');

/**
 * A word holds a letter or a digit: marks alone ("\u0301" typed by itself) are no word to either
 * index, nor are other numbers (①, ½, ²), which PostgreSQL's parser drops: there such a word
 * alone found every bookmark, where FTS5 found those holding it.
 */
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{Nd}\p{Nl}]/u;

/**
 * Matches both engines' tokenizers closely enough (FTS5 unicode61, PostgreSQL's parser): letters,
 * marks and digits. Combining marks with no letter or digit are dropped, as punctuation is: FTS5
 * found nothing for such a word (so "a \u0308" found nothing) where PostgreSQL's parser dropped it.
 */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).filter((token) => HAS_LETTER_OR_DIGIT.test(token));
}

/**
 * How many tokens the indexes may make of one of ours, at most, which is what it weighs: they
 * split a word at some combining marks (FTS5 reads "हिंदी" as "ह" and "द"), never between letters
 * or digits, and each of their tokens is another pass over the index. A 500-character word of
 * "a" and a vowel sign was a phrase of 240 tokens to FTS5 and held the process for 0.7 s.
 */
export function indexTokens(token: string): number {
  return /\p{M}/u.test(token) ? Math.max(1, token.match(/[\p{L}\p{N}]+/gu)?.length ?? 0) : 1;
}

const sum = (weights: number[]): number => weights.reduce((total, weight) => total + weight, 0);

/** The longest start of `tokens` that weighs at most `room`. */
function tokensWithin(tokens: string[], room: number): string[] {
  let kept = 0;
  for (let left = room; kept < tokens.length; kept++) {
    left -= indexTokens(tokens[kept]!);
    if (left < 0) break;
  }
  return tokens.slice(0, kept);
}

/**
 * What the index may narrow a #tag by: ASCII, letters, marks and digits. FTS5's character tables
 * are Unicode 6.1's: it reads an emoji or a sign added since (🦀, ₽) and private-use characters as
 * parts of words, where tokenize() splits there, so a tag holding any other character is left
 * to the exact test on the rows, which finds it whatever the index made of it.
 */
const INDEXED_TAG = /^[\p{ASCII}\p{L}\p{M}\p{N}]*$/u;

/** The first words of a #tag that the index narrows by, weighing at most TAG_INDEX_WORDS; none for a tag it may split otherwise. */
export function tagNarrowingWords(tag: string): string[] {
  return INDEXED_TAG.test(tag) ? tokensWithin(tokenize(tag), TAG_INDEX_WORDS) : [];
}

/** How many words of a #tag the index searches for on their own: none for a tag it does not narrow by whole. */
export function tagIndexWords(tag: string): number {
  if (!INDEXED_TAG.test(tag)) return 0;
  const words = sum(tokenize(tag).map(indexTokens));
  return words <= TAG_INDEX_WORDS ? words : 0;
}

/** What a #tag counts for: its words in the index, or one test on the rows. */
const tagWeight = (tag: string): number => Math.max(1, tagIndexWords(tag));

export function parseSearch(input: string): SearchTerms {
  const terms: SearchTerms = { words: [], phrases: [], tags: [], excludedWords: [], excludedPhrases: [], excludedTags: [], leftOut: 0 };
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
    for (const token of tokens) {
      const weight = indexTokens(token);
      if (!list.includes(token) && fit(weight) === weight) list.push(token);
    }
  };
  const isRepeat = (list: string[][], tokens: string[]): boolean => list.some((kept) => kept.join(' ') === tokens.join(' '));
  /** An excluded phrase or -word, left out whole if it does not fit: cut short, it would leave out more than was asked. */
  const excludeWhole = (list: string[][], tokens: string[]): void => {
    if (tokens.length === 0 || isRepeat(list, tokens)) return;
    const weight = sum(tokens.map(indexTokens));
    if (fit(weight) === weight) list.push(tokens);
  };
  // Cleaned as titles are: control characters separate words like spaces (a NUL would end
  // FTS5's reading of the MATCH text), and invisible characters typed or pasted are dropped.
  const text = cleanText(input.slice(0, 500));
  const pattern = /(-?)"([^"]*)"|(\S+)/gu;
  for (const match of text.matchAll(pattern)) {
    const [, negated, phrase, bare] = match;
    if (phrase !== undefined) {
      const tokens = tokenize(phrase);
      if (negated) {
        excludeWhole(terms.excludedPhrases, tokens);
        continue;
      }
      if (tokens.length === 0 || isRepeat(terms.phrases, tokens)) continue;
      // A phrase cut short still finds what the whole one finds, and more.
      const kept = tokensWithin(tokens, fit(sum(tokens.map(indexTokens)), true));
      if (kept.length > 0) terms.phrases.push(kept);
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
    if (!exclude) {
      addWords(terms.words, tokenize(body));
      continue;
    }
    excludeWhole(terms.excludedWords, [...new Set(tokenize(body))]);
  }
  return terms;
}
