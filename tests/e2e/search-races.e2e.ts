import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addBookmark, cardTitles, settled, uniqueUser, useStack } from './harness.js';

const { session: current } = useStack();

/** Holds the answers to the search for `q` until release() is called: a slow network, or a slow search. */
async function holdSearch(page: Page, q: string): Promise<() => void> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    (url) => url.pathname === '/bookmarks/search' && url.searchParams.get('q') === q,
    async (route) => {
      const response = await route.fetch().catch(() => null);
      await held;
      // Aborted by the page meanwhile: nothing left to answer.
      if (response) await route.fulfill({ response }).catch(() => {});
    },
  );
  return release;
}

/** The list, the search box, the address bar and the live count, which must all name the same search. */
async function shown(page: Page) {
  return {
    titles: await cardTitles(page),
    box: await page.inputValue('#search-input'),
    q: new URL(page.url()).searchParams.get('q'),
    summary: (await page.textContent('#list-summary'))?.trim(),
  };
}

describe('searches that overlap', () => {
  const setUp = async (user: string): Promise<Page> => {
    // One search aborts the other: that is the point.
    current().expectAbortedRequests();
    const page = await current().signedInPage(uniqueUser(user));
    await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM', tags: 'sqlite' });
    await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx', tags: 'hypermedia' });
    await settled(page);
    return page;
  };
  const drizzle = { titles: ['Drizzle ORM'], box: 'drizzle', q: 'drizzle', summary: '1 match for “drizzle”' };

  it('a tag clicked and then a search typed: the tag’s late answer leaves the typed search alone', async () => {
    const page = await setUp('tag-then-type');
    const release = await holdSearch(page, '#hypermedia');
    await page.locator('#tag-cloud a', { hasText: 'hypermedia' }).click();
    await page.locator('#search-input').pressSequentially('drizzle');
    await page.locator('#list-summary', { hasText: '1 match for “drizzle”' }).waitFor();
    release();
    // Time for a late answer to land anywhere.
    await page.waitForTimeout(1_000);
    await settled(page);
    expect(await shown(page)).toEqual(drizzle);
    await page.unrouteAll({ behavior: 'wait' });
  });

  it('a search typed and then a tag clicked: the search’s late answer leaves the tag’s list alone', async () => {
    const page = await setUp('type-then-tag');
    const release = await holdSearch(page, 'drizzle');
    const sent = page.waitForRequest((request) => new URL(request.url()).searchParams.get('q') === 'drizzle');
    await page.locator('#search-input').pressSequentially('drizzle');
    await sent;
    await page.locator('#tag-cloud a', { hasText: 'hypermedia' }).click();
    await page.locator('#list-summary', { hasText: '1 match for “#hypermedia”' }).waitFor();
    release();
    await page.waitForTimeout(1_000);
    await settled(page);
    expect(await shown(page)).toEqual({ titles: ['htmx'], box: '#hypermedia', q: '#hypermedia', summary: '1 match for “#hypermedia”' });
    await page.unrouteAll({ behavior: 'wait' });
  });
});
