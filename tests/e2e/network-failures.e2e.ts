import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addBookmark, bookmarkIdOf, cardTitles, settled, uniqueUser, useStack } from './harness.js';

const { session: current } = useStack();

const notice = (page: Page) => page.locator('#notice [role="alert"]');

async function withTwoBookmarks(user: string): Promise<Page> {
  const page = await current().signedInPage(uniqueUser(user));
  await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM', tags: 'sqlite' });
  await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx', tags: 'hypermedia' });
  await settled(page);
  return page;
}

describe('an htmx request that gets no answer at all (the network is down)', () => {
  it('an Edit leaves the card as it was, a notice says the app could not be reached, and the Edit works once it can', async () => {
    const page = await withTwoBookmarks('edit-offline');
    const id = await bookmarkIdOf(page, 'htmx');
    current().expectNetworkFailure(`/bookmarks/${id}/edit`);
    await page.route((url) => url.pathname === `/bookmarks/${id}/edit`, (route) => route.abort('connectionrefused'));
    await page.getByRole('link', { name: 'Edit htmx' }).click();
    await notice(page).waitFor();
    expect(await notice(page).textContent()).toMatch(/could not reach the app/i);
    await settled(page);
    expect(await page.locator('form.bookmark-edit').count()).toBe(0);
    expect(await cardTitles(page)).toEqual(['htmx', 'Drizzle ORM']);

    await page.unrouteAll({ behavior: 'wait' });
    await page.getByRole('link', { name: 'Edit htmx' }).click();
    await page.locator('form.bookmark-edit').waitFor();
  });

  it('a Save keeps what was typed in the form', async () => {
    const page = await withTwoBookmarks('save-offline');
    const id = await bookmarkIdOf(page, 'htmx');
    await page.getByRole('link', { name: 'Edit htmx' }).click();
    await page.locator('form.bookmark-edit').waitFor();
    await settled(page);
    current().expectNetworkFailure(`/bookmarks/${id}`);
    await page.route((url) => url.pathname === `/bookmarks/${id}`, (route) => route.abort('connectionreset'));
    await page.locator('form.bookmark-edit [name="title"]').fill('htmx, the library');
    await page.locator('form.bookmark-edit').getByRole('button', { name: 'Save' }).click();
    await notice(page).waitFor();
    expect(await notice(page).textContent()).toMatch(/could not reach the app/i);
    await settled(page);
    expect(await page.locator('form.bookmark-edit [name="title"]').inputValue()).toBe('htmx, the library');
    await page.unrouteAll({ behavior: 'wait' });
  });

  it('a search leaves the list and the search box as they were, and a search afterwards works', async () => {
    const page = await withTwoBookmarks('search-offline');
    current().expectNetworkFailure('/bookmarks/search');
    await page.route(
      (url) => url.pathname === '/bookmarks/search' && url.searchParams.get('q') === 'drizzle',
      (route) => route.abort('internetdisconnected'),
    );
    await page.fill('#search-input', 'drizzle');
    await notice(page).waitFor();
    expect(await notice(page).textContent()).toMatch(/could not reach the app/i);
    await settled(page);
    expect(await cardTitles(page)).toEqual(['htmx', 'Drizzle ORM']);
    expect(await page.inputValue('#search-input')).toBe('drizzle');

    await page.unrouteAll({ behavior: 'wait' });
    await page.press('#search-input', 'Enter');
    await page.locator('#list-summary', { hasText: '1 match for “drizzle”' }).waitFor();
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
  });

  it('a search replaced on purpose by a newer one (hx-sync) shows no notice', async () => {
    current().expectAbortedRequests();
    const page = await withTwoBookmarks('search-replaced');
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      (url) => url.pathname === '/bookmarks/search' && url.searchParams.get('q') === 'htmx',
      async (route) => {
        const response = await route.fetch().catch(() => null);
        await held;
        if (response) await route.fulfill({ response }).catch(() => {});
      },
    );
    const sent = page.waitForRequest((request) => new URL(request.url()).searchParams.get('q') === 'htmx');
    await page.fill('#search-input', 'htmx');
    await sent;
    await page.fill('#search-input', 'drizzle');
    await page.locator('#list-summary', { hasText: '1 match for “drizzle”' }).waitFor();
    release();
    await page.waitForTimeout(500);
    await settled(page);
    expect(await notice(page).count()).toBe(0);
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    await page.unrouteAll({ behavior: 'wait' });
  });
});
