import { describe, expect, it } from 'vitest';
import { cardTitled, cardTitles, fillBookmarkForm, screenshot, uniqueUser, useStack } from './harness.js';

const { session: current } = useStack();

// Without JavaScript every click is a full page load; after each one the test waits
// for what the new page must show, since its URL is often the one it started from.
describe('in Chromium with JavaScript turned off', () => {
  it('signs in, adds by plain form post, edits on its own page, searches by GET, deletes and undoes by forms, and signs out', async () => {
    const session = current();
    // The invalid add below is a full page answered 422 on purpose.
    session.expectErrorStatus(422, '/bookmarks');
    const page = await session.signedInPage(uniqueUser('nojs'), { javaScriptEnabled: false });
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();

    const adds = [
      { url: 'https://example.org/plain-forms', title: 'Plain forms still work', tags: 'html' },
      { url: 'https://example.org/progressive', title: 'Progressive enhancement', tags: 'html htmx' },
    ];
    for (const [index, bookmark] of adds.entries()) {
      await fillBookmarkForm(page, bookmark);
      const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
      await page.click('#bookmark-form-button');
      expect((await posted).status()).toBe(303);
      await cardTitled(page, bookmark.title).waitFor();
      expect(page.url()).toBe(`${session.baseUrl}/dashboard`);
      expect(await page.locator('#bookmark-cards > li.card').count()).toBe(index + 1);
      expect(await page.inputValue('#bookmark-url')).toBe('');
    }
    expect(await cardTitles(page)).toEqual(['Progressive enhancement', 'Plain forms still work']);

    await fillBookmarkForm(page, { url: 'ftp://example.org/file', title: 'Wrong scheme' });
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await page.click('#bookmark-form-button');
    expect((await refused).status()).toBe(422);
    await page.locator('.field:has(#bookmark-url) > #bookmark-url-error').waitFor();
    expect(await page.inputValue('#bookmark-url')).toBe('ftp://example.org/file');
    expect(await cardTitles(page)).toHaveLength(2);
    await screenshot(page, 'nojs-01-invalid-url');

    await page.getByRole('link', { name: 'Edit Plain forms still work' }).click();
    await page.getByRole('heading', { name: 'Edit bookmark' }).waitFor();
    expect(page.url()).toMatch(new RegExp(`^${session.baseUrl}/bookmarks/\\d+/edit$`));
    const title = page.locator('form.bookmark-edit input[name="title"]');
    expect(await title.inputValue()).toBe('Plain forms still work');
    await screenshot(page, 'nojs-02-edit-page');
    await title.fill('Plain forms, edited');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await cardTitled(page, 'Plain forms, edited').waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toEqual(['Progressive enhancement', 'Plain forms, edited']);

    await page.fill('#search-input', 'progressive');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('#list-summary', { hasText: '1 match for “progressive”' }).waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=progressive`);
    expect(await cardTitles(page)).toEqual(['Progressive enhancement']);
    expect(await page.inputValue('#search-input')).toBe('progressive');
    await screenshot(page, 'nojs-03-search');

    // A delete, its Undo and an edit go back to the search they were made from.
    await page.getByRole('button', { name: 'Delete Progressive enhancement' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted “Progressive enhancement”.' }).waitFor();
    expect(page.url()).toMatch(new RegExp(`^${session.baseUrl}/bookmarks/search\\?q=progressive&undo=`));
    expect(await page.inputValue('#search-input')).toBe('progressive');
    expect(await cardTitles(page)).toEqual([]);
    await screenshot(page, 'nojs-04-deleted');

    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await cardTitled(page, 'Progressive enhancement').waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=progressive&restored=1`);
    // The page says so, as the htmx notice does.
    await page.getByRole('status').filter({ hasText: 'Bookmark restored.' }).waitFor();
    expect(await cardTitles(page)).toEqual(['Progressive enhancement']);
    await screenshot(page, 'nojs-05-restored');

    await page.getByRole('link', { name: 'Edit Progressive enhancement' }).click();
    await page.getByRole('heading', { name: 'Edit bookmark' }).waitFor();
    await title.fill('Progressive enhancement, edited');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await cardTitled(page, 'Progressive enhancement, edited').waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=progressive`);
    expect(await cardTitles(page)).toEqual(['Progressive enhancement, edited']);
    await page.goto(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toEqual(['Progressive enhancement, edited', 'Plain forms, edited']);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/`);
    await page.goto(`${session.baseUrl}/dashboard`);
    expect(page.url()).toBe(`${session.baseUrl}/`);
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  });
});
