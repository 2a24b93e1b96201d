import { describe, expect, it } from 'vitest';
import type { CDPSession, Page } from 'playwright-core';
import { addBookmark, cardTitled, cardTitles, settled, signIn, uniqueUser, useStack } from './harness.js';

const { session: current } = useStack();

/**
 * Each search request the page sent and the status that came over the wire (304: the
 * server said "unchanged" and Chromium used its own copy). Playwright reports the 200
 * of the cached copy, so the wire status comes from the DevTools protocol.
 */
/**
 * Hands each status that came over the wire (Network.responseReceivedExtraInfo) to `onStatus`
 * once its request has been seen. DevTools does not promise the order of the two events: a
 * status that comes first is held until requestSeen() is called for its request.
 */
function statusesOnTheWire(cdp: CDPSession, onStatus: (requestId: string, status: number) => void): { requestSeen(requestId: string): void } {
  const early = new Map<string, number[]>();
  const seenRequests = new Set<string>();
  cdp.on('Network.responseReceivedExtraInfo', ({ requestId, statusCode }) => {
    if (seenRequests.has(requestId)) onStatus(requestId, statusCode);
    else early.set(requestId, [...(early.get(requestId) ?? []), statusCode]);
  });
  return {
    requestSeen(requestId) {
      seenRequests.add(requestId);
      for (const status of early.get(requestId) ?? []) onStatus(requestId, status);
      early.delete(requestId);
    },
  };
}

async function watchSearches(page: Page): Promise<{ q: string; status: number }[]> {
  const seen: { q: string; status: number }[] = [];
  const searches = new Map<string, string>();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const statuses = statusesOnTheWire(cdp, (requestId, status) => {
    const q = searches.get(requestId);
    if (q !== undefined) seen.push({ q, status });
  });
  cdp.on('Network.requestWillBeSent', ({ requestId, request }) => {
    const url = new URL(request.url);
    if (url.pathname !== '/bookmarks/search' || request.headers['HX-Request'] !== 'true') return;
    searches.set(requestId, url.searchParams.get('q') ?? '');
    statuses.requestSeen(requestId);
  });
  return seen;
}

/**
 * Each time the page itself (not a fragment) was asked for at `path`, the status that came
 * over the wire. A redirect there ("/" to the dashboard) keeps its request id, so the
 * redirect's own status is left out.
 */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function watchPageLoads(page: Page, path: string): Promise<number[]> {
  const seen: number[] = [];
  const loads = new Set<string>();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const statuses = statusesOnTheWire(cdp, (requestId, status) => {
    if (loads.has(requestId) && !REDIRECTS.has(status)) seen.push(status);
  });
  cdp.on('Network.requestWillBeSent', ({ requestId, request, type }) => {
    if (type !== 'Document' || new URL(request.url).pathname !== path) return;
    loads.add(requestId);
    statuses.requestSeen(requestId);
  });
  return seen;
}

/** Types into the search box and waits until the list shows that search. */
async function typeSearch(page: Page, keys: string, expected: string): Promise<void> {
  const settled = page.waitForResponse((response) => new URL(response.url()).pathname === '/bookmarks/search' && new URL(response.url()).searchParams.get('q') === expected);
  // From the end of the text, wherever the caret was left when focus moved away.
  await page.locator('#search-input').press('End');
  if (keys === 'Backspace') await page.locator('#search-input').press('Backspace');
  else await page.locator('#search-input').pressSequentially(keys);
  await settled;
  await page.waitForLoadState('networkidle');
}

