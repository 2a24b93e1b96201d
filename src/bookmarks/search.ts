import { cleanText, normalizeTag } from './validation.js';

/**
 * The search box, parsed once into a typed value. Syntax: words (prefix match,
 * all must match), "exact phrase", #tag, -word and -#tag to exclude. Anything
 * malformed degrades to plain words; nothing here can throw.
 */
export interface SearchQuery {
  words: string[];
  phrases: string[][];
  tags: string[];
  excludedWords: string[];
  excludedTags: string[];
}

/** Matches the FTS5 unicode61 tokenizer closely enough: letters, marks and digits. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
}

export function parseSearch(input: string): SearchQuery {
  const query: SearchQuery = { words: [], phrases: [], tags: [], excludedWords: [], excludedTags: [] };
  // Cleaned as titles are: control characters separate words like spaces (a NUL would end
  // FTS5's reading of the MATCH text), and invisible characters typed or pasted are dropped.
  const text = cleanText(input.slice(0, 500));
  const pattern = /(-?)"([^"]*)"|(\S+)/gu;
  for (const match of text.matchAll(pattern)) {
    const [, negated, phrase, bare] = match;
    if (phrase !== undefined) {
      const tokens = tokenize(phrase);
      if (tokens.length === 0) continue;
      if (negated) query.excludedWords.push(...tokens);
      else query.phrases.push(tokens);
      continue;
    }
    const piece = bare!;
    const exclude = piece.startsWith('-') && piece.length > 1;
    const body = exclude ? piece.slice(1) : piece;
    if (body.startsWith('#') && body.length > 1) {
      // The form's rules, so '#w\u200Beb' and '#ｗｅｂ' find what is stored as 'web'.
      const tag = normalizeTag(body);
      if (tag) (exclude ? query.excludedTags : query.tags).push(tag);
      continue;
    }
    (exclude ? query.excludedWords : query.words).push(...tokenize(body));
  }
  return query;
}

export function isEmptySearch(query: SearchQuery): boolean {
  return (
    query.words.length + query.phrases.length + query.tags.length + query.excludedWords.length + query.excludedTags.length === 0
  );
}

const quote = (token: string): string => `"${token.replaceAll('"', '""')}"`;
const TEXT_COLUMNS = '{title url tags}';

/** The owner's token in the index: 'o' + hex of the UTF-8 sub, as the migration's triggers write it. */
export function ownerToken(ownerSub: string): string {
  return `o${Buffer.from(ownerSub, 'utf8').toString('hex').toUpperCase()}`;
}

/** The required and excluded parts of a MATCH expression; every user token is quoted, so FTS operators typed by the user are only ever text. */
function textTerms(query: SearchQuery): { required: string[]; excluded: string | null } {
  const required = [
    ...query.words.map((word) => `${TEXT_COLUMNS} : ${quote(word)}*`),
    ...query.phrases.map((tokens) => `${TEXT_COLUMNS} : ${quote(tokens.join(' '))}`),
    // A #tag narrows candidates through the index; the exact tag is checked in SQL.
    ...query.tags.map(tokenize).filter((tokens) => tokens.length > 0).map((tokens) => `tags : ${quote(tokens.join(' '))}`),
  ];
  const excluded =
    query.excludedWords.length > 0 ? ` NOT ${TEXT_COLUMNS} : (${query.excludedWords.map((word) => `${quote(word)}*`).join(' OR ')})` : null;
  return { required, excluded };
}

/** Builds an FTS5 MATCH expression scoped to the owner inside the index. */
export function toFtsMatch(ownerSub: string, query: SearchQuery): string {
  const { required, excluded } = textTerms(query);
  return `(${[`owner : ${quote(ownerToken(ownerSub))}`, ...required].join(' AND ')})${excluded ?? ''}`;
}

/**
 * The same expression without the owner term, matching everyone's bookmarks:
 * only for a plan that joins bookmarks and checks owner_sub itself. Null when
 * the query has no word that must match (FTS5 cannot start from NOT).
 */
export function toTextMatch(query: SearchQuery): string | null {
  const { required, excluded } = textTerms(query);
  return required.length === 0 ? null : `(${required.join(' AND ')})${excluded ?? ''}`;
}

/** Turns a query back into text for the search box and for links. */
export function formatSearch(query: SearchQuery): string {
  return [
    ...query.words,
    ...query.phrases.map((tokens) => `"${tokens.join(' ')}"`),
    ...query.tags.map((tag) => `#${tag}`),
    ...query.excludedWords.map((word) => `-${word}`),
    ...query.excludedTags.map((tag) => `-#${tag}`),
  ].join(' ');
}
