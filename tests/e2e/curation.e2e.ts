import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import {
  addBookmark,
  bookmarkIdOf,
  cardTitled,
  cardTitles,
  fillBookmarkForm,
  focusedId,
  focusedLabel,
  hasHorizontalOverflow,
  marker,
  ROOT,
  screenshot,
  setMarker,
  settled,
  uniqueUser,
  useStack,
  type NewBookmark,
} from './harness.js';

const { session: current } = useStack();

const FIREFOX_FIXTURE = join(ROOT, 'tests', 'fixtures', 'firefox-bookmarks.html');
const CHROME_FIXTURE = join(ROOT, 'tests', 'fixtures', 'chrome-bookmarks.html');

const text = async (locator: Locator): Promise<string> => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
const chips = (card: Locator): Promise<string[]> => card.locator('.tags a').allTextContents();
/** Opens a card's inline edit with a click, once htmx has settled before and after: the form, to fill. */
/** Adds another bookmark, which brings the list anew, and checks that the edit open in it stays, with what was typed. */
async function addAndExpectEditKept(page: Page, editForm: Locator, typedTitle: string): Promise<void> {
  await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify' });
  expect(await page.locator('#list-summary').textContent()).toContain('2 bookmarks');
  expect(await editForm.count(), 'the edit is still open').toBe(1);
  expect(await editForm.locator('input[name="title"]').inputValue()).toBe(typedTitle);
}

async function openEdit(page: Page, title: string): Promise<Locator> {
  await settled(page);
  await page.getByRole('link', { name: `Edit ${title}` }).click();
  const form = page.locator('#bookmark-list form.bookmark-edit');
  await form.waitFor();
  await settled(page);
  return form;
}

/** The tag list in the sidebar as shown: each tag with its count, in order. */
const tagList = (page: Page): Promise<{ tag: string; count: number }[]> =>
  page.locator('#tag-cloud li').evaluateAll((items) =>
    items.map((item) => ({ tag: item.querySelector('.tags a')?.textContent ?? '', count: Number(item.querySelector('.tag-count')?.textContent?.replaceAll(',', '')) })),
  );

/** Empties the focused text field and types `value`, as a keyboard user would. */
async function retype(page: Page, value: string): Promise<void> {
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(value);
}

/** Tags as the app reads them: split on commas and white space, lower case. */
const tagsOf = (bookmark: NewBookmark): string[] => (bookmark.tags ?? '').toLowerCase().split(/[\s,]+/).filter(Boolean);

// --- Expectations for an import, worked out from the fixture file itself -------------------------

/** An attribute by name in any case: bookmark files write them upper case, which linkedom keeps. */
const attribute = (element: Element, name: string): string | undefined =>
  [...element.attributes].find((candidate) => candidate.name.toLowerCase() === name)?.value;

interface FixtureLink {
  href: string;
  title: string;
  tags: string[];
}

const toLink = (anchor: Element): FixtureLink => ({
  href: attribute(anchor, 'href') ?? '',
  title: (anchor.textContent ?? '').replace(/\s+/g, ' ').trim(),
  tags: (attribute(anchor, 'tags') ?? '').split(',').map((tag) => tag.trim()).filter(Boolean),
});

/** Every link of a bookmarks file, read by an HTML parser (entities decoded), in file order. */
function fixtureLinks(html: string): FixtureLink[] {
  return [...parseHTML(html).document.querySelectorAll('a')].map(toLink);
}

/** The first folder of a bookmarks file and the first link in it. */
function firstFolder(html: string): { name: string; link: FixtureLink } {
  const nodes = [...parseHTML(html).document.querySelectorAll('h3, a')];
  const index = nodes.findIndex((node) => node.tagName.toLowerCase() === 'h3');
  const next = nodes[index + 1]!;
  expect(next.tagName.toLowerCase(), 'the first folder starts with a link').toBe('a');
  return { name: (nodes[index]!.textContent ?? '').trim(), link: toLink(next) };
}

interface ImportExpectation {
  /** Links to web pages, first of each address. */
  web: FixtureLink[];
  duplicates: number;
  /** Skipped links by reason, in the order they first occur in the file. */
  skipped: Map<string, number>;
}

/**
 * Sorts every link of a bookmarks file the way the import page describes: web pages
 * (http, https) are imported once per address (a slash at the end of the path does
 * not make a new one); bookmarklets, other schemes and unparseable text are skipped.
 */
function expectImport(html: string): ImportExpectation {
  const result: ImportExpectation = { web: [], duplicates: 0, skipped: new Map() };
  const seen = new Set<string>();
  const skip = (reason: string): void => void result.skipped.set(reason, (result.skipped.get(reason) ?? 0) + 1);
  for (const link of fixtureLinks(html)) {
    if (/^javascript:/i.test(link.href)) {
      skip('bookmarklet');
      continue;
    }
    let url: URL;
    try {
      url = new URL(link.href);
    } catch {
      skip('invalid address');
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      skip('not a web address');
      continue;
    }
    const key = `${url.origin}${url.pathname.replace(/\/$/, '')}${url.search}${url.hash}`;
    if (seen.has(key)) {
      result.duplicates += 1;
      continue;
    }
    seen.add(key);
    result.web.push(link);
  }
  return result;
}

function summary(imported: number, duplicates: number, skipped: Map<string, number>): string {
  const skippedTotal = [...skipped.values()].reduce((sum, count) => sum + count, 0);
  const several: Record<string, string> = { bookmarklet: 'bookmarklets', 'not a web address': 'not web addresses', 'invalid address': 'invalid addresses' };
  const reasons = [...skipped].map(([reason, count]) => `${count} ${count === 1 ? reason : several[reason]}`).join(', ');
  return `${imported} imported, ${duplicates} ${duplicates === 1 ? 'duplicate' : 'duplicates'}, ${skippedTotal} skipped${reasons ? ` (${reasons})` : ''}.`;
}

