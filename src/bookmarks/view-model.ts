import type { Bookmark } from './bookmark.js';
import { encodeCursor, type BookmarkPage } from './search-plans.js';
import { MAX_SEARCH_TERMS, type SearchTerms } from './search-syntax.js';
import { cleanText, type BookmarkFields } from './validation.js';
import { dayLabel } from '../english-format.js';

export interface BookmarkCard {
  id: number;
  url: string;
  title: string;
  description: string;
  /** The address's host (and port), which names its icon: /favicons/<host>. */
  host: string;
  /** The address as a person reads it (readableUrl). */
  readableUrl: string;
  tagList: string[];
  createdIso: string;
  createdLabel: string;
}

/** Stored addresses are always http(s) URLs the parser wrote, so they parse again. */
export const hostOf = (url: string): string => (URL.canParse(url) ? new URL(url).host : '');

/**
 * An address as a person reads it: its path, query and fragment decoded (/東京, not
 * /%E6%9D%B1%E4%BA%AC), while the link keeps the address itself. decodeURI leaves the
 * characters that would change what the address means (/?#&=…) encoded, the host stays as the
 * parser wrote it (punycode, which shows a lookalike for what it is), and whatever decodes to
 * a control, bidi or invisible character is cleaned out as it is from titles.
 */
export function readableUrl(url: string): string {
  if (!url.includes('%')) return url;
  try {
    // Only the path, query and fragment: a user name decoded could read as another host and path.
    const pathStart = url.indexOf('/', url.indexOf('//') + 2);
    return pathStart === -1 ? url : url.slice(0, pathStart) + cleanText(decodeURI(url.slice(pathStart)));
  } catch {
    return url; // not UTF-8 once decoded: shown as stored
  }
}

/** A class, not an object literal: a literal with a getter is built through a slow path, twice the cost per card. */
class Card implements BookmarkCard {
  readonly id: number;
  readonly url: string;
  readonly title: string;
  readonly description: string;
  readonly tagList: string[];
  readonly createdIso: string;
  readonly createdLabel: string;
  constructor(bookmark: Bookmark) {
    this.id = bookmark.id;
    this.url = bookmark.url;
    this.title = bookmark.title;
    this.description = bookmark.description;
    this.tagList = bookmark.tags;
    this.createdIso = bookmark.createdAt.toISOString().slice(0, 10);
    this.createdLabel = dayLabel(bookmark.createdAt);
  }

  /** Parsed only when a template prints it: a kept card never does. */
  get host(): string {
    return hostOf(this.url);
  }

  get readableUrl(): string {
    return readableUrl(this.url);
  }
}

export function toCard(bookmark: Bookmark): BookmarkCard {
  return new Card(bookmark);
}

/** A list's bookmarks may be kept ones (kept-bookmarks.ts), the same objects each time: so are their cards. */
const cardsOfBookmarks = new WeakMap<Bookmark, BookmarkCard>();
function listedCard(bookmark: Bookmark): BookmarkCard {
  let card = cardsOfBookmarks.get(bookmark);
  if (!card) cardsOfBookmarks.set(bookmark, (card = new Card(bookmark)));
  return card;
}

/**
 * What every list template needs: the cards, the total and the next page's cursor, for the
 * search as typed and as parsed (the terms it was searched with).
 */
export function listView(page: BookmarkPage, search: string, terms: SearchTerms) {
  return {
    page: {
      items: page.items.map(listedCard),
      total: page.total,
      /** Whether more than the total match (the count stopped there). */
      moreThanTotal: page.moreThanTotal,
      next: page.next,
    },
    nextCursor: page.next ? encodeCursor(page.next) : '',
    search,
    /** Whether the search left out terms past MAX_SEARCH_TERMS: the list says so. */
    termsLeftOut: terms.leftOut > 0,
    maxSearchTerms: MAX_SEARCH_TERMS,
  };
}

/** A saved bookmark as the edit form's fields: tags as the user would type them. */
export function editFields(bookmark: Bookmark): BookmarkFields {
  return { url: bookmark.url, title: bookmark.title, description: bookmark.description, tags: bookmark.tags.join(', ') };
}
