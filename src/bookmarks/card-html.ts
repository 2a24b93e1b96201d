import nunjucks from 'nunjucks';
import type { BookmarkCard } from './view-model.js';

export const CARD_TEMPLATE = 'partials/bookmark-card.njk';
/** About 1 kB each: a few MB at most. */
export const CARD_CACHE_ENTRIES = 5_000;

export type CardRenderer = (card: BookmarkCard) => nunjucks.runtime.SafeString;

/**
 * Cards are most of the cost of a list: nunjucks spends about 10 µs on each
 * and a page shows 50. The same bookmarks come back on every keystroke pause,
 * every "Load more" and every dashboard load, so each card's HTML is kept
 * (least recently used out first), keyed by everything the card shows: an
 * edited bookmark simply has a new key. The HTML is the autoescaped output of
 * the card template itself, so marking it safe lets nothing unescaped through.
 * With `maxEntries` 0 (development, where templates reload) nothing is kept.
 * Correct with other processes writing too: an entry is found only by the exact
 * values the card shows, so a bookmark changed anywhere renders under a new key.
 */
export function createCardRenderer(env: nunjucks.Environment, maxEntries: number): CardRenderer {
  const kept = new Map<string, nunjucks.runtime.SafeString>();
  return (card) => {
    const key = `${card.id}\0${card.createdIso}\0${card.url}\0${card.title}\0${card.tagList.join(' ')}\0${card.description}`;
    const cached = kept.get(key);
    if (cached) {
      // Map order is insertion order: re-inserting marks it recently used.
      kept.delete(key);
      kept.set(key, cached);
      return cached;
    }
    const html = new nunjucks.runtime.SafeString(env.render(CARD_TEMPLATE, { bookmark: card }));
    if (maxEntries > 0) {
      kept.set(key, html);
      if (kept.size > maxEntries) kept.delete(kept.keys().next().value!);
    }
    return html;
  };
}
