import { resolve } from 'node:path';
import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { createCardListRenderer, createCardRenderer } from '../../src/bookmarks/card-html.js';
import { toCard } from '../../src/bookmarks/view-model.js';
import type { Bookmark } from '../../src/bookmarks/bookmark.js';
import { as, html, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

const views = resolve(import.meta.dirname, '../../views');
const environment = () => new nunjucks.Environment(new nunjucks.FileSystemLoader(views), { autoescape: true });
const bookmark = (fields: Partial<Bookmark> = {}): Bookmark => ({
  id: 7,
  ownerSub: 'alice',
  url: 'https://example.com/',
  title: 'Example',
  description: '',
  tags: ['one', 'two'],
  createdAt: new Date(1_700_000_000_000),
  ...fields,
});

describe('createCardRenderer', () => {
  it('renders the card template, escaped, and hands back the kept HTML for the same bookmark', () => {
    const render = createCardRenderer(environment(), 10);
    const first = render(toCard(bookmark({ title: '<img src=x onerror=alert(1)>', tags: ['<b>'] })));
    const card = html(String(first));
    expect(card.querySelector('.card-title')?.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(card.querySelector('img[src="x"], b')).toBeNull();
    expect(card.querySelector('.tags a')?.textContent).toBe('<b>');
    expect(render(toCard(bookmark({ title: '<img src=x onerror=alert(1)>', tags: ['<b>'] })))).toBe(first);
  });

  it("names Edit and Delete by their own word and the card's title, which each names by id rather than writing it out again", () => {
    const rendered = String(createCardRenderer(environment(), 0)(toCard(bookmark({ id: 42, title: 'Tom & Jerry <3' }))));
    const card = html(rendered);
    // What aria-labelledby reads: the text of each element it names, in its order.
    const nameOf = (element: Element): string =>
      element.getAttribute('aria-labelledby')!.split(' ').map((id) => card.getElementById(id)!.textContent).join(' ');
    expect(nameOf(card.querySelector('.card-actions a')!)).toBe('Edit Tom & Jerry <3');
    expect(nameOf(card.querySelector('.card-actions button')!)).toBe('Delete Tom & Jerry <3');
    expect(rendered.split('Tom &amp; Jerry &lt;3').length - 1).toBe(1);
  });

  it('renders anew whatever the card shows changes: title, address, tags, description or date', () => {
    const render = createCardRenderer(environment(), 10);
    const original = String(render(toCard(bookmark())));
    for (const edit of [{ title: 'Renamed' }, { url: 'https://example.org/' }, { tags: ['three'] }, { tags: ['one'] }, { description: 'Now described' }, { createdAt: new Date(1_600_000_000_000) }]) {
      const changed = String(render(toCard(bookmark(edit))));
      expect(changed).not.toBe(original);
      expect(changed).toBe(String(createCardRenderer(environment(), 0)(toCard(bookmark(edit)))));
    }
  });

  it('sends a kept card as the very bytes the template renders, whatever the text: accents, other scripts, emoji, a lone surrogate', () => {
    const render = createCardRenderer(environment(), 10);
    for (const [id, title] of ['Café crème', 'Σχόλια 日本語 عربى', 'Rocket 🚀 launch', 'Broken \uD800 pair'].entries()) {
      const card = toCard(bookmark({ id, title, tags: ['naïve', '标签'], description: `${title}, described` }));
      const kept = render(card);
      expect(render(card)).toBe(kept);
      expect(Buffer.from(String(kept), 'utf8')).toEqual(Buffer.from(String(createCardRenderer(environment(), 0)(card)), 'utf8'));
      expect(html(String(kept)).querySelector('.card-title')?.textContent).toBe(title.replace('\uD800', '\uFFFD'));
    }
  });

  it('keeps at most maxEntries cards, dropping the least recently used, and none at 0', () => {
    const render = createCardRenderer(environment(), 2);
    const a = render(toCard(bookmark({ id: 1 })));
    const b = render(toCard(bookmark({ id: 2 })));
    expect(render(toCard(bookmark({ id: 1 })))).toBe(a);
    render(toCard(bookmark({ id: 3 })));
    expect(render(toCard(bookmark({ id: 1 })))).toBe(a);
    expect(render(toCard(bookmark({ id: 2 })))).not.toBe(b);
    const uncached = createCardRenderer(environment(), 0);
    expect(uncached(toCard(bookmark()))).not.toBe(uncached(toCard(bookmark())));
  });

  it('keeps at most maxCharacters in all, HTML and values: long cards push out the least recently used, and one longer than all of it is never kept', () => {
    // At their limits and escaped, as a card full of quotes and angle brackets renders.
    const long = (id: number, description = '<'.repeat(1000)) => toCard(bookmark({ id, title: '"'.repeat(500), description }));
    const html = String(createCardRenderer(environment(), 0)(long(1))).length;
    expect(html).toBeGreaterThan(7_000);
    const render = createCardRenderer(environment(), 100, 2.5 * (html + 2_000));
    const [a, b, c] = [render(long(1)), render(long(2)), render(long(3))];
    expect(render(long(3))).toBe(c);
    expect(render(long(2))).toBe(b);
    expect(render(long(1))).not.toBe(a);
    expect(render(long(3))).not.toBe(c);

    const huge = long(4, 'x'.repeat(100_000));
    expect(render(huge)).not.toBe(render(huge));
    expect(render(long(1))).toBe(render(long(1)));
  });
});

describe('createCardListRenderer', () => {
  it('renders a list as its cards one after another, each as the card renderer gives it, and an empty list as nothing', () => {
    const cards = [bookmark({ id: 1, title: 'First <one>' }), bookmark({ id: 2, title: 'Second', tags: [] }), bookmark({ id: 3, description: 'Third & last' })].map(toCard);
    const renderCard = createCardRenderer(environment(), 10);
    const renderList = createCardListRenderer(renderCard);
    const list = renderList(cards);
    expect(list).toBeInstanceOf(nunjucks.runtime.SafeString);
    expect(String(list)).toBe(cards.map((card) => String(createCardRenderer(environment(), 0)(card))).join(''));
    expect([...html(`<ul>${list}</ul>`).querySelectorAll('li.card')].map((li) => li.id)).toEqual(['bookmark-1', 'bookmark-2', 'bookmark-3']);
    expect(html(`<ul>${list}</ul>`).querySelector('.card-title')?.textContent).toBe('First <one>');
    // Again, from the kept cards: the same.
    expect(String(renderList(cards))).toBe(String(list));
    expect(String(renderList([]))).toBe('');
  });
});

describe('lists in production, where cards are kept', () => {
  const ctx = useSignedInApp({ production: true });
  const search = async (user: string, q: string) => parseFragment((await as(ctx, user).htmx.get(`/bookmarks/search?q=${encodeURIComponent(q)}`)).body);
  const titles = (page: Document) => [...page.querySelectorAll('.card-title')].map((a) => a.textContent);

  it('show an edit, a delete and another user’s own cards at once', async () => {
    const kept = await setupBookmark(ctx.app.db, 'alice', { title: 'Shared words first', url: 'https://example.com/1' });
    const edited = await setupBookmark(ctx.app.db, 'alice', { title: 'Shared words second', url: 'https://example.com/2' });
    await setupBookmark(ctx.app.db, 'bob', { title: 'Shared words first', url: 'https://example.com/1' });
    expect(titles(await search('alice', 'shared'))).toEqual(['Shared words second', 'Shared words first']);

    const put = await as(ctx, 'alice').htmx.put(`/bookmarks/${edited.id}`, { url: 'https://example.com/2', title: 'Shared words <renamed>', tags: 'new' });
    expect(put.statusCode).toBe(200);
    const afterEdit = await search('alice', 'shared');
    expect(titles(afterEdit)).toEqual(['Shared words <renamed>', 'Shared words first']);
    expect(afterEdit.querySelector(`#bookmark-${edited.id} .tags a`)?.textContent).toBe('new');

    await as(ctx, 'alice').htmx.delete(`/bookmarks/${kept.id}`);
    expect(titles(await search('alice', 'shared'))).toEqual(['Shared words <renamed>']);
    const bobs = await search('bob', 'shared');
    expect(titles(bobs)).toEqual(['Shared words first']);
    expect(bobs.querySelector(`#bookmark-${kept.id}`)).toBeNull();
  });
});
