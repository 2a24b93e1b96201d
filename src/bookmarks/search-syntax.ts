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
}

/** Matches both engines' tokenizers closely enough (FTS5 unicode61, PostgreSQL's parser): letters, marks and digits. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
}

export function parseSearch(input: string): SearchTerms {
  const terms: SearchTerms = { words: [], phrases: [], tags: [], excludedWords: [], excludedTags: [] };
  // Cleaned as titles are: control characters separate words like spaces (a NUL would end
  // FTS5's reading of the MATCH text), and invisible characters typed or pasted are dropped.
  const text = cleanText(input.slice(0, 500));
  const pattern = /(-?)"([^"]*)"|(\S+)/gu;
  for (const match of text.matchAll(pattern)) {
    const [, negated, phrase, bare] = match;
    if (phrase !== undefined) {
      const tokens = tokenize(phrase);
      if (tokens.length === 0) continue;
      if (negated) terms.excludedWords.push(...tokens);
      else terms.phrases.push(tokens);
      continue;
    }
    const piece = bare!;
    const exclude = piece.startsWith('-') && piece.length > 1;
    const body = exclude ? piece.slice(1) : piece;
    if (body.startsWith('#') && body.length > 1) {
      // The form's rules, so '#w\u200Beb' and '#ｗｅｂ' find what is stored as 'web'.
      const tag = normalizeTag(body);
      if (tag) (exclude ? terms.excludedTags : terms.tags).push(tag);
      continue;
    }
    (exclude ? terms.excludedWords : terms.words).push(...tokenize(body));
  }
  return terms;
}
