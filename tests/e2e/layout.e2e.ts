import { describe, expect, it } from 'vitest';
import type { BrowserContextOptions, Page } from 'playwright-core';
import {
  addBookmark,
  cardTitled,
  cardTitles,
  fillBookmarkForm,
  hasHorizontalOverflow,
  marker,
  screenshot,
  setMarker,
  signIn,
  uniqueUser,
  useStack,
  type Session,
} from './harness.js';

const { session: current } = useStack();

const PHONE = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 860 } };

/** Relative luminance (0 black … 1 white) of a computed `rgb(…)` colour. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((part) => {
    const channel = Number(part) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

type Scheme = 'light' | 'dark';

/** Body colours and the backgrounds of every panel, card and field on the page. */
const colours = (page: Page): Promise<{ background: string; text: string; surfaces: string[] }> =>
  page.evaluate(() => {
    const style = getComputedStyle(document.body);
    const surfaces = [...document.querySelectorAll('.panel, .card, input:not([type="file"]):not([type="hidden"]), select')].map(
      (element) => `${element.tagName.toLowerCase()}.${element.className}: ${getComputedStyle(element).backgroundColor}`,
    );
    return { background: style.backgroundColor, text: style.color, surfaces };
  });

/** What is wrong with the page's colours for the scheme it should be in. */
async function themeProblems(page: Page, scheme: Scheme): Promise<string[]> {
  const { background, text, surfaces } = await colours(page);
  const problems: string[] = [];
  const dark = scheme === 'dark';
  if (dark ? luminance(background) >= 0.05 : luminance(background) <= 0.8) problems.push(`body background ${background}`);
  if (dark ? luminance(text) <= 0.6 : luminance(text) >= 0.1) problems.push(`body text ${text}`);
  for (const surface of surfaces) {
    const colour = surface.slice(surface.lastIndexOf(': ') + 2);
    if (/^rgba\(.*,\s*0\)$/.test(colour)) continue; // transparent: the body's colour shows through
    const value = luminance(colour);
    if (dark ? value >= 0.1 : value <= 0.8) problems.push(surface);
  }
  return problems;
}

/** The search placeholder must be readable whole, not cut off by the field's edge. */
const placeholderFit = (page: Page): Promise<{ text: string; width: number; room: number }> =>
  page.evaluate(() => {
    const input = document.querySelector<HTMLInputElement>('#search-input')!;
    const style = getComputedStyle(input);
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return { text: input.placeholder, width: context.measureText(input.placeholder).width, room };
  });

interface Overlap {
  toast: DOMRect;
  covered: string[];
}

/** Scrolled to the very end, what of the last card does the toast cover: its box, its buttons? */
const toastOverLastCard = (page: Page): Promise<Overlap> =>
  page.evaluate(() => {
    window.scrollTo(0, document.documentElement.scrollHeight);
    const toast = document.querySelector('#undo-notice .toast')!.getBoundingClientRect();
    const cards = document.querySelectorAll('#bookmark-cards > li.card');
    const last = cards[cards.length - 1]!;
    const covered = [last, ...last.querySelectorAll('.card-actions a, .card-actions button')]
      .filter((element) => {
        const box = element.getBoundingClientRect();
        return box.bottom > toast.top && box.top < toast.bottom && box.right > toast.left && box.left < toast.right;
      })
      .map((element) => element.id);
    return { toast: toast.toJSON() as DOMRect, covered };
  });

/** Form controls and buttons that stick out of their panel, or lie over one another. */
const controlsOutOfPlace = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const name = (element: Element): string => `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} “${(element.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 30)}”`;
    const problems: string[] = [];
    // A panel laid out as its children alone (display: contents, the add form's on a phone, whose fold is the box) has no box.
    for (const panel of document.querySelectorAll('.panel, .add-fold[open]')) {
      const edge = panel.getBoundingClientRect();
      if (edge.width === 0) continue;
      const controls = [...panel.querySelectorAll('input:not([type="hidden"]), select, textarea, button, a.button')]
        .map((element) => ({ element, box: element.getBoundingClientRect() }))
        .filter(({ element, box }) => box.width > 0 && box.height > 0 && element.checkVisibility({ visibilityProperty: true }));
      for (const [i, { element, box }] of controls.entries()) {
        if (box.left < edge.left - 0.5 || box.right > edge.right + 0.5) problems.push(`${name(element)} sticks out of its panel`);
        for (const other of controls.slice(i + 1)) {
          const across = Math.min(box.right, other.box.right) - Math.max(box.left, other.box.left);
          const down = Math.min(box.bottom, other.box.bottom) - Math.max(box.top, other.box.top);
          if (across > 1 && down > 1) problems.push(`${name(element)} and ${name(other.element)} overlap`);
        }
      }
    }
    return problems;
  });

