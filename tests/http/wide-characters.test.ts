import { describe, expect, it } from 'vitest';
import { as, parseFragment, setupBookmark, useSignedInApp } from '../helpers.js';

/**
 * A rendered answer is one string of many pieces (nunjucks and the card list build it by
 * concatenation), measured and encoded on its way out: its bytes and its Content-Length must be
 * those of its UTF-8, whatever the characters, and revalidation must hold for it.
 */
const WIDE_TEXT = 'Größe · 東京 · emoji 🔖 · ';

describe('pages and fragments of wide characters', () => {
  const ctx = useSignedInApp();

  it('a search page arrives whole, its Content-Length its UTF-8 length, and still revalidates; so does the dashboard', async () => {
    for (let i = 0; i < 12; i++) await setupBookmark(ctx.app.db, 'alice', { url: `https://example.com/${i}`, title: `${WIDE_TEXT}${i}`, tags: ['größe'] });
    const answer = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=gr');
    expect(answer.statusCode).toBe(200);
    // Longer in bytes than in characters: the length is counted in bytes.
    expect(answer.rawPayload.length).toBeGreaterThan(answer.body.length);
    expect(Number(answer.headers['content-length'])).toBe(answer.rawPayload.length);
    expect(answer.rawPayload.equals(Buffer.from(answer.body, 'utf8'))).toBe(true);
    const titles = [...parseFragment(answer.body).querySelectorAll('.card .card-title')].map((title) => title.textContent?.trim());
    expect(titles).toHaveLength(12);
    for (const title of titles) expect(title).toContain(WIDE_TEXT.trim());

    const again = await as(ctx, 'alice').htmx.get('/bookmarks/search?q=gr', { headers: { 'if-none-match': String(answer.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);

    const dashboard = await as(ctx, 'alice').get('/dashboard');
    expect(Number(dashboard.headers['content-length'])).toBe(dashboard.rawPayload.length);
    expect(dashboard.body).toContain('東京');
  });
});
