import type { Bookmark } from '../db/schema.js';
import { encodeCursor, type BookmarkPage } from './queries.js';

export interface BookmarkCard {
  id: number;
  url: string;
  title: string;
  tagList: string[];
  createdIso: string;
  createdLabel: string;
}

const dateLabel = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

export function toCard(bookmark: Bookmark): BookmarkCard {
  return {
    id: bookmark.id,
    url: bookmark.url,
    title: bookmark.title,
    tagList: bookmark.tags ? bookmark.tags.split(' ') : [],
    createdIso: bookmark.createdAt.toISOString(),
    createdLabel: dateLabel.format(bookmark.createdAt),
  };
}

/** What every list template needs: the cards, the total and the next page's cursor. */
export function listView(page: BookmarkPage, search: string) {
  return {
    page: { items: page.items.map(toCard), total: page.total, next: page.next },
    nextCursor: page.next ? encodeCursor(page.next) : '',
    search,
  };
}