/** Until htmx has settled a swap it has not wired the new content's hx-* links: a click there would navigate. */
const editFormSettled = (page: Page): Promise<void> =>
  expect
    .poll(() =>
      page.evaluate(() => document.activeElement?.closest('form')?.className === 'bookmark-edit' && !document.querySelector('.htmx-added, .htmx-settling')),
    )
    .toBe(true);

const IMPORT_FILE = `<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
  <DT><H3>Reading list</H3>
  <DL><p>
    <DT><A HREF="https://developer.mozilla.org/en-US/docs/Web/CSS" ADD_DATE="1700000000">CSS: Cascading Style Sheets | MDN</A>
    <DT><A HREF="https://web.dev/learn/design" ADD_DATE="1700000100">Learn Responsive Design</A>
  </DL><p>
</DL><p>
`;

/**
 * Visits every page a user sees, with long unbroken text and many tags: none may
 * scroll sideways, show markup as text, or miss the colour scheme it was asked for.
 * The session's own checks add console errors, CSP violations and failed requests.
 */
async function tour(session: Session, name: string, options: BrowserContextOptions & { colorScheme: Scheme }): Promise<void> {
  const { baseUrl } = session;
  // The tour provokes a 422 (an invalid address) and a 404 page on purpose.
  session.expectErrorStatus(422, '/bookmarks');
  session.expectErrorStatus(404, '/no-such-page');
  const page = await session.newPage(options);
  const scheme = options.colorScheme;
  const overflowing: string[] = [];
  const offTheme: string[] = [];
  const misplaced: string[] = [];
  const check = async (step: string): Promise<void> => {
    await screenshot(page, `${name}-${step}`);
    if (await hasHorizontalOverflow(page)) overflowing.push(step);
    misplaced.push(...(await controlsOutOfPlace(page)).map((problem) => `${step}: ${problem}`));
    offTheme.push(...(await themeProblems(page, scheme)).map((problem) => `${step}: ${problem}`));
    expect(await page.locator('body').innerText(), `markup shown as text at ${step}`).not.toMatch(/<\/?[a-z]+[\s>]/);
  };

  await page.goto(`${baseUrl}/`);
  await check('01-sign-in');
  await signIn(page, baseUrl, uniqueUser('layout-with-a-rather-long-user-name'));
  await check('02-empty-dashboard');
  const fit = await placeholderFit(page);
  expect(fit.width, `the placeholder “${fit.text}” is cut off`).toBeLessThanOrEqual(fit.room);

  await addBookmark(page, {
    url: `https://example.com/${'a-very-long-path-segment-'.repeat(8)}?query=${'x'.repeat(80)}`,
    title: `A title with an unbreakable ${'Supercalifragilistic'.repeat(4)} word`,
    tags: 'reading research typescript sqlite htmx accessibility performance design',
  });
  await addBookmark(page, { url: 'https://htmx.org/docs/', title: 'htmx documentation', tags: 'htmx hypermedia' });
  await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify' });
  await check('03-dashboard');

  await page.fill('#search-input', 'htmx');
  await page.locator('#list-summary', { hasText: 'for “htmx”' }).waitFor();
  await check('04-search');
  await page.fill('#search-input', 'nothing-matches-this');
  await page.getByRole('heading', { name: /No bookmarks match/ }).waitFor();
  await check('05-no-match');

  await page.goto(`${baseUrl}/dashboard`);
  await fillBookmarkForm(page, { url: 'ftp://example.com/', title: '' });
  await page.click('#bookmark-form-button');
  await page.locator('#bookmark-url-error').waitFor();
  await check('06-invalid-url');

  // Inline edit: Save shows the new title in place; Escape gives the card back unchanged.
  await setMarker(page);
  await page.getByRole('link', { name: 'Edit htmx documentation' }).click();
  const editForm = page.locator('#bookmark-cards form.bookmark-edit');
  await editForm.waitFor();
  await editFormSettled(page);
  await check('07-inline-edit');
  await editForm.locator('input[name="title"]').fill('htmx reference');
  await editForm.getByRole('button', { name: 'Save', exact: true }).click();
  await cardTitled(page, 'htmx reference').waitFor();
  expect(await editForm.count()).toBe(0);
  await check('08-edited');
  await page.getByRole('link', { name: 'Edit Fastify' }).click();
  await editForm.waitFor();
  await editFormSettled(page);
  await editForm.locator('input[name="title"]').fill('Not saved');
  await page.keyboard.press('Escape');
  await editForm.waitFor({ state: 'detached' });
  await cardTitled(page, 'Fastify').waitFor();
  expect(await cardTitles(page)).not.toContain('Not saved');
  expect(await marker(page), 'editing navigated instead of swapping').toBe('same document');

  await page.getByRole('button', { name: 'Delete Fastify' }).click();
  await cardTitled(page, 'Fastify').waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: 'Deleted “Fastify”.' }).waitFor();
  await check('09-undo-toast');
  const overlap = await toastOverLastCard(page);
  // A fixed toast shows where the viewport is: only a viewport screenshot shows what the user sees.
  await screenshot(page, `${name}-09-undo-toast-scrolled-to-end`, { fullPage: false });
  expect(overlap.covered, `the undo toast at ${JSON.stringify(overlap.toast)} covers the last card`).toEqual([]);

  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await check('10-settings');
  await page.fill('#token-name', 'Phone shortcut');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByRole('status').filter({ hasText: 'Token “Phone shortcut” created.' }).waitFor();
  expect(await page.inputValue('#new-token')).toMatch(/\S{20,}/);
  expect(await page.locator('.token-list .token-name').allTextContents()).toEqual(['Phone shortcut']);
  await check('11-settings-new-token');

  await page.goto(`${baseUrl}/import`);
  await page.getByRole('heading', { name: 'Import bookmarks' }).waitFor();
  await check('12-import');
  await page.setInputFiles('#import-file', { name: 'bookmarks.html', mimeType: 'text/html', buffer: Buffer.from(IMPORT_FILE) });
  await page.locator('#import-button').click();
  await page.getByRole('status').filter({ hasText: '2 imported' }).waitFor();
  await check('13-imported');
  await page.getByRole('link', { name: 'See your bookmarks' }).click();
  await cardTitled(page, 'Learn Responsive Design').waitFor();
  await check('14-dashboard-after-import');

  await page.goto(`${baseUrl}/no-such-page`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  await check('15-not-found');

  expect(overflowing, `pages wider than the ${name} viewport`).toEqual([]);
  expect(misplaced, `controls out of place in the ${name} viewport`).toEqual([]);
  expect(offTheme, `pages not in the ${scheme} theme`).toEqual([]);
}

