import { describe, expect, it } from 'vitest';
import { addBookmark, cardTitled, cardTitles, screenshot, uniqueUser, useStack } from './harness.js';

/**
 * AUTH_MODE=proxy in Chromium: the production build behind a forward-auth proxy on
 * 127.0.0.1 that signs the browser in and passes Remote-User and X-Proxy-Secret on.
 */
const { session: current } = useStack({ proxy: true });

describe('in Chromium behind an authenticating proxy', () => {
  it('adds, searches and deletes with no sign-in page of the app’s own, then signs out at the proxy', async () => {
    const session = current();
    const user = uniqueUser('proxied');
    const page = await session.signedInPage(user);
    expect(await page.locator('h1').textContent()).toBe(`Hello, ${user.charAt(0).toUpperCase()}${user.slice(1)}`);
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();
    await screenshot(page, 'proxy-01-dashboard');

    await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM', tags: 'sqlite' });
    await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx', tags: 'hypermedia' });
    expect(await cardTitles(page)).toEqual(['htmx', 'Drizzle ORM']);

    await page.locator('#search-input').pressSequentially('drizzle');
    await page.locator('#list-summary', { hasText: '1 match for “drizzle”' }).waitFor();
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=drizzle`);
    await screenshot(page, 'proxy-02-search');

    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await page.getByRole('button', { name: 'Delete Drizzle ORM' }).click();
    expect((await deleted).status()).toBe(200);
    await cardTitled(page, 'Drizzle ORM').waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Deleted “Drizzle ORM”.' }).waitFor();
    await page.goto(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toEqual(['htmx']);

    // Through the app's own signing-out page to the proxy's logout, with form-action 'self' alone.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(session.proxyLogoutUrl!);
    await page.getByRole('heading', { name: 'Signed out of the proxy' }).waitFor();
  });

  it('shows two people signed in at the proxy side by side only their own bookmarks', async () => {
    const session = current();
    const ada = await session.signedInPage(uniqueUser('ada'));
    const bob = await session.signedInPage(uniqueUser('bob'));
    await addBookmark(ada, { url: 'https://example.com/ada-secret', title: 'Ada’s secret plan' });
    await bob.reload();
    await bob.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();
    await ada.reload();
    expect(await cardTitles(ada)).toEqual(['Ada’s secret plan']);
  });
});
