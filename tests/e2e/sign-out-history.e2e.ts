import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addBookmark, cardTitled, cardTitles, fillBookmarkForm, screenshot, uniqueUser, useStack } from './harness.js';

// Chromium's back/forward cache stays on here (Playwright turns it off by default), as in every browser.
const { session: current } = useStack({ backForwardCache: true });

interface Navigation {
  url: string;
  /**
   * 'Navigation' (a document loaded), 'BackForwardCacheRestore' (the old document came
   * back from the back/forward cache) or 'SameDocument' (a history entry htmx pushed).
   */
  type: string;
}

interface History {
  /** Every navigation the main frame committed, as Chromium reports it. */
  navigations: Navigation[];
  /** Why Chromium did not restore a page from its back/forward cache, as it reports it. */
  notCached: unknown[];
  /** The index of the current entry in the tab's session history. */
  currentIndex(): Promise<number>;
}

async function watchHistory(page: Page): Promise<History> {
  const navigations: Navigation[] = [];
  const notCached: unknown[] = [];
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.enable');
  cdp.on('Page.backForwardCacheNotUsed', ({ notRestoredExplanations }) => notCached.push(notRestoredExplanations));
  const { frameTree } = await cdp.send('Page.getFrameTree');
  cdp.on('Page.frameNavigated', ({ frame, type }) => {
    if (!frame.parentId) navigations.push({ url: frame.url, type });
  });
  cdp.on('Page.navigatedWithinDocument', ({ frameId, url }) => {
    if (frameId === frameTree.frame.id) navigations.push({ url, type: 'SameDocument' });
  });
  return { navigations, notCached, currentIndex: async () => (await cdp.send('Page.getNavigationHistory')).currentIndex };
}

/**
 * One press of Back, waiting until what it brought is shown: a restored document fires
 * no load event, and an entry htmx pushed may fetch its content after the popstate.
 */
async function pressBack(page: Page, navigations: Navigation[]): Promise<Navigation> {
  const before = navigations.length;
  await page.goBack({ waitUntil: 'commit' });
  await expect.poll(() => navigations.length, { timeout: 10_000 }).toBeGreaterThan(before);
  const navigation = navigations.at(-1)!;
  if (navigation.type === 'Navigation') await page.waitForLoadState('load');
  await page.waitForLoadState('networkidle');
  return navigation;
}

/** The whole document as the browser shows it now: markup, attributes and title. */
async function shownText(page: Page): Promise<string> {
  return `${await page.title()}\n${await page.content()}`;
}

async function signOut(page: Page, baseUrl: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL(`${baseUrl}/`);
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
}

/**
 * Presses Back until the browser is before the first private page, checking every
 * page it shows on the way: none may show the signed-out user's name or bookmarks.
 */
async function pressBackTo(page: Page, history: History, firstPrivateEntry: number, secrets: string[], label: string): Promise<string[]> {
  const visited: string[] = [];
  for (let step = 1; (await history.currentIndex()) > firstPrivateEntry; step++) {
    await pressBack(page, history.navigations);
    visited.push(page.url());
    const text = await shownText(page);
    const shown = secrets.filter((secret) => text.includes(secret));
    expect(shown, `Back ×${step} (${page.url()}, ${history.navigations.at(-1)?.type}) shows private text`).toEqual([]);
    await screenshot(page, `${label}-back-${step}`);
  }
  return visited;
}

