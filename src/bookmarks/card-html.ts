import nunjucks from 'nunjucks';
import { RecentlyUsedCache } from '../recently-used-cache.js';
import type { BookmarkCard } from './view-model.js';

export const CARD_TEMPLATE = 'partials/bookmark-card.njk';
/** About 1.4 kB each, HTML and values, for a card of usual length. */
export const CARD_CACHE_ENTRIES = 5_000;
/**
 * And at most this many characters in all (20 MB at most, 2 bytes each): a card whose
 * fields are at their limits and full of characters that escaping lengthens renders to
 * 50,000 characters, and 5,000 of those held 270 MB.
 */
export const CARD_CACHE_CHARACTERS = 10_000_000;

export type CardRenderer = (card: BookmarkCard) => nunjucks.runtime.SafeString;

interface KeptCard {
  shown: BookmarkCard;
  html: nunjucks.runtime.SafeString;
}

/** Characters a kept card holds: the HTML and the values it was rendered from. */
const charactersOf = (card: BookmarkCard, html: string): number =>
  html.length + card.url.length + card.title.length + card.description.length + card.tagList.reduce((sum, tag) => sum + tag.length, 0);

/** Everything the card template prints, compared field by field: no key string to build per card. */
function showsTheSame(kept: BookmarkCard, card: BookmarkCard): boolean {
  return (
    kept === card ||
    kept.url === card.url &&
    kept.title === card.title &&
    kept.description === card.description &&
    kept.createdIso === card.createdIso &&
    kept.tagList.length === card.tagList.length &&
    kept.tagList.every((tag, index) => tag === card.tagList[index])
  );
}

/**
 * The card's HTML as one string in memory. nunjucks builds its output piece by piece, and V8
 * keeps such a string as a tree of its pieces, walked again each time it is copied: every
 * answer that included a kept card walked that card's hundred pieces anew, 6 % of a search's
 * time (docs/PERFORMANCE.md). A string decoded from bytes is one piece. The bytes sent are the
 * same, as the answer goes out in UTF-8 anyway (where a lone surrogate becomes U+FFFD either way).
 */
const inOnePiece = (html: string): string => Buffer.from(html, 'utf8').toString('utf8');

/**
 * Cards are most of the cost of a list: nunjucks spends about 10 µs on each.
 * The same bookmarks come back on every keystroke pause, every "Load more" and
 * every dashboard load, so each card's HTML is kept by bookmark id (least recently
 * used out first) with the values it shows, and reused only while the bookmark
 * still shows exactly those: an edited bookmark renders anew. The HTML is the
 * autoescaped output of the card template itself, so marking it safe lets nothing
 * unescaped through. With `maxEntries` 0 (development, where templates reload)
 * nothing is kept. Correct with other processes writing too: what is compared is
 * what this request read from the database.
 */
export function createCardRenderer(env: nunjucks.Environment, maxEntries: number, maxCharacters = CARD_CACHE_CHARACTERS): CardRenderer {
  const kept = new RecentlyUsedCache<number, KeptCard>(maxEntries, maxCharacters);
  return (card) => {
    const found = kept.get(card.id);
    if (found && showsTheSame(found.shown, card)) return found.html;
    const rendered = env.render(CARD_TEMPLATE, { bookmark: card });
    const characters = charactersOf(card, rendered);
    if (!kept.keeps(characters)) {
      kept.delete(card.id);
      return new nunjucks.runtime.SafeString(rendered);
    }
    const html = new nunjucks.runtime.SafeString(inOnePiece(rendered));
    kept.set(card.id, { shown: card, html }, characters);
    return html;
  };
}

/**
 * A list's cards as one string, for partials/bookmark-rows.njk: one call instead of a
 * template loop, in which nunjucks sets eight loop variables per card (headline search +3–9 %
 * in interleaved runs). Concatenated, not joined: V8 keeps it as a tree of twenty whole card
 * strings (see inOnePiece), copied once with the rest of the answer, where a join copied every
 * card first (about 22 kB a list; a page's strings made, measured and encoded 14–18 → 13.6–14.9 µs).
 */
export function createCardListRenderer(renderCard: CardRenderer): (cards: readonly BookmarkCard[]) => nunjucks.runtime.SafeString {
  return (cards) => {
    let html = '';
    for (const card of cards) html += String(renderCard(card));
    return new nunjucks.runtime.SafeString(html);
  };
}