describe('narrow phones and long titles', () => {
  it('keeps the top bar within a 320 px phone and a long unbroken title beside its icon, on a phone and a desktop', async () => {
    const session = current();
    const title = 'Averyveryverylongtitlewithoutanyspacesatallthatcannotwrapanywhereelse';
    for (const [name, options] of [
      ['320 px phone', { ...PHONE, viewport: { width: 320, height: 700 } }],
      ['375 px phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const page = await session.signedInPage(uniqueUser('narrow'), options);
      await addBookmark(page, { url: 'https://example.com/a-long-title', title });
      expect(await hasHorizontalOverflow(page), name).toBe(false);
      const width = options.viewport.width;
      for (const control of [page.getByRole('link', { name: 'Settings' }), page.getByRole('button', { name: 'Sign out' })]) {
        const box = (await control.boundingBox())!;
        expect(box.x, name).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width, name).toBeLessThanOrEqual(width);
      }
      const fit = await placeholderFit(page);
      expect(fit.width, `${name}: the placeholder “${fit.text}” is cut off`).toBeLessThanOrEqual(fit.room);
      // The icon sits on the title's first line, before its first letter (it went on a line of its own).
      const placement = await cardTitled(page, title).evaluate((card) => {
        const link = card.querySelector('.card-title')!;
        const icon = link.querySelector('.card-icon')!.getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(link.lastChild!);
        const firstLine = range.getClientRects()[0]!;
        return { iconMiddle: icon.top + icon.height / 2, iconRight: icon.right, lineTop: firstLine.top, lineBottom: firstLine.bottom, lineLeft: firstLine.left };
      });
      expect(placement.iconMiddle, name).toBeGreaterThan(placement.lineTop);
      expect(placement.iconMiddle, name).toBeLessThan(placement.lineBottom);
      expect(placement.iconRight, name).toBeLessThanOrEqual(placement.lineLeft + 1);
      await screenshot(page, `layout-long-title-${name.replaceAll(' ', '-')}`);
      // Its undo toast is cut with an ellipsis inside the screen, the Undo whole (it was as wide as the title).
      await page.getByRole('button', { name: `Delete ${title}` }).click();
      const toast = page.locator('#undo-notice .toast');
      await toast.waitFor();
      for (const [what, box] of [['toast', await toast.boundingBox()], ['Undo', await toast.getByRole('button', { name: 'Undo' }).boundingBox()]] as const) {
        expect(box!.x, `${name}: the ${what}'s left edge`).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width, `${name}: the ${what}'s right edge`).toBeLessThanOrEqual(width);
      }
      await screenshot(page, `layout-long-title-toast-${name.replaceAll(' ', '-')}`, { fullPage: false });
      await page.context().close();
    }
  });
});