describe('after signing out, Back in Chromium', () => {
  it('restores an ordinary public page from the back/forward cache (so the checks below can see it happen)', async () => {
    const session = current();
    session.expectErrorStatus(404, '/no-such-page');
    const page = await session.newPage();
    const { navigations } = await watchHistory(page);
    await page.goto(`${session.baseUrl}/`);
    await page.goto(`${session.baseUrl}/no-such-page`);
    expect(await pressBack(page, navigations)).toEqual({ url: `${session.baseUrl}/`, type: 'BackForwardCacheRestore' });
  });

  it.each([
    ['on', true],
    ['off', false],
  ])('shows no bookmark and no user name of the signed-out user, with JavaScript %s', async (_label, javaScriptEnabled) => {
    const session = current();
    const user = uniqueUser(javaScriptEnabled ? 'backjs' : 'backnojs');
    const page = await session.signedInPage(user, { javaScriptEnabled });
    session.expectProviderWithoutIcon();
    const history = await watchHistory(page);
    const dashboardEntry = await history.currentIndex();
    const bookmarks = [
      { url: 'https://example.org/diary', title: 'Confidential diary entry', tags: 'secret' },
      { url: 'https://example.org/salary', title: 'Salary negotiation notes', tags: 'secret' },
    ];
    for (const bookmark of bookmarks) {
      if (javaScriptEnabled) {
        await addBookmark(page, bookmark);
      } else {
        await fillBookmarkForm(page, bookmark);
        await page.click('#bookmark-form-button');
        await cardTitled(page, bookmark.title).waitFor();
      }
    }

    // Browse: a search (pushed into history by htmx, or a plain GET), then an edit page.
    if (javaScriptEnabled) {
      await page.locator('#search-input').pressSequentially('salary');
      await page.waitForURL(`${session.baseUrl}/bookmarks/search?q=salary`);
    } else {
      await page.fill('#search-input', 'salary');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForURL(`${session.baseUrl}/bookmarks/search?q=salary`);
    }
    await page.locator('#list-summary', { hasText: '1 match for “salary”' }).waitFor();
    const editHref = await page.getByRole('link', { name: 'Edit Salary negotiation notes' }).getAttribute('href');
    await page.goto(`${session.baseUrl}${editHref}`);
    await page.getByRole('heading', { name: 'Edit bookmark' }).waitFor();
    const secrets = [user, ...bookmarks.map((bookmark) => bookmark.title)];
    expect(await shownText(page)).toContain('Salary negotiation notes');

    await signOut(page, session.baseUrl);
    const label = javaScriptEnabled ? 'back-js' : 'back-nojs';
    const visited = await pressBackTo(page, history, dashboardEntry, secrets, label);
    // Back through the provider's sign-out page, the edit page, the search and the dashboard.
    expect(visited.length, visited.join(' → ')).toBeGreaterThanOrEqual(4);

    if (javaScriptEnabled) {
      // htmx keeps no copy of any page (historyCacheSize 0): at most the path of the page shown now.
      const stored = await page.evaluate(() => ({ ...sessionStorage, ...localStorage }) as Record<string, string>);
      expect(Object.keys(stored)).not.toContain('htmx-history-cache');
      expect(secrets.filter((secret) => JSON.stringify(stored).includes(secret))).toEqual([]);
    }
    const restored = history.navigations.filter((navigation) => navigation.type === 'BackForwardCacheRestore');
    expect(restored, 'pages restored from the back/forward cache').toEqual([]);
  });

  it('asks again for a page kept in the back/forward cache once the session has ended elsewhere, and shows the sign-in page', async () => {
    const session = current();
    const user = uniqueUser('elsewhere');
    const page = await session.signedInPage(user);
    await addBookmark(page, { url: 'https://example.org/plans', title: 'Secret plans kept in the cache' });
    // Loaded afresh: Chromium keeps no page out of its back/forward cache once a script on it got a no-store answer (the add's).
    await page.reload();
    await cardTitled(page, 'Secret plans kept in the cache').waitFor();
    // Nor a page that is still loading something (a site icon) as it is left.
    await page.waitForLoadState('networkidle');
    const history = await watchHistory(page);
    // The dashboard goes into the back/forward cache as the settings page shows.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(`${session.baseUrl}/settings`);

    // A copy of this session's cookie signs out in another browser: its Clear-Site-Data never reaches this one.
    const cookie = (await page.context().cookies()).find((candidate) => candidate.name === 'session')!;
    const signedOutElsewhere = await fetch(`${session.baseUrl}/auth/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `session=${cookie.value}`, origin: session.baseUrl, 'sec-fetch-site': 'same-origin' },
    });
    expect(signedOutElsewhere.status).toBe(303);

    // Chromium brings the dashboard back from its cache; static/app.js asks for it again before it shows.
    const before = history.navigations.length;
    await page.goBack({ waitUntil: 'commit' });
    await page.waitForURL(`${session.baseUrl}/`);
    expect(history.navigations.slice(before), `not restored: ${JSON.stringify(history.notCached)}`).toEqual([
      { url: `${session.baseUrl}/dashboard`, type: 'BackForwardCacheRestore' },
      // The reload: the dashboard, redirected to the sign-in page.
      { url: `${session.baseUrl}/`, type: 'Navigation' },
    ]);
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    const text = await shownText(page);
    expect([user, 'Secret plans kept in the cache'].filter((secret) => text.includes(secret))).toEqual([]);
    await screenshot(page, 'back-after-signed-out-elsewhere');
  });

  it('going back several pages to the dashboard after an add shows the bookmark that was added', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('back-far'));
    await addBookmark(page, { url: 'https://a.example/', title: 'Alpha' });
    const pages = ['/settings', '/import', '/settings', '/import', '/settings', '/import', '/settings', '/import'];
    for (const path of pages) await page.goto(`${session.baseUrl}${path}`);
    await page.evaluate((steps) => history.go(-steps), pages.length);
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.waitForLoadState('load');
    // Out of the back/forward cache by then, the page came from the HTTP cache: it asks again, and loads again.
    await expect.poll(() => cardTitles(page), { timeout: 5_000 }).toEqual(['Alpha']);
  });
});
