import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { addBookmark, fillBookmarkForm, hasHorizontalOverflow, screenshot, signIn, uniqueUser, useStack } from './harness.js';

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

const bodyColours = (page: Page): Promise<{ background: string; text: string }> =>
  page.evaluate(() => {
    const style = getComputedStyle(document.body);
    return { background: style.backgroundColor, text: style.color };
  });

/**
 * Visits every page a user sees, with long unbroken text and many tags, and
 * checks that none scrolls sideways. Returns the body colours of the dashboard.
 */
async function tour(page: Page, baseUrl: string, name: string): Promise<{ background: string; text: string }> {
  const overflowing: string[] = [];
  const check = async (step: string): Promise<void> => {
    await screenshot(page, `${name}-${step}`);
    if (await hasHorizontalOverflow(page)) overflowing.push(step);
    expect(await page.locator('body').innerText(), `markup shown as text at ${step}`).not.toMatch(/<\/?[a-z]+[\s>]/);
  };

  await page.goto(`${baseUrl}/`);
  await check('01-sign-in');
  await signIn(page, baseUrl, uniqueUser('layout-with-a-rather-long-user-name'));
  await check('02-empty-dashboard');
  await addBookmark(page, {
    url: `https://example.com/${'a-very-long-path-segment-'.repeat(8)}?query=${'x'.repeat(80)}`,
    title: `A title with an unbreakable ${'Supercalifragilistic'.repeat(4)} word`,
    tags: 'reading research typescript sqlite htmx accessibility performance design',
  });
  await addBookmark(page, { url: 'https://htmx.org/docs/', title: 'htmx documentation', tags: 'htmx hypermedia' });
  await addBookmark(page, { url: 'https://fastify.dev/', title: 'Fastify' });
  await check('03-dashboard');
  const colours = await bodyColours(page);

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

  await page.getByRole('button', { name: 'Delete Fastify' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted' }).waitFor();
  await check('07-undo-toast');

  await page.goto(`${baseUrl}/no-such-page`);
  await check('08-not-found');

  expect(overflowing, `pages wider than the ${name} viewport`).toEqual([]);
  return colours;
}

describe('layout', () => {
  it('nothing overflows horizontally at 375 px, in light and dark', async () => {
    const session = current();
    // The tour provokes a 422 (invalid address) and a 404 page on purpose.
    session.expectErrorStatus(422, '/bookmarks');
    session.expectErrorStatus(404, '/no-such-page');
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await session.newPage({ ...PHONE, colorScheme });
      await tour(page, session.baseUrl, `phone-${colorScheme}`);
    }
  });

  it('applies the dark theme when the system prefers dark', async () => {
    const session = current();
    session.expectErrorStatus(422, '/bookmarks');
    session.expectErrorStatus(404, '/no-such-page');
    const light = await tour(await session.newPage({ ...DESKTOP, colorScheme: 'light' }), session.baseUrl, 'desktop-light-tour');
    const dark = await tour(await session.newPage({ ...DESKTOP, colorScheme: 'dark' }), session.baseUrl, 'desktop-dark-tour');

    expect(dark.background).not.toBe(light.background);
    expect(luminance(light.background)).toBeGreaterThan(0.8);
    expect(luminance(dark.background)).toBeLessThan(0.05);
    expect(luminance(dark.text)).toBeGreaterThan(0.6);
  });
});