/** Uploads `file` from the import page and returns the summary it shows. */
async function importFile(page: Page, baseUrl: string, file: string, expectedStatus = 200): Promise<string> {
  await page.getByRole('heading', { name: 'Import bookmarks' }).waitFor();
  await page.setInputFiles('#import-file', file);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${baseUrl}/import`);
  await page.locator('#import-button').click();
  expect((await posted).status()).toBe(expectedStatus);
  const report = page.getByRole('status').filter({ hasText: 'imported' });
  await report.waitFor();
  return text(report.locator('p'));
}

describe('curating bookmarks in Chromium with JavaScript', () => {
  it('edits a card in place with the keyboard: Save shows and keeps the change, Escape and an invalid address change nothing', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('editor'));
    await addBookmark(page, { url: 'https://htmx.org/docs/', title: 'htmx documentation', tags: 'htmx' });
    await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify', tags: 'node' });
    const card = cardTitled(page, 'htmx documentation');
    const cardId = (await card.getAttribute('id'))!;
    const id = cardId.replace('bookmark-', '');
    expect(id).toMatch(/^\d+$/);
    const sameCard = page.locator(`#${cardId}`);
    const editForm = sameCard.locator('form.bookmark-edit');
    const openEditor = async (title: string): Promise<void> => {
      await settled(page);
      await page.getByRole('link', { name: `Edit ${title}` }).focus();
      await page.keyboard.press('Enter');
      await editForm.waitFor();
      await settled(page);
      await expect.poll(() => focusedId(page), { timeout: 5_000 }).toBe(`edit-${id}-url`);
    };
    await setMarker(page);

    // Edit, Tab to title, description and tags, Enter saves.
    await openEditor('htmx documentation');
    expect(await page.inputValue(`#edit-${id}-url`)).toBe('https://htmx.org/docs/');
    expect(await page.inputValue(`#edit-${id}-title`)).toBe('htmx documentation');
    expect(await page.inputValue(`#edit-${id}-tags`)).toBe('htmx');
    expect(await cardTitles(page), 'the other card stays a card').toEqual(['Fastify']);
    await screenshot(page, 'curation-01-edit-form');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe(`edit-${id}-title`);
    await retype(page, 'htmx reference');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe(`edit-${id}-description`);
    await retype(page, 'Every attribute, with examples');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe(`edit-${id}-tags`);
    await retype(page, 'htmx, reference docs');
    const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url() === `${session.baseUrl}/bookmarks/${id}`);
    await page.keyboard.press('Enter');
    expect((await saved).status()).toBe(200);
    await editForm.waitFor({ state: 'detached' });
    expect(await text(sameCard.locator('.card-title'))).toBe('htmx reference');
    expect(await text(sameCard.locator('.card-description'))).toBe('Every attribute, with examples');
    expect(await chips(sameCard)).toEqual(['htmx', 'reference', 'docs']);
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx reference']);
    expect(await marker(page), 'saving navigated instead of swapping').toBe('same document');
    // The tag list follows the edit.
    expect((await tagList(page)).map((item) => item.tag).sort()).toEqual(['docs', 'htmx', 'node', 'reference']);
    // Focus comes back to the card, on its Edit link, for the next key press.
    await expect.poll(() => focusedLabel(page), { timeout: 5_000 }).toBe('Edit htmx reference');
    await screenshot(page, 'curation-02-edited');

    await page.reload();
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx reference']);
    expect(await chips(sameCard)).toEqual(['htmx', 'reference', 'docs']);
    expect(await text(sameCard.locator('.card-url'))).toBe('https://htmx.org/docs/');

    // Escape gives the card back as it was.
    await setMarker(page);
    await openEditor('htmx reference');
    await page.keyboard.press('Tab');
    await retype(page, 'Not saved');
    await page.keyboard.press('Escape');
    await editForm.waitFor({ state: 'detached' });
    expect(await text(sameCard.locator('.card-title'))).toBe('htmx reference');
    expect(await chips(sameCard)).toEqual(['htmx', 'reference', 'docs']);
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx reference']);
    expect(await marker(page), 'Escape navigated instead of swapping').toBe('same document');
    // The keyboard is back on the card's Edit, as after Save.
    await expect.poll(() => focusedLabel(page), { timeout: 5_000 }).toBe('Edit htmx reference');
    await screenshot(page, 'curation-03-edit-cancelled');

    // An invalid address: the error sits under the address field, the form keeps what was typed.
    session.expectErrorStatus(422, `/bookmarks/${id}`);
    await openEditor('htmx reference');
    await retype(page, 'ftp://x');
    await page.keyboard.press('Tab');
    await retype(page, 'Also not saved');
    const refused = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url() === `${session.baseUrl}/bookmarks/${id}`);
    await page.keyboard.press('Enter');
    expect((await refused).status()).toBe(422);
    const error = sameCard.locator(`.field:has(#edit-${id}-url) > #edit-${id}-url-error`);
    await error.waitFor();
    expect(await text(error)).toContain('http:// or https://');
    expect(await page.getAttribute(`#edit-${id}-url`, 'aria-invalid')).toBe('true');
    expect(await page.getAttribute(`#edit-${id}-url`, 'aria-describedby')).toBe(`edit-${id}-url-error`);
    expect(await page.inputValue(`#edit-${id}-url`)).toBe('ftp://x');
    expect(await page.inputValue(`#edit-${id}-title`)).toBe('Also not saved');
    await expect.poll(() => focusedId(page), { timeout: 5_000 }).toBe(`edit-${id}-url`);
    const [urlBox, errorBox, titleBox] = await Promise.all(
      [`#edit-${id}-url`, `#edit-${id}-url-error`, `label[for="edit-${id}-title"]`].map((selector) => page.locator(selector).boundingBox()),
    );
    expect(errorBox!.y, 'the error is below the address field').toBeGreaterThanOrEqual(urlBox!.y + urlBox!.height - 1);
    expect(errorBox!.y + errorBox!.height, 'the error is above the title field').toBeLessThanOrEqual(titleBox!.y + 1);
    expect(errorBox!.x, 'the error lines up with the address field').toBeCloseTo(urlBox!.x, -1);
    expect(await hasHorizontalOverflow(page)).toBe(false);
    expect(await marker(page)).toBe('same document');
    await screenshot(page, 'curation-04-edit-invalid-url');

    await page.reload();
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx reference']);
    expect(await text(sameCard.locator('.card-url'))).toBe('https://htmx.org/docs/');
    expect(await chips(sameCard)).toEqual(['htmx', 'reference', 'docs']);
  });

  it('the edit page opened on its own is a page form: Save posts and goes to the dashboard or back to its search, Cancel is a link', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('edit-page'));
    await addBookmark(page, { url: 'https://htmx.org/docs/', title: 'htmx documentation', tags: 'htmx' });
    await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify', tags: 'node' });
    const id = await bookmarkIdOf(page, 'htmx documentation');
    const editPage = `${session.baseUrl}/bookmarks/${id}/edit`;
    const form = page.locator('form.bookmark-edit');
    const title = form.locator('input[name="title"]');
    // Each request the form sends: it had the in-place edit's PUT, whose card went into the page's form.
    const sent: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if ([`/bookmarks/${id}`, `/bookmarks/${id}/edit`].includes(pathname)) sent.push(`${request.method()} ${pathname}`);
    });
    // The browser's "Leave site?" question: asked only when changes would be lost, never by Save.
    const leaveQuestions: string[] = [];
    let leave: 'accept' | 'dismiss' = 'accept';
    page.on('dialog', (dialog) => {
      leaveQuestions.push(dialog.type());
      void (leave === 'accept' ? dialog.accept() : dialog.dismiss());
    });
    const openOnItsOwn = async (referer?: string): Promise<void> => {
      await page.goto(editPage, { referer });
      await form.waitFor();
      await settled(page);
      sent.length = 0;
      // Leaving the page before (goto) may have asked: each step counts its own questions.
      leaveQuestions.length = 0;
    };

    // Typed or opened in a new tab: Save goes to the dashboard, the change saved.
    await openOnItsOwn();
    await title.fill('htmx reference');
    await form.locator('input[name="tags"]').fill('htmx, docs');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(`${session.baseUrl}/dashboard`, { timeout: 10_000 });
    expect(sent).toEqual([`POST /bookmarks/${id}/edit`]);
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx reference']);
    expect(await chips(cardTitled(page, 'htmx reference'))).toEqual(['htmx', 'docs']);
    expect((await tagList(page)).map((item) => item.tag).sort()).toEqual(['docs', 'htmx', 'node']);
    expect(leaveQuestions, 'Save asks nothing').toEqual([]);

    // An invalid address: the page again, the error under the field, what was typed kept, still a page form.
    session.expectErrorStatus(422, `/bookmarks/${id}/edit`);
    await openOnItsOwn();
    await form.locator('input[name="url"]').fill('ftp://x');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator(`#edit-${id}-url-error`).waitFor();
    expect(page.url()).toBe(editPage);
    expect(await page.inputValue(`#edit-${id}-url`)).toBe('ftp://x');
    expect(await page.locator('main [hx-put], main [hx-get]').count()).toBe(0);
    // What was typed is not saved, though the page shows it as its fields' own values: leaving asks.
    expect(leaveQuestions, 'the failed Save asked nothing').toEqual([]);
    leave = 'dismiss';
    await form.getByRole('link', { name: 'Cancel' }).click();
    await expect.poll(() => leaveQuestions, { timeout: 5_000 }).toEqual(['beforeunload']);
    expect(page.url()).toBe(editPage);
    leave = 'accept';

    // Cancel is a link to the dashboard: with changes typed it asks first; staying keeps them, leaving saves nothing.
    await openOnItsOwn();
    await title.fill('Not saved');
    leave = 'dismiss';
    await form.getByRole('link', { name: 'Cancel' }).click();
    await expect.poll(() => leaveQuestions, { timeout: 5_000 }).toEqual(['beforeunload']);
    await page.waitForTimeout(300);
    expect(page.url()).toBe(editPage);
    expect(await title.inputValue()).toBe('Not saved');
    leave = 'accept';
    await form.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(`${session.baseUrl}/dashboard`, { timeout: 10_000 });
    expect(leaveQuestions).toEqual(['beforeunload', 'beforeunload']);
    expect(sent).toEqual([]);
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx reference']);
    // Nothing typed, nothing to ask.
    await openOnItsOwn();
    await form.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(`${session.baseUrl}/dashboard`, { timeout: 10_000 });
    expect(leaveQuestions).toEqual([]);

    // Opened from a search (its Referer), Save goes back to that search.
    const search = `${session.baseUrl}/bookmarks/search?q=htmx`;
    await openOnItsOwn(search);
    await title.fill('htmx reference, again');
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(search, { timeout: 10_000 });
    expect(await cardTitles(page)).toEqual(['htmx reference, again']);
    expect(leaveQuestions, 'Save asks nothing').toEqual([]);
  });

  it('filters by a tag from the tag list, most used first; the URL opens the same list elsewhere and Back restores everything', async () => {
    const session = current();
    const user = uniqueUser('tagger');
    const page = await session.signedInPage(user);
    const bookmarks: NewBookmark[] = [
      { url: 'https://www.sqlite.org/fts5.html', title: 'SQLite FTS5', tags: 'sqlite database search' },
      { url: 'https://orm.drizzle.team/', title: 'Drizzle ORM', tags: 'sqlite database' },
      { url: 'https://litestream.io/', title: 'Litestream', tags: 'sqlite database search' },
      { url: 'https://github.com/WiseLibs/better-sqlite3', title: 'better-sqlite3', tags: 'sqlite' },
      { url: 'https://htmx.org/', title: 'htmx', tags: 'htmx' },
    ];
    for (const bookmark of bookmarks) await addBookmark(page, bookmark);
    const newestFirst = [...bookmarks].reverse();

    // Expected counts from the data above, most used first (no two tags share a count).
    const counts = new Map<string, number>();
    for (const tag of bookmarks.flatMap(tagsOf)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    const expectedTags = [...counts].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count);
    expect(new Set(expectedTags.map((item) => item.count)).size, 'the data has a tie').toBe(expectedTags.length);
    await page.reload();
    expect(await tagList(page)).toEqual(expectedTags);
    await screenshot(page, 'curation-05-tag-list');

    const tag = 'search';
    const withTag = newestFirst.filter((bookmark) => tagsOf(bookmark).includes(tag)).map((bookmark) => bookmark.title!);
    expect(withTag.length).toBeGreaterThan(1);
    expect(withTag.length).toBeLessThan(bookmarks.length);
    await setMarker(page);
    await settled(page);
    await page.locator('#tag-cloud').getByRole('link', { name: tag, exact: true }).click();
    await page.locator('#list-summary', { hasText: `${withTag.length} matches for “#${tag}”` }).waitFor();
    const filteredUrl = `${session.baseUrl}/bookmarks/search?q=%23${tag}`;
    expect(page.url()).toBe(filteredUrl);
    expect(await cardTitles(page)).toEqual(withTag);
    for (const title of withTag) expect(await chips(cardTitled(page, title))).toContain(tag);
    expect(await page.inputValue('#search-input')).toBe(`#${tag}`);
    expect(await marker(page), 'the tag link navigated instead of swapping').toBe('same document');
    await screenshot(page, 'curation-06-tag-filtered');

    // The URL is shareable: a new window, signed in as the same user, shows the same list.
    const elsewhere = await session.signedInPage(user);
    await elsewhere.goto(filteredUrl);
    await elsewhere.locator('#list-summary', { hasText: `${withTag.length} matches for “#${tag}”` }).waitFor();
    expect(await cardTitles(elsewhere)).toEqual(withTag);
    expect(await elsewhere.inputValue('#search-input')).toBe(`#${tag}`);
    expect(await tagList(elsewhere)).toEqual(expectedTags);
    await screenshot(elsewhere, 'curation-07-tag-url-opened-elsewhere');

    await page.goBack();
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.locator('#list-summary', { hasText: `${bookmarks.length} bookmarks` }).waitFor();
    expect(await cardTitles(page)).toEqual(newestFirst.map((bookmark) => bookmark.title));
    expect(await page.inputValue('#search-input')).toBe('');
  });

  it('understands #tag, -word and "exact phrase" typed into the search box', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('syntax'));
    const bookmarks: NewBookmark[] = [
      { url: 'https://orm.drizzle.team/docs/overview', title: 'Drizzle ORM guide', tags: 'sqlite orm' },
      { url: 'https://www.sqlite.org/fts5.html', title: 'SQLite full text search', tags: 'sqlite search' },
      { url: 'https://www.sqlite.org/optoverview.html', title: 'SQLite query planner', tags: 'sqlite' },
      { url: 'https://www.postgresql.org/docs/current/textsearch.html', title: 'Full text search in Postgres', tags: 'postgres search' },
      { url: 'https://example.com/tips', title: 'Text full of search tips', tags: 'tips' },
    ];
    for (const bookmark of bookmarks) await addBookmark(page, bookmark);

    const search = async (query: string, expected: string[], shot: string): Promise<void> => {
      await page.fill('#search-input', '');
      await page.locator('#search-input').pressSequentially(query);
      const summaryLine = page.locator('#list-summary', { hasText: `for “${query}”` });
      await summaryLine.waitFor();
      expect(await cardTitles(page), query).toEqual(expected);
      expect(await text(summaryLine)).toBe(`${expected.length} ${expected.length === 1 ? 'match' : 'matches'} for “${query}”`);
      expect(new URL(page.url()).searchParams.get('q')).toBe(query);
      await screenshot(page, shot);
    };

    await search('#sqlite -planner', ['SQLite full text search', 'Drizzle ORM guide'], 'curation-08-search-tag-minus-word');
    await search('"full text search"', ['Full text search in Postgres', 'SQLite full text search'], 'curation-09-search-phrase');
    // The same words without quotes also find the page that has them in another order.
    await search('full text search', ['Text full of search tips', 'Full text search in Postgres', 'SQLite full text search'], 'curation-10-search-words');
    await search('#search -#postgres', ['SQLite full text search'], 'curation-11-search-minus-tag');
  });

  it('offers to update the saved bookmark when the same address is added again, and updates that one card', async () => {
    const session = current();
    session.expectErrorStatus(409, '/bookmarks');
    const page = await session.signedInPage(uniqueUser('twice'));
    await addBookmark(page, { url: 'https://example.com/docs/page', title: 'Original title', tags: 'first' });
    await addBookmark(page, { url: 'https://example.org/other', title: 'Another page' });
    const cardId = (await cardTitled(page, 'Original title').getAttribute('id'))!;
    const sameCard = page.locator(`#${cardId}`);
    await setMarker(page);

    // Only the host's case and a trailing slash differ.
    await fillBookmarkForm(page, { url: 'https://EXAMPLE.com/docs/page/', title: 'Updated title', tags: 'second' });
    const warned = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await page.click('#bookmark-form-button');
    expect((await warned).status()).toBe(409);
    const offer = page.locator('#bookmark-form').getByRole('alert').filter({ hasText: 'You already saved this address' });
    await offer.waitFor();
    expect(await offer.getByRole('link').textContent()).toBe('Original title');
    expect(await offer.getByRole('link').getAttribute('href')).toBe('https://example.com/docs/page');
    expect(await page.inputValue('#bookmark-url')).toBe('https://EXAMPLE.com/docs/page/');
    expect(await page.inputValue('#bookmark-title')).toBe('Updated title');
    expect(await cardTitles(page), 'nothing is added before the user decides').toEqual(['Another page', 'Original title']);
    expect(await hasHorizontalOverflow(page)).toBe(false);
    await screenshot(page, 'curation-12-duplicate-offer');

    const updated = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await offer.getByRole('button', { name: 'Update the saved one' }).click();
    expect((await updated).status()).toBe(200);
    await offer.waitFor({ state: 'detached' });
    await page.locator('#list-summary', { hasText: '2 bookmarks' }).waitFor();
    expect(await cardTitles(page)).toEqual(['Another page', 'Updated title']);
    expect(await text(sameCard.locator('.card-title'))).toBe('Updated title');
    expect(await chips(sameCard)).toEqual(['second']);
    expect(await page.inputValue('#bookmark-url'), 'the form is ready for the next link').toBe('');
    expect(await marker(page)).toBe('same document');
    await screenshot(page, 'curation-13-duplicate-updated');

    await page.reload();
    expect(await cardTitles(page)).toEqual(['Another page', 'Updated title']);
    expect(await text(sameCard.locator('.card-title'))).toBe('Updated title');
    expect(await page.locator('#bookmark-cards > li.card').count()).toBe(2);
  });

  it('asks before a search throws away changes not yet saved in a card open for editing, and sends nothing when told to keep them', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('edit-then-search'));
    await addBookmark(page, { url: 'https://htmx.org/docs/', title: 'htmx documentation' });
    await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify' });
    const searches: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/bookmarks/search') searches.push(request.url());
    });
    const dialogs: string[] = [];
    let answer: 'accept' | 'dismiss' = 'dismiss';
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await (answer === 'accept' ? dialog.accept() : dialog.dismiss());
    });

    // Open but unchanged: the search goes ahead without a question.
    const editForm = await openEdit(page, 'htmx documentation');
    const searched = page.waitForResponse((r) => r.url() === `${session.baseUrl}/bookmarks/search?q=fast`);
    await page.locator('#search-input').pressSequentially('fast');
    await searched;
    await page.locator('#list-summary', { hasText: '1 match for “fast”' }).waitFor();
    expect(dialogs).toEqual([]);
    expect(await editForm.count()).toBe(0);

    await page.fill('#search-input', '');
    await page.locator('#list-summary', { hasText: '2 bookmarks' }).waitFor();
    await openEdit(page, 'htmx documentation');
    await editForm.locator('input[name="title"]').fill('htmx reference');
    const before = searches.length;
    // Kept: no search is sent, and the change is still there.
    await page.locator('#search-input').pressSequentially('fast');
    await expect.poll(() => dialogs.length, { timeout: 5_000 }).toBe(1);
    expect(dialogs[0]).toBe('Discard your changes to “htmx documentation”?');
    await page.waitForTimeout(600);
    expect(searches.slice(before), 'searches sent after Cancel').toEqual([]);
    expect(await editForm.locator('input[name="title"]').inputValue()).toBe('htmx reference');
    // Discarded: the search goes ahead.
    answer = 'accept';
    const discarded = page.waitForResponse((r) => r.url() === `${session.baseUrl}/bookmarks/search?q=fastify`);
    await page.locator('#search-input').pressSequentially('ify');
    await discarded;
    await page.locator('#list-summary', { hasText: '1 match for “fastify”' }).waitFor();
    expect(dialogs).toHaveLength(2);
    expect(await editForm.count()).toBe(0);
    await page.fill('#search-input', '');
    await page.locator('#list-summary', { hasText: '2 bookmarks' }).waitFor();
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx documentation']);

    // Leaving the page asks too (the browser's own question); staying keeps the changes.
    await openEdit(page, 'Fastify');
    await editForm.locator('input[name="title"]').fill('Fastify, changed');
    answer = 'dismiss';
    const kinds: string[] = [];
    page.on('dialog', (dialog) => kinds.push(dialog.type()));
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await expect.poll(() => kinds, { timeout: 5_000 }).toEqual(['beforeunload']);
    await page.waitForTimeout(300);
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    expect(await editForm.locator('input[name="title"]').inputValue()).toBe('Fastify, changed');
  });

  it('keeps a card open for editing, with what was typed, when an add brings the list anew', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('edit-then-add'));
    await addBookmark(page, { url: 'https://htmx.org/docs/', title: 'htmx documentation' });
    const editForm = await openEdit(page, 'htmx documentation');
    await editForm.locator('input[name="title"]').fill('htmx reference, half typed');

    await addAndExpectEditKept(page, editForm, 'htmx reference, half typed');
    // And it still saves.
    await editForm.getByRole('button', { name: 'Save', exact: true }).click();
    await cardTitled(page, 'htmx reference, half typed').waitFor();
    expect(await cardTitles(page)).toEqual(['Fastify', 'htmx reference, half typed']);

    // Unless the add changed that very bookmark ("Update the saved one"): then its new card shows,
    // and the edit, which holds the old values, is gone rather than able to save them back.
    session.expectErrorStatus(409, '/bookmarks');
    await openEdit(page, 'Fastify');
    await fillBookmarkForm(page, { url: 'https://fastify.dev/', title: 'Fastify, updated from the add form' });
    const warned = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await page.click('#bookmark-form-button');
    expect((await warned).status()).toBe(409);
    const updated = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await page.getByRole('button', { name: 'Update the saved one' }).click();
    expect((await updated).status()).toBe(200);
    await cardTitled(page, 'Fastify, updated from the add form').waitFor();
    expect(await editForm.count()).toBe(0);
    expect(await cardTitles(page)).toEqual(['Fastify, updated from the add form', 'htmx reference, half typed']);
  });

  it('keeps an edit open when the list comes anew for a bookmark whose card shows its fields other than as stored', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('edit-escaped'));
    // The card shows the address decoded (Café), the title and description through entities, the description's line break as it is.
    await fillBookmarkForm(page, { url: 'https://en.wikipedia.org/wiki/Caf%C3%A9', title: 'Café & "Bistro" <menu>', tags: 'food, paris' });
    await page.fill('#bookmark-description', 'Coffee & more,\nin <two> lines');
    await page.click('#bookmark-form-button');
    await cardTitled(page, 'Café & "Bistro" <menu>').waitFor();
    expect(await page.locator('.card-url').textContent()).toBe('https://en.wikipedia.org/wiki/Café');
    const editForm = await openEdit(page, 'Café & "Bistro" <menu>');
    await editForm.locator('input[name="title"]').fill('Cafe, half typed');

    await addAndExpectEditKept(page, editForm, 'Cafe, half typed');
  });

  it('keeps an edit shown again after a mistake open, with what was typed, when the list comes anew', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('edit-mistake-kept'));
    await addBookmark(page, { url: 'https://htmx.org/', title: 'htmx' });
    const editForm = await openEdit(page, 'htmx');
    await editForm.locator('input[name="url"]').fill('javascript:alert(1)');
    await editForm.locator('input[name="title"]').fill('htmx, half typed');
    // The form posts to /bookmarks/:id/edit without JavaScript; htmx PUTs to /bookmarks/:id.
    session.expectErrorStatus(422, (await editForm.getAttribute('action'))!.replace(/\/edit$/, ''));
    await editForm.locator('button[type="submit"]').click();
    await editForm.locator('.field-error').waitFor();
    await settled(page);

    await addAndExpectEditKept(page, editForm, 'htmx, half typed');
    expect(await editForm.locator('input[name="url"]').inputValue()).toBe('javascript:alert(1)');
  });

  it('puts an undone card back in its place beside an edit still open, and reads the list again when the card cannot come', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('undo-beside-edit'));
    for (const title of ['Third', 'Second', 'First']) await addBookmark(page, { url: `https://example.com/${title.toLowerCase()}`, title });
    const editForm = await openEdit(page, 'First');
    await editForm.locator('input[name="title"]').fill('First, half typed');
    const undoThird = async (): Promise<void> => {
      await page.getByRole('button', { name: 'Delete Third' }).click();
      await page.getByRole('status').filter({ hasText: 'Deleted “Third”.' }).waitFor();
      await settled(page);
      await page.getByRole('button', { name: 'Undo', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Bookmark restored.' }).waitFor();
      await cardTitled(page, 'Third').waitFor();
      await settled(page);
    };
    await undoThird();
    expect(await editForm.locator('input[name="title"]').inputValue(), 'the edit kept its typing').toBe('First, half typed');
    expect(await page.locator('#bookmark-cards > li').evaluateAll((items) => items.map((item) => item.id.replace(/\d+/u, 'N') + (item.classList.contains('card-editing') ? ' editing' : '')))).toEqual([
      'bookmark-N editing',
      'bookmark-N',
      'bookmark-N',
    ]);
    expect((await page.textContent('#list-summary'))?.trim()).toBe('3 bookmarks');

    // The card's own fragment failing (gone again, the network): no empty place stays, the list is read again whole
    // (with an edit's unsaved changes open, that asks first, as any list read again does: here the edit is closed).
    await editForm.locator('input[name="title"]').press('Escape');
    await editForm.waitFor({ state: 'detached' });
    const thirdId = await bookmarkIdOf(page, 'Third');
    session.expectErrorStatus(503, `/bookmarks/${thirdId}`);
    await page.route(`${session.baseUrl}/bookmarks/${thirdId}`, (route) =>
      route.request().method() === 'GET' ? route.fulfill({ status: 503, body: 'unavailable' }) : route.continue(),
    );
    await undoThird();
    expect(await page.locator('.card-restoring').count()).toBe(0);
    expect(await cardTitles(page)).toEqual(['First', 'Second', 'Third']);
  });

  it('puts the card the toast offers to undo back in its place after a later delete failed', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('undo-after-failed-delete'));
    for (const title of ['Third', 'Second', 'First']) await addBookmark(page, { url: `https://example.com/${title.toLowerCase()}`, title });
    const [firstId, secondId] = [await bookmarkIdOf(page, 'First'), await bookmarkIdOf(page, 'Second')];
    await page.getByRole('button', { name: 'Delete Second' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted “Second”.' }).waitFor();
    await settled(page);

    // Refused as the rate limit refuses it: a notice in #notice (shown above the Undo, not over it), the card left as it was.
    session.expectErrorStatus(429, `/bookmarks/${firstId}`);
    await page.route(`${session.baseUrl}/bookmarks/${firstId}`, (route) =>
      route.request().method() === 'DELETE'
        ? route.fulfill({
            status: 429,
            headers: { 'content-type': 'text/html; charset=utf-8', 'retry-after': '5', 'hx-retarget': '#notice', 'hx-reswap': 'innerHTML' },
            body: '<div class="toast" role="alert"><span>Too many requests. Please wait 5 seconds and try again.</span></div>',
          })
        : route.continue(),
    );
    const failed = page.waitForResponse((response) => response.request().method() === 'DELETE' && response.url() === `${session.baseUrl}/bookmarks/${firstId}`);
    await page.getByRole('button', { name: 'Delete First' }).click();
    await failed;
    await settled(page);
    // The card stayed, so the keyboard stays on it, where a delete that went through moves it on to the next card's Edit.
    expect(await page.evaluate(() => document.activeElement?.closest('li.card')?.id)).toBe(`bookmark-${firstId}`);

    // In place, the card's own fragment is read (the list is left as it is); else the list would come anew.
    const cardRead = page.waitForRequest((request) => request.method() === 'GET' && request.url() === `${session.baseUrl}/bookmarks/${secondId}`);
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await cardRead;
    await cardTitled(page, 'Second').waitFor();
    await settled(page);
    expect(await page.locator('#bookmark-cards > li').evaluateAll((items) => items.map((item) => item.id))).toEqual([
      `bookmark-${firstId}`,
      `bookmark-${secondId}`,
      `bookmark-${await bookmarkIdOf(page, 'Third')}`,
    ]);
  });

  it('saves the form as typed when Enter is pressed after the duplicate notice, leaving the saved bookmark as it was', async () => {
    const session = current();
    session.expectErrorStatus(409, '/bookmarks');
    const page = await session.signedInPage(uniqueUser('enter-after-duplicate'));
    await addBookmark(page, { url: 'https://original.example.com/', title: 'Original', tags: 'keep' });
    await fillBookmarkForm(page, { url: 'https://original.example.com/', title: 'Again' });
    const warned = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await page.click('#bookmark-form-button');
    expect((await warned).status()).toBe(409);
    await page.locator('#bookmark-form').getByRole('alert').filter({ hasText: 'You already saved this address' }).waitFor();

    // The user changes the address to another page and presses Enter in the title field.
    await page.fill('#bookmark-url', 'https://another.example.com/');
    await page.fill('#bookmark-title', 'Another page');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    const saved = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${session.baseUrl}/bookmarks`);
    await page.press('#bookmark-title', 'Enter');
    expect(new URLSearchParams((await sent).postData() ?? '').has('update-duplicate'), 'Enter pressed the update button').toBe(false);
    expect((await saved).status()).toBe(200);
    await cardTitled(page, 'Another page').waitFor();
    expect(await cardTitles(page)).toEqual(['Another page', 'Original']);
    expect(await chips(cardTitled(page, 'Original'))).toEqual(['keep']);
    expect(await cardTitled(page, 'Original').locator('.card-title').getAttribute('href')).toBe('https://original.example.com/');
  });

  it('imports a Firefox bookmarks file with a summary of what happened; the same file again adds nothing', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('importer'));
    const fixture = readFileSync(FIREFOX_FIXTURE, 'utf8');
    const expected = expectImport(fixture);
    // The fixture is worth importing only if it has each kind of link.
    expect(expected.web.length).toBeGreaterThan(1);
    expect(expected.skipped.size).toBeGreaterThan(0);
    const { name: folder, link: inFolder } = firstFolder(fixture);
    const folderTag = folder.toLowerCase().replace(/\s+/g, '-');

    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await setMarker(page);
    expect(await importFile(page, session.baseUrl, FIREFOX_FIXTURE)).toBe(summary(expected.web.length, expected.duplicates, expected.skipped));
    expect(await marker(page), 'the import navigated instead of swapping').toBe('same document');
    await screenshot(page, 'curation-14-imported');

    await page.getByRole('link', { name: 'See your bookmarks' }).click();
    await page.locator('#list-summary', { hasText: `${expected.web.length} bookmarks` }).waitFor();
    expect((await cardTitles(page)).sort()).toEqual(expected.web.map((link) => link.title).sort());
    expect((await tagList(page)).map((item) => item.tag)).toContain(folderTag);
    expect((await chips(cardTitled(page, inFolder.title))).sort()).toEqual([folderTag, ...inFolder.tags].sort());
    await screenshot(page, 'curation-15-dashboard-after-import');

    await page.getByRole('link', { name: 'Import', exact: true }).click();
    expect(await importFile(page, session.baseUrl, FIREFOX_FIXTURE)).toBe(summary(0, expected.web.length + expected.duplicates, expected.skipped));
    await screenshot(page, 'curation-16-imported-again');
    await page.getByRole('link', { name: 'See your bookmarks' }).click();
    await page.locator('#list-summary', { hasText: `${expected.web.length} bookmarks` }).waitFor();
    expect((await cardTitles(page)).sort()).toEqual(expected.web.map((link) => link.title).sort());
  });

  it('exports every bookmark with its tags as a downloaded bookmarks file', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('exporter'));
    const bookmarks = [
      { url: 'https://htmx.org/docs/', title: 'htmx documentation', tags: 'htmx hypermedia' },
      { url: 'https://fastify.dev/', title: 'Fastify', tags: '' },
      { url: 'https://example.com/a?b=1&c=2', title: 'Query & ampersand', tags: 'misc' },
    ];
    for (const bookmark of bookmarks) await addBookmark(page, bookmark);

    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export', exact: true }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^bookmarks-\d{4}-\d{2}-\d{2}\.html$/);
    const file = readFileSync((await download.path())!, 'utf8');
    expect(file.startsWith('<!DOCTYPE NETSCAPE-Bookmark-file-1>')).toBe(true);
    const anchors = [...parseHTML(file).document.querySelectorAll('a')].map((anchor) => ({
      url: attribute(anchor, 'href'),
      tags: attribute(anchor, 'tags'),
      title: anchor.textContent,
    }));
    expect(anchors.map((anchor) => anchor.url).sort()).toEqual(bookmarks.map((bookmark) => bookmark.url).sort());
    for (const bookmark of bookmarks) {
      const anchor = anchors.find((candidate) => candidate.url === bookmark.url)!;
      expect(anchor.title).toBe(bookmark.title);
      expect(anchor.tags, `TAGS of ${bookmark.url}`).toBe(tagsOf(bookmark).join(','));
    }
    // Still on the dashboard: the download did not replace the page.
    expect(page.url()).toBe(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toHaveLength(bookmarks.length);
    await screenshot(page, 'curation-17-after-export');
  });
});

describe('exporting once the session has ended', () => {
  it('Download bookmarks.html downloads the file, and signed out shows the sign-in page, never downloads it as the file', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('late-exporter'));
    await page.goto(`${session.baseUrl}/import`);
    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download bookmarks.html' }).click();
    expect((await downloading).suggestedFilename()).toMatch(/^bookmarks-\d{4}-\d{2}-\d{2}\.html$/);
    expect(page.url()).toBe(`${session.baseUrl}/import`);
    // Signed out meanwhile (in another tab, or the session expired).
    await page.context().clearCookies();
    let downloaded: string | undefined;
    page.on('download', (download) => void download.path().then((path) => (downloaded = path ? readFileSync(path, 'utf8') : '')));
    await page.getByRole('link', { name: 'Download bookmarks.html' }).click();
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor({ timeout: 5_000 }).catch(() => {});
    expect(downloaded?.slice(0, 60), 'a download that is the sign-in page').toBeUndefined();
    expect(page.url()).toBe(`${session.baseUrl}/`);
  });
});

describe('importing in Chromium with JavaScript turned off', () => {
  it('imports a Chrome bookmarks file by a plain multipart form post and shows the summary', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('import-nojs'), { javaScriptEnabled: false });
    const fixture = readFileSync(CHROME_FIXTURE, 'utf8');
    const expected = expectImport(fixture);
    expect(expected.web.length).toBeGreaterThan(1);

    await page.getByRole('link', { name: 'Import', exact: true }).click();
    expect(await importFile(page, session.baseUrl, CHROME_FIXTURE)).toBe(summary(expected.web.length, expected.duplicates, expected.skipped));
    expect(page.url()).toBe(`${session.baseUrl}/import`);
    await screenshot(page, 'curation-18-nojs-imported');

    await page.getByRole('link', { name: 'See your bookmarks' }).click();
    await page.locator('#list-summary', { hasText: `${expected.web.length} bookmarks` }).waitFor();
    expect((await cardTitles(page)).sort()).toEqual(expected.web.map((link) => link.title).sort());
    expect((await tagList(page)).map((item) => item.tag)).toContain('dev-tools');
    await screenshot(page, 'curation-19-nojs-dashboard-after-import');
  });

  it('Cancel closes an edit whose bookmark was deleted in another tab', async () => {
    const session = current();
    const a = await session.signedInPage(uniqueUser('gone-edit'));
    await addBookmark(a, { url: 'https://a.example/', title: 'Alpha' });
    const id = await bookmarkIdOf(a, 'Alpha');
    const b = await a.context().newPage();
    await b.goto(`${session.baseUrl}/dashboard`);
    await b.getByRole('link', { name: 'Edit Alpha' }).click();
    await b.locator('form.bookmark-edit').waitFor();
    await a.getByRole('button', { name: 'Delete Alpha' }).click();
    await cardTitled(a, 'Alpha').waitFor({ state: 'detached' });
    session.expectErrorStatus(404, `/bookmarks/${id}`);
    const cancelled = b.waitForResponse((r) => new URL(r.url()).pathname === `/bookmarks/${id}`);
    await b.locator('form.bookmark-edit .edit-cancel').click();
    await cancelled;
    await b.waitForTimeout(500);
    // The bookmark is gone: Cancel leaves no edit form behind (it stayed, and Cancel could never close it).
    expect(await b.locator('form.bookmark-edit').count()).toBe(0);
    expect(await b.locator('#notice').textContent()).toContain('That bookmark is no longer here');
    // The keyboard is not lost to the page: with no card left, it is in the search box.
    expect(await b.evaluate(() => document.activeElement?.id)).toBe('search-input');
  });

  it('Delete of a card already deleted in another tab takes the card away', async () => {
    const session = current();
    const a = await session.signedInPage(uniqueUser('gone-del'));
    await addBookmark(a, { url: 'https://a.example/', title: 'Alpha' });
    await addBookmark(a, { url: 'https://b.example/', title: 'Beta' });
    const id = await bookmarkIdOf(a, 'Beta');
    const b = await a.context().newPage();
    await b.goto(`${session.baseUrl}/dashboard`);
    await a.getByRole('button', { name: 'Delete Beta' }).click();
    await cardTitled(a, 'Beta').waitFor({ state: 'detached' });
    session.expectErrorStatus(404, `/bookmarks/${id}`);
    const refused = b.waitForResponse((r) => new URL(r.url()).pathname === `/bookmarks/${id}`);
    await b.getByRole('button', { name: 'Delete Beta' }).click();
    expect((await refused).status()).toBe(404);
    await b.waitForTimeout(500);
    // The card that is not there goes, and the keyboard moves on to the next card's Edit.
    expect(await cardTitles(b)).toEqual(['Alpha']);
    expect(await focusedLabel(b)).toBe('Edit Alpha');
  });

  it('a second Ctrl+Z after undoing a delete leaves the search and the list alone', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('ctrl-z'));
    await addBookmark(page, { url: 'https://a.example/', title: 'Alpha' });
    await addBookmark(page, { url: 'https://b.example/', title: 'Beta' });
    // An earlier search, typed and cleared.
    await page.locator('#search-input').pressSequentially('zzz');
    await page.waitForURL(/q=zzz/);
    await page.locator('#search-input').fill('');
    await page.waitForURL(`${session.baseUrl}/dashboard`);
    await page.locator('#list-summary', { hasText: '2 bookmarks' }).waitFor();
    await page.getByRole('button', { name: 'Delete Beta' }).click();
    await page.getByText('Deleted “Beta”').waitFor();
    await settled(page);
    await page.keyboard.press('Control+z');
    await page.getByText('Bookmark restored.').waitFor();
    await settled(page);
    expect(await cardTitles(page)).toEqual(['Beta', 'Alpha']);
    // Pressed once more, as people do: nothing is left to undo.
    await page.keyboard.press('Control+z');
    await page.waitForTimeout(1200);
    expect(await page.inputValue('#search-input')).toBe('');
    expect(page.url()).toBe(`${session.baseUrl}/dashboard`);
    expect(await cardTitles(page)).toEqual(['Beta', 'Alpha']);
  });
});