// One test per width and scheme, so each has its own time budget on a slow machine.
describe('layout on every page', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`fits a 375 px phone without sideways scrolling, in the ${scheme} theme`, async () => {
      await tour(current(), `phone-${scheme}`, { ...PHONE, colorScheme: scheme });
    });
    it(`fits a desktop window, in the ${scheme} theme`, async () => {
      await tour(current(), `desktop-${scheme}-tour`, { ...DESKTOP, colorScheme: scheme });
    });
  }
  it('fits a 320 px phone without sideways scrolling or controls out of place', async () => {
    await tour(current(), 'phone-320', { ...PHONE, viewport: { width: 320, height: 700 }, colorScheme: 'light' });
  });
});

describe('the keyboard, and the search box without JavaScript', () => {
  it('on a phone, says a link was saved where the eye is, above the fold, while the list with it is below', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('phone-add'), { ...PHONE, colorScheme: 'dark' });
    await addBookmark(page, { url: 'https://example.org/phone-saved', title: 'Saved from a phone', tags: '' });
    const note = page.locator('#bookmark-form .form-saved');
    expect(await note.textContent()).toBe('Saved “Saved from a phone”.');
    const height = PHONE.viewport.height;
    const noteBox = (await note.boundingBox())!;
    expect(noteBox.y + noteBox.height, 'the note is on screen').toBeLessThanOrEqual(height);
    expect(noteBox.y).toBeGreaterThanOrEqual(0);
    // The card itself is below the fold, which is why the form says it.
    expect((await cardTitled(page, 'Saved from a phone').boundingBox())!.y).toBeGreaterThan(height);
    await screenshot(page, 'layout-phone-saved-note', { fullPage: false });
  });

  it('passes the add form and every tag with “Skip to your bookmarks” after the search box, shown only while focused', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('skip'), DESKTOP);
    for (const tag of ['alpha', 'beta', 'gamma']) await addBookmark(page, { url: `https://example.org/skip-${tag}`, title: `Skip ${tag}`, tags: tag });
    const skip = page.getByRole('link', { name: 'Skip to your bookmarks' });
    expect(await skip.evaluate((element) => element.getBoundingClientRect().width)).toBeLessThanOrEqual(1);
    await page.focus('#search-input');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to your bookmarks');
    expect(await skip.evaluate((element) => element.getBoundingClientRect().width)).toBeGreaterThan(50);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('#bookmark-cards > li')?.querySelector('.card-title')?.textContent)).toBe('Skip gamma');
  });

  it('without JavaScript, on a phone, the placeholder fits beside the Search button and the help does not promise searching as you type', async () => {
    const session = current();
    const page = await session.signedInPage(uniqueUser('nojs-search'), { ...PHONE, javaScriptEnabled: false });
    await page.getByRole('button', { name: 'Search' }).waitFor();
    const fit = await placeholderFit(page);
    expect(fit.width, fit.text).toBeLessThanOrEqual(fit.room);
    expect(await page.locator('#search-help').innerText()).not.toContain('as you type');
  });
});
