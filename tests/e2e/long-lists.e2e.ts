import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { cardTitles, focusedLabel, marker, screenshot, setMarker, settled, uniqueUser, useStack } from './harness.js';
import { LIST_PAGE_SIZE } from '../../src/bookmarks/routes.js';

const { session: current } = useStack();

/** A Netscape bookmark file as browsers export it: `count` links, one a minute, newest last. */
function bookmarkFile(count: number): string {
  const links = Array.from({ length: count }, (_, i) => {
    const added = 1_700_000_000 + i * 60;
    return `<DT><A HREF="https://example.com/long/${i}" ADD_DATE="${added}">Long list item ${String(i).padStart(3, '0')}</A>`;
  });
  return `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n${links.join('\n')}\n</DL><p>\n`;
}

const COUNT = 120;
const expectedTitles = Array.from({ length: COUNT }, (_, i) => `Long list item ${String(COUNT - 1 - i).padStart(3, '0')}`);

async function importLongList(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/import`);
  await page.setInputFiles('#import-file', { name: 'bookmarks.html', mimeType: 'text/html', buffer: Buffer.from(bookmarkFile(COUNT)) });
  await page.locator('#import-button').click();
  await page.getByRole('status').filter({ hasText: `${COUNT} imported` }).waitFor();
}

describe('a list longer than one page', () => {
  it('shows one page under the full count and loads the rest as you scroll, newest first, without navigating', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('scroller'));
    await importLongList(page, session.baseUrl);
    await page.goto(`${session.baseUrl}/dashboard`);
    expect((await page.textContent('#list-summary'))?.trim()).toBe(`${COUNT} bookmarks`);
    expect(await cardTitles(page)).toEqual(expectedTitles.slice(0, LIST_PAGE_SIZE));
    await setMarker(page);

    // Scrolling the "Load more" row into view fetches the next page (hx-trigger="revealed").
    for (let shown = 2 * LIST_PAGE_SIZE; shown < COUNT + LIST_PAGE_SIZE; shown += LIST_PAGE_SIZE) {
      const more = page.waitForResponse((r) => r.url().includes('/bookmarks/search?') && r.url().includes('after='));
      await page.locator('.load-more a').scrollIntoViewIfNeeded();
      expect((await more).status()).toBe(200);
      await page.locator('#bookmark-cards > li.card').nth(Math.min(shown, COUNT) - 1).waitFor();
    }
    expect(await cardTitles(page)).toEqual(expectedTitles);
    expect(await page.locator('.load-more').count()).toBe(0);
    expect(await marker(page), 'the page navigated instead of appending').toBe('same document');
    await screenshot(page, 'desktop-light-long-list-end');
  });

  it('puts a card deleted far down a long list back in its place with Undo, the list as loaded and the keyboard on it', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('deep-undo'));
    await importLongList(page, session.baseUrl);
    await page.goto(`${session.baseUrl}/dashboard`);
    const loaded = 3 * LIST_PAGE_SIZE;
    for (let shown = 2 * LIST_PAGE_SIZE; shown <= loaded; shown += LIST_PAGE_SIZE) {
      const more = page.waitForResponse((r) => r.url().includes('/bookmarks/search?') && r.url().includes('after='));
      await page.locator('.load-more a').scrollIntoViewIfNeeded();
      await more;
      await page.locator('#bookmark-cards > li.card').nth(shown - 1).waitFor();
    }
    await settled(page);
    // In the third page, as the 46th of 60 was when pages were of twenty.
    const far = 2 * LIST_PAGE_SIZE + Math.floor(LIST_PAGE_SIZE / 4);
    const title = expectedTitles[far]!;
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await page.getByRole('button', { name: `Delete ${title}` }).click();
    await deleted;
    await page.getByText(title, { exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: `Deleted “${title}”.` }).waitFor();
    expect((await page.textContent('#list-summary'))?.trim()).toBe(`${COUNT - 1} bookmarks`);
    await settled(page);

    const card = await page.getByRole('link', { name: `Edit ${expectedTitles[far + 1]!}` }).boundingBox();
    await page.keyboard.press('Control+z');
    await page.getByRole('status').filter({ hasText: 'Bookmark restored.' }).waitFor();
    await expect.poll(() => focusedLabel(page), { timeout: 5_000 }).toBe(`Edit ${title}`);
    await settled(page);
    // Every card loaded is still there, the restored one in its place, and the list did not start again at the top.
    const shown = await cardTitles(page);
    expect(shown.length).toBeGreaterThanOrEqual(loaded);
    expect(shown).toEqual(expectedTitles.slice(0, shown.length));
    expect((await page.textContent('#list-summary'))?.trim()).toBe(`${COUNT} bookmarks`);
    expect(await page.evaluate(() => window.scrollY), 'scrolled back to the top').toBeGreaterThan(card!.y / 2);
    await screenshot(page, 'desktop-light-long-list-undo-in-place', { fullPage: false });
  });

  it('without JavaScript, "Load more" is a link to the next page', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('pager'), { javaScriptEnabled: false });
    await importLongList(page, session.baseUrl);
    await page.goto(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toEqual(expectedTitles.slice(0, LIST_PAGE_SIZE));
    await page.getByRole('link', { name: 'Load more' }).click();
    await page.getByText(expectedTitles[LIST_PAGE_SIZE]!, { exact: true }).waitFor();
    expect(page.url()).toMatch(/\/bookmarks\/search\?q=&after=\d+\.\d+$/);
    expect(await cardTitles(page)).toEqual(expectedTitles.slice(LIST_PAGE_SIZE, 2 * LIST_PAGE_SIZE));
    expect((await page.textContent('#list-summary'))?.trim()).toBe(`${COUNT} bookmarks`);
  });
});
