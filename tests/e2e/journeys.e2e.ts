import { describe, expect, it } from 'vitest';
import {
  addBookmark,
  cardTitled,
  cardTitles,
  fillBookmarkForm,
  focusedId,
  focusedLabel,
  marker,
  screenshot,
  setMarker,
  settled,
  uniqueUser,
  useStack,
} from './harness.js';

const { session: current } = useStack();

describe('in Chromium with JavaScript', () => {
  it('signs in through the provider’s own login page and lands on the dashboard', async () => {
    const session = current();
    const page = await session.newPage();
    await page.goto(`${session.baseUrl}/`);
    await screenshot(page, 'desktop-light-01-sign-in');
    await page.getByRole('link', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/interaction\//);
    await screenshot(page, 'desktop-light-02-provider-login');
    await page.fill('#login', 'ada');
    await page.fill('#password', 'anything');
    await page.click('button[type="submit"]');

    await page.waitForURL(`${session.baseUrl}/dashboard`);
    expect(await page.locator('h1').textContent()).toBe('Hello, ada');
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();
    await screenshot(page, 'desktop-light-03-empty-dashboard');
  });

  it('adds bookmarks in place with Enter and with the button: form cleared, focus back on the address', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('adder'));
    const dashboardUrl = page.url();
    await setMarker(page);

    const adds = [
      { via: 'Enter', url: 'https://orm.drizzle.team/docs/overview', title: 'Drizzle ORM docs', tags: 'sqlite, orm' },
      { via: 'button', url: 'https://htmx.org/docs/', title: 'htmx documentation', tags: 'htmx hypermedia' },
      { via: 'button', url: 'https://fastify.dev/', title: 'Fastify', tags: '' },
    ];
    for (const [index, add] of adds.entries()) {
      await fillBookmarkForm(page, add);
      const saved = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
      if (add.via === 'Enter') await page.press('#bookmark-title', 'Enter');
      else await page.click('#bookmark-form-button');
      expect((await saved).status()).toBe(200);
      await cardTitled(page, add.title).waitFor();

      expect(await marker(page), 'the page navigated instead of swapping').toBe('same document');
      expect(page.url()).toBe(dashboardUrl);
      expect(await page.inputValue('#bookmark-url')).toBe('');
      expect(await page.inputValue('#bookmark-title')).toBe('');
      expect(await page.inputValue('#bookmark-tags')).toBe('');
      await expect.poll(() => focusedId(page), { timeout: 5_000 }).toBe('bookmark-url');
      expect(await page.locator('#bookmark-cards > li.card').count()).toBe(index + 1);
    }

    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx documentation', 'Drizzle ORM docs']);
    expect((await page.textContent('#list-summary'))?.trim()).toBe('3 bookmarks');
    expect(await cardTitled(page, 'Drizzle ORM docs').locator('.tags a').allTextContents()).toEqual(['sqlite', 'orm']);
    expect(await page.locator('#tag-cloud .tags a').allTextContents()).toEqual(expect.arrayContaining(['sqlite', 'orm', 'htmx', 'hypermedia']));
    await screenshot(page, 'desktop-light-04-three-bookmarks');
  });

  it('searches as you type with a debounce; clearing, reloading the pushed URL and Back all work', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('searcher'));
    await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM', tags: 'sqlite' });
    await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx', tags: 'hypermedia' });
    await addBookmark(page, { url: 'https://www.sqlite.org/fts5.html', title: 'SQLite FTS5', tags: 'sqlite search' });

    const searches: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/bookmarks/search') searches.push(request.url());
    });
    const searchEntries = (): string => `search requests: ${searches.join(', ') || 'none'}`;
    // No delay between keys: each is still its own input event, and all of them fall
    // well inside the 300 ms debounce however slow the machine is.
    await page.locator('#search-input').pressSequentially('drizzle');
    await page
      .locator('#list-summary', { hasText: '1 match for “drizzle”' })
      .waitFor()
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${searchEntries()}`);
      });
    expect(searches.at(-1), searchEntries()).toBe(`${session.baseUrl}/bookmarks/search?q=drizzle`);
    expect(searches.length).toBeGreaterThanOrEqual(1);
    expect(searches.length, searchEntries()).toBeLessThanOrEqual(2);
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=drizzle`);
    // The title names the search, as the page reloaded does, so history's entries tell searches apart.
    expect(await page.title()).toBe('drizzle · Bookmarks');
    await screenshot(page, 'desktop-light-05-search');

    await page.reload();
    expect(await page.inputValue('#search-input')).toBe('drizzle');
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);

    const cleared = page.waitForResponse((r) => r.url() === `${session.baseUrl}/bookmarks/search?q=`);
    await page.fill('#search-input', '');
    await cleared;
    await page.locator('#list-summary', { hasText: '3 bookmarks' }).waitFor();
    expect(await cardTitles(page)).toEqual(['SQLite FTS5', 'htmx', 'Drizzle ORM']);
    // Cleared, it is the dashboard again.
    await expect.poll(() => page.url()).toBe(`${session.baseUrl}/dashboard`);
    expect(await page.title()).toBe('Bookmarks');

    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/bookmarks/search?q=drizzle`);
    await page.locator('#list-summary', { hasText: '1 match for “drizzle”' }).waitFor();
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    expect(await page.title()).toBe('drizzle · Bookmarks');

    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.locator('#list-summary', { hasText: '3 bookmarks' }).waitFor();
    expect(await cardTitles(page)).toHaveLength(3);

    // Enter in the box searches in place too, at once: the page stays, and so does the cursor.
    // Pressed right after typing, it is the one search sent, and one step of history.
    await setMarker(page);
    // Counts the entries htmx pushes (history.length would count from Back's position).
    await page.evaluate(() => {
      const push = history.pushState.bind(history);
      const counted = window as unknown as { e2ePushes: number };
      counted.e2ePushes = 0;
      history.pushState = (...args: Parameters<History['pushState']>) => {
        counted.e2ePushes++;
        push(...args);
      };
    });
    const afterEnter: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/bookmarks/search') afterEnter.push(`${request.resourceType()} ${request.url()}`);
    });
    const entered = page.waitForResponse((r) => r.url() === `${session.baseUrl}/bookmarks/search?q=fts` && r.request().headers()['hx-request'] === 'true');
    await page.locator('#search-input').pressSequentially('fts');
    await page.press('#search-input', 'Enter');
    await entered;
    await page.locator('#list-summary', { hasText: '1 match for “fts”' }).waitFor();
    await settled(page);
    // Longer than the typing's debounce: a search still pending would have gone by now.
    await page.waitForTimeout(600);
    expect(await marker(page), 'Enter reloaded the page').toBe('same document');
    expect(afterEnter, 'Enter asks once, through htmx').toEqual([`xhr ${session.baseUrl}/bookmarks/search?q=fts`]);
    expect(await page.evaluate(() => (window as unknown as { e2ePushes: number }).e2ePushes), 'history entries pushed').toBe(1);
    expect(await focusedId(page)).toBe('search-input');
    expect(await page.inputValue('#search-input')).toBe('fts');
    expect(await cardTitles(page)).toEqual(['SQLite FTS5']);
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=fts`);

    // Enter again searches again, but Back still goes to the search before it, not to the same one.
    const again = page.waitForResponse((r) => r.url() === `${session.baseUrl}/bookmarks/search?q=fts` && r.request().headers()['hx-request'] === 'true');
    await page.press('#search-input', 'Enter');
    await again;
    await settled(page);
    expect(afterEnter, 'the second Enter asks again').toHaveLength(2);
    expect(await page.evaluate(() => (window as unknown as { e2ePushes: number }).e2ePushes), 'history entries pushed after Enter twice').toBe(1);
    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
  });

  it('confirms a bookmark saved while the search hides it, beside an Undo still pending, with a way to show everything', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('filtered-adder'));
    await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx', tags: 'hypermedia' });
    await addBookmark(page, { url: 'https://htmx.org/docs/', title: 'htmx docs' });
    await page.locator('#search-input').pressSequentially('htmx');
    await page.locator('#list-summary', { hasText: '2 matches for “htmx”' }).waitFor();
    await setMarker(page);
    await page.getByRole('button', { name: 'Delete htmx docs' }).click();
    // Each toast of the undo region (a live region, role="status", announced as a whole).
    const undo = page.locator('#undo-notice .toast').filter({ hasText: 'Deleted “htmx docs”.' });
    await undo.waitFor();

    await fillBookmarkForm(page, { url: 'https://fastify.dev/', title: 'Fastify' });
    const saved = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await page.press('#bookmark-title', 'Enter');
    expect((await saved).status()).toBe(200);
    const notice = page.locator('#undo-notice .toast').filter({ hasText: 'Saved “Fastify”, not shown by this search.' });
    await notice.waitFor();
    expect(await cardTitles(page), 'the search still shows what it matches').toEqual(['htmx']);
    await expect.poll(() => focusedId(page), { timeout: 5_000 }).toBe('bookmark-url');
    expect(await marker(page)).toBe('same document');
    // Both show, one above the other, the Undo still offered.
    await undo.waitFor();
    const [undoBox, noticeBox] = [(await undo.boundingBox())!, (await notice.boundingBox())!];
    expect(undoBox.y + undoBox.height, 'the two notices overlap').toBeLessThanOrEqual(noticeBox.y);
    expect(await undo.getByRole('button', { name: 'Undo' }).isVisible()).toBe(true);
    await screenshot(page, 'desktop-light-07-saved-out-of-sight');

    await notice.getByRole('link', { name: 'Show all' }).click();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx']);

    // Saved where the list shows it, the card is the confirmation.
    await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM' });
    expect(await page.locator('#undo-notice .toast').count()).toBe(0);
  });

  it('goes Back from a full page load to a pushed search as the whole dashboard; a tag chip filters and Back restores the list', async () => {
    const session = current();
    const user = uniqueUser('historian');
    const page = await session.signedInPage(user);
    await addBookmark(page, { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM', tags: 'sqlite' });
    await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx', tags: 'hypermedia' });
    await addBookmark(page, { url: 'https://www.sqlite.org/fts5.html', title: 'SQLite FTS5', tags: 'sqlite search' });

    await page.locator('#search-input').pressSequentially('drizzle');
    await page.locator('#list-summary', { hasText: '1 match for “drizzle”' }).waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=drizzle`);

    await setMarker(page);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/settings`);
    expect(await marker(page), 'Settings should be a full page load').toBeUndefined();

    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/bookmarks/search?q=drizzle`);
    await page.locator('#list-summary', { hasText: '1 match for “drizzle”' }).waitFor();
    // The whole page, not the list fragment htmx fetched for that URL.
    expect(await page.locator('header.topbar .brand').count()).toBe(1);
    expect(await page.locator('h1').textContent()).toBe(`Hello, ${user}`);
    expect(await page.locator('#bookmark-form').count()).toBe(1);
    expect(await page.inputValue('#search-input')).toBe('drizzle');
    expect(await cardTitles(page)).toEqual(['Drizzle ORM']);
    expect(await page.title()).toBe('drizzle · Bookmarks');
    await screenshot(page, 'desktop-light-06-back-to-search');

    await page.goto(`${session.baseUrl}/dashboard`);
    await setMarker(page);
    const chip = cardTitled(page, 'SQLite FTS5').locator('.tags').getByRole('link', { name: 'sqlite', exact: true });
    await chip.click();
    await page.locator('#list-summary', { hasText: '2 matches for “#sqlite”' }).waitFor();
    expect(page.url()).toBe(`${session.baseUrl}/bookmarks/search?q=%23sqlite`);
    expect(await page.inputValue('#search-input')).toBe('#sqlite');
    expect(await cardTitles(page)).toEqual(['SQLite FTS5', 'Drizzle ORM']);
    expect(await marker(page), 'the tag chip navigated instead of swapping').toBe('same document');
    await screenshot(page, 'desktop-light-07-tag-chip');

    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.locator('#list-summary', { hasText: '3 bookmarks' }).waitFor();
    expect(await cardTitles(page)).toEqual(['SQLite FTS5', 'htmx', 'Drizzle ORM']);
    expect(await page.inputValue('#search-input')).toBe('');
    expect(await page.locator('header.topbar .brand').count()).toBe(1);
  });

  it('deletes in place with an Undo that brings the card back for good; the last delete shows the empty state', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('deleter'));
    await addBookmark(page, { url: 'https://example.com/keep', title: 'Keep me' });
    await addBookmark(page, { url: 'https://example.com/drop', title: 'Drop me' });
    await setMarker(page);

    const deleteCard = async (title: string): Promise<void> => {
      const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE');
      await page.getByRole('button', { name: `Delete ${title}` }).click();
      expect((await deleted).status()).toBe(200);
      await cardTitled(page, title).waitFor({ state: 'detached' });
      await page.getByRole('status').filter({ hasText: `Deleted “${title}”.` }).waitFor();
    };

    await deleteCard('Drop me');
    expect(await marker(page), 'the page navigated instead of swapping').toBe('same document');
    await page.locator('#list-summary', { hasText: '1 bookmark' }).waitFor();
    expect(await cardTitles(page)).toEqual(['Keep me']);
    // The keyboard stays in the list: on the next card's Edit.
    await expect.poll(() => focusedLabel(page), { timeout: 5_000 }).toBe('Edit Keep me');
    await screenshot(page, 'desktop-light-08-deleted-with-undo');

    await page.getByRole('button', { name: 'Undo', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Bookmark restored.' }).waitFor();
    await cardTitled(page, 'Drop me').waitFor();
    // … and after Undo on the card it brought back.
    await expect.poll(() => focusedLabel(page), { timeout: 5_000 }).toBe('Edit Drop me');
    expect(await cardTitles(page)).toEqual(['Drop me', 'Keep me']);
    expect((await page.textContent('#list-summary'))?.trim()).toBe('2 bookmarks');
    expect(await marker(page)).toBe('same document');
    await page.reload();
    expect(await cardTitles(page)).toEqual(['Drop me', 'Keep me']);

    // Ctrl+Z takes a delete back too, from the list: the toast's Undo comes after every card for Tab.
    await setMarker(page);
    await deleteCard('Drop me');
    await expect.poll(() => focusedLabel(page), { timeout: 5_000 }).toBe('Edit Keep me');
    const restores: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/bookmarks/restore') restores.push(request.method());
    });
    // In a text field the keys undo typing, nothing else.
    await page.focus('#search-input');
    await page.keyboard.press('Control+z');
    await page.waitForTimeout(300);
    expect(restores, 'Ctrl+Z in the search box').toEqual([]);
    await page.getByRole('link', { name: 'Edit Keep me' }).focus();
    await page.keyboard.press('Control+z');
    await page.getByRole('status').filter({ hasText: 'Bookmark restored.' }).waitFor();
    await cardTitled(page, 'Drop me').waitFor();
    await expect.poll(() => focusedLabel(page), { timeout: 5_000 }).toBe('Edit Drop me');
    expect(restores).toEqual(['POST']);
    expect(await cardTitles(page)).toEqual(['Drop me', 'Keep me']);
    expect(await marker(page)).toBe('same document');

    await deleteCard('Drop me');
    await deleteCard('Keep me');
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();
    // With no card left, on the search box.
    expect(await focusedId(page)).toBe('search-input');
    expect(await page.locator('#bookmark-cards').count()).toBe(0);
    expect(await page.locator('#list-summary').count()).toBe(0);
    expect(await marker(page), 'the empty state came from a reload').toBe('same document');
    await screenshot(page, 'desktop-light-09-deleted-the-last');

    await page.reload();
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();
  });

  it('shows an invalid address’s error next to the field and adds nothing', async () => {
    const session = current();
    session.expectErrorStatus(422, '/bookmarks');
    const page = await session.signedInPage(uniqueUser('typo'));
    await setMarker(page);
    // The address field is plain text (an address typed without https:// is read as one), so this reaches the server's rule (http and https only).
    await fillBookmarkForm(page, { url: 'ftp://example.com/file.txt', title: 'Not a web page' });
    const refused = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.click('#bookmark-form-button');
    expect((await refused).status()).toBe(422);

    const error = page.locator('.field:has(#bookmark-url) > #bookmark-url-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('http:// or https://');
    expect(await page.getAttribute('#bookmark-url', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#bookmark-url', 'aria-describedby')).toBe('bookmark-url-error');
    expect(await page.inputValue('#bookmark-url')).toBe('ftp://example.com/file.txt');
    await expect.poll(() => focusedId(page), { timeout: 5_000 }).toBe('bookmark-url');
    expect(await marker(page)).toBe('same document');
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();
    await screenshot(page, 'desktop-light-10-invalid-url');

    await page.reload();
    await page.getByRole('heading', { name: 'No bookmarks yet' }).waitFor();

    // An address typed as people type them, without https://, is saved as the https one.
    await addBookmark(page, { url: 'example.com/typed-bare', title: 'Typed without https' });
    expect(await cardTitled(page, 'Typed without https').locator('a.card-title').getAttribute('href')).toBe('https://example.com/typed-bare');
  });

  it('shows two users signed in side by side only their own bookmarks', async () => {
    const session = current();
    const ada = await session.signedInPage(uniqueUser('ada'));
    const bob = await session.signedInPage(uniqueUser('bob'));
    await addBookmark(ada, { url: 'https://example.com/ada-secret', title: 'Ada’s secret plan', tags: 'private' });
    await addBookmark(bob, { url: 'https://example.com/bob-notes', title: 'Bob’s notes' });

    await ada.reload();
    await bob.reload();
    expect(await cardTitles(ada)).toEqual(['Ada’s secret plan']);
    expect(await cardTitles(bob)).toEqual(['Bob’s notes']);
    expect(await bob.locator('#tag-cloud .tags a').count()).toBe(0);

    await bob.goto(`${session.baseUrl}/bookmarks/search?q=secret`);
    await bob.getByRole('heading', { name: 'No bookmarks match “secret”' }).waitFor();
    await screenshot(bob, 'desktop-light-11-no-match');
  });

  it('replaces a token: revoking the old one leaves the new one’s secret on show, as it is never shown again', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('rotator'));
    await page.goto(`${session.baseUrl}/settings`);
    await page.fill('#token-name', 'Old laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('.token-secret', { hasText: 'Old laptop' }).waitFor();
    await settled(page); // else the click can land on the new form before htmx has wired it
    await page.fill('#token-name', 'New laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('.token-secret', { hasText: 'New laptop' }).waitFor();
    await settled(page);
    const secret = await page.inputValue('#new-token');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke Old laptop' }).click();
    await page.getByRole('button', { name: 'Revoke Old laptop' }).waitFor({ state: 'detached' });
    await settled(page);
    expect(await page.locator('.token-list .token-name').allTextContents()).toEqual(['New laptop']);
    expect(await page.locator('#new-token').count(), 'the new token’s secret went with the old token').toBe(1);
    expect(await page.inputValue('#new-token')).toBe(secret);
  });

  it('asks before signing out at a typed /auth/logout: staying keeps the session', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('doubter'));
    await page.goto(`${session.baseUrl}/auth/logout`);
    await page.getByRole('heading', { name: 'Sign out?' }).waitFor();
    await screenshot(page, 'desktop-light-13-sign-out-asked');
    await page.getByRole('link', { name: 'Stay signed in' }).click();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  it('signs out through the provider and /dashboard is no longer reachable', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('leaver'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    const confirm = page.getByRole('button', { name: 'Yes, sign me out' });
    await confirm.waitFor();
    await screenshot(page, 'desktop-light-12-provider-sign-out');
    await confirm.click();

    await page.waitForURL(`${session.baseUrl}/`);
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);

    const response = await page.goto(`${session.baseUrl}/dashboard`);
    expect(page.url()).toBe(`${session.baseUrl}/`);
    expect(response?.request().redirectedFrom()?.url()).toBe(`${session.baseUrl}/dashboard`);
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  });
});
