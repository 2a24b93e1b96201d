import { describe, expect, it } from 'vitest';
import { cardTitles, fillBookmarkForm, screenshot, uniqueUser, useStack } from './harness.js';

const { session: current } = useStack();

describe('in Chromium with JavaScript turned off', () => {
  it('signs in, adds by plain form post, searches by GET, deletes by the form fallback and signs out', async () => {
    const session = current();
    // The invalid add below is a full page answered 422 on purpose.
    session.expectErrorStatus(422, '/bookmarks');
    const page = await session.signedInPage(uniqueUser('nojs'), { javaScriptEnabled: false });
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();

    for (const bookmark of [
      { url: 'https://example.org/plain-forms', title: 'Plain forms still work', tags: 'html' },
      { url: 'https://example.org/progressive', title: 'Progressive enhancement', tags: 'html htmx' },
    ]) {
      await fillBookmarkForm(page, bookmark);
      const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
      await page.click('#bookmark-form-button');
      expect((await posted).status()).toBe(303);
      await page.waitForURL(`${session.baseUrl}/dashboard`);
    }
    expect(await cardTitles(page)).toEqual(['Progressive enhancement', 'Plain forms still work']);

    await fillBookmarkForm(page, { url: 'ftp://example.org/file', title: 'Wrong scheme' });
    await page.click('#bookmark-form-button');
    await page.locator('.field:has(#bookmark-url) > #bookmark-url-error').waitFor();
    expect(await page.inputValue('#bookmark-url')).toBe('ftp://example.org/file');
    expect(await cardTitles(page)).toHaveLength(2);
    await screenshot(page, 'nojs-01-invalid-url');

    await page.fill('#search-input', 'progressive');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(`${session.baseUrl}/bookmarks/search?q=progressive`);
    expect(await cardTitles(page)).toEqual(['Progressive enhancement']);
    expect(await page.inputValue('#search-input')).toBe('progressive');
    await screenshot(page, 'nojs-02-search');

    await page.getByRole('button', { name: 'Delete Progressive enhancement' }).click();
    await page.waitForURL(/\/dashboard\?undo=/);
    expect(await cardTitles(page)).toEqual(['Plain forms still work']);
    await page.getByRole('status').filter({ hasText: 'Deleted' }).waitFor();
    await screenshot(page, 'nojs-03-deleted');
    await page.goto(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toEqual(['Plain forms still work']);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${session.baseUrl}/`);
    await page.goto(`${session.baseUrl}/dashboard`);
    expect(page.url()).toBe(`${session.baseUrl}/`);
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  });
});