describe('the browser keeps the dashboard and search fragments and revalidates them', () => {
  it('coming back to the dashboard is answered 304 from Chromium’s cache; after a write, the new page', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('back'));
    await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM' });
    const loads = await watchPageLoads(page, '/dashboard');
    // Away to settings and back by the app's own links, as a person would.
    const comeBack = async (): Promise<void> => {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.waitForURL(`${session.baseUrl}/settings`);
      await page.getByRole('link', { name: 'Bookmarks' }).first().click();
      await page.waitForURL(`${session.baseUrl}/dashboard`);
      await page.waitForLoadState('load');
    };
    // The first load after the add: the copy Chromium kept from before it no longer matches.
    await comeBack();
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    await comeBack();
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    expect(loads).toEqual([200, 304]);

    await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify' });
    await comeBack();
    expect(await cardTitles(page)).toEqual(['Fastify', 'Drizzle ORM']);
    expect(loads).toEqual([200, 304, 200]);
  });

  // Retried: about one run in ten (on this 2-core machine, cause not found) DevTools reports one search of "dri" where
  // the page made two, and the 304 goes unseen; a stale or another user's answer would fail every try.
  it('typing, backspacing and typing again is answered 304 from Chromium’s cache; after a write, the new list', { retry: 2 }, async () => {
    const session = current();
    const user = uniqueUser('etag');
    const page = await session.signedInPage(user);
    await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM' });
    await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify' });
    const searches = await watchSearches(page);

    await typeSearch(page, 'dri', 'dri');
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    await typeSearch(page, 'Backspace', 'dr');
    await typeSearch(page, 'i', 'dri');
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    // The wire's statuses come by their own DevTools session, a moment after the page has its answer.
    const driStatuses = () => searches.filter((search) => search.q === 'dri').map((search) => search.status);
    await expect.poll(driStatuses, { timeout: 5_000 }).toEqual([200, 304]);

    // A write moves the user's data version: the same search is answered in full.
    await addBookmark(page, { url: 'https://orm.drizzle.team/kit', title: 'Drizzle Kit' });
    await typeSearch(page, 'Backspace', 'dr');
    await typeSearch(page, 'i', 'dri');
    expect((await cardTitles(page)).sort()).toEqual(['Drizzle Kit', 'Drizzle ORM']);
    await expect.poll(driStatuses, { timeout: 5_000 }).toEqual([200, 304, 200]);
  });

  it('another user in the same browser, after the first signs out, never sees the first one’s cached list', async () => {
    const session = current();
    const first = uniqueUser('first');
    const page = await session.signedInPage(first);
    await addBookmark(page, { url: 'https://private.example/', title: 'First user private' });
    await page.reload();
    expect(await cardTitles(page)).toEqual(['First user private']);
    await typeSearch(page, 'priv', 'priv');
    expect(await cardTitles(page)).toEqual(['First user private']);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${session.baseUrl}/`);
    const dashboards = await watchPageLoads(page, '/dashboard');
    await signIn(page, session.baseUrl, uniqueUser('second'));
    // The first user's dashboard is gone from the cache: the second's comes in full.
    expect(dashboards).toEqual([200]);
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();
    const searches = await watchSearches(page);
    await typeSearch(page, 'priv', 'priv');
    expect(await cardTitles(page)).toEqual([]);
    expect(await page.locator('#bookmark-list .empty-state').textContent()).toContain('No bookmarks match');
    await expect.poll(() => searches.map((search) => search.status), { timeout: 5_000 }).toEqual([200]);
  });

  it('Back to the dashboard from Chromium’s HTTP cache after an add in place shows the bookmark that was added', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('back-add'));
    await addBookmark(page, { url: 'https://a.example/', title: 'Alpha' });
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(`${session.baseUrl}/settings`);
    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.waitForLoadState('load');
    // Kept by Chromium from before the add, the page asks again with its ETag, and loads again as it changed.
    await expect.poll(() => cardTitles(page), { timeout: 5_000 }).toEqual(['Alpha']);
  });

  it('Back to the dashboard after a delete and an edit shows neither the deleted card nor the old title', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('back-write'));
    await addBookmark(page, { url: 'https://a.example/', title: 'Alpha' });
    await addBookmark(page, { url: 'https://b.example/', title: 'Beta' });
    await page.reload();
    await page.getByRole('button', { name: 'Delete Beta' }).click();
    await cardTitled(page, 'Beta').waitFor({ state: 'detached' });
    // The undo toast and the list with it arrive after the card has gone.
    await page.getByText('Deleted “Beta”').waitFor();
    await settled(page);
    await page.getByRole('link', { name: 'Edit Alpha' }).click();
    // The edit form settled, so what is typed goes into the form that is sent.
    await page.locator('form.bookmark-edit').waitFor();
    await settled(page);
    await page.locator('form.bookmark-edit input[name=title]').fill('Alpha edited');
    await page.locator('form.bookmark-edit button[type=submit]').click();
    await cardTitled(page, 'Alpha edited').waitFor();
    await settled(page);
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await page.waitForURL(`${session.baseUrl}/import`);
    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.waitForLoadState('load');
    await expect.poll(() => cardTitles(page), { timeout: 5_000 }).toEqual(['Alpha edited']);
  });
});
