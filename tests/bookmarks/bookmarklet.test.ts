import { describe, expect, it } from 'vitest';
import { bookmarkletCode } from '../../src/bookmarks/bookmarklet.js';
import { as, html, TEST_BASE_URL, useSignedInApp } from '../helpers.js';

interface FakePage {
  href: string;
  title: string;
  selection?: string;
  metaDescription?: string;
  popupsBlocked?: boolean;
}

/** Runs the bookmarklet's code against a stand-in for the page it is clicked on; returns where it went. */
function runOn(code: string, page: FakePage): { opened?: { url: string; name: string; features: string }; navigatedTo?: string } {
  const result: { opened?: { url: string; name: string; features: string }; navigatedTo?: string } = {};
  const location = {
    get href() {
      return page.href;
    },
    set href(url: string) {
      result.navigatedTo = url;
    },
  };
  const document = {
    title: page.title,
    querySelector: (selector: string) => {
      expect(selector).toBe('meta[name="description" i],meta[property="og:description"]');
      return page.metaDescription === undefined ? null : { content: page.metaDescription };
    },
  };
  const window = {
    open: (url: string, name: string, features: string) => {
      result.opened = { url, name, features };
      return page.popupsBlocked ? null : {};
    },
  };
  const run = new Function('window', 'document', 'location', 'getSelection', 'URLSearchParams', code.replace(/^javascript:/, ''));
  run(window, document, location, () => ({ toString: () => page.selection ?? '' }), URLSearchParams);
  return result;
}

const paramsOf = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe('the bookmarklet', () => {
  const code = bookmarkletCode(new URL('https://bookmarks.example.com'));

  it('is a javascript: link with nothing a URL would decode differently', () => {
    expect(code.startsWith('javascript:(function(){')).toBe(true);
    expect(code).not.toMatch(/[%\n]/);
    expect(decodeURIComponent(code)).toBe(code);
  });

  it('opens the new-bookmark page in a small window with the address, the title and the selected text', () => {
    const { opened, navigatedTo } = runOn(code, { href: 'https://news.example/story?id=7#c', title: 'A story', selection: '  The quoted part  ', metaDescription: 'Meta' });
    expect(navigatedTo).toBeUndefined();
    expect(opened?.url.startsWith('https://bookmarks.example.com/bookmarks/new?')).toBe(true);
    expect(opened?.features).toContain('popup');
    expect(paramsOf(opened!.url)).toEqual({ url: 'https://news.example/story?id=7#c', title: 'A story', description: 'The quoted part', popup: '1' });
  });

  it('falls back to the page’s meta description, cuts long text to the form’s limits, and navigates the tab when popups are blocked', () => {
    const meta = runOn(code, { href: 'https://a.example/', title: 'T'.repeat(600), metaDescription: 'd'.repeat(1200) });
    expect(paramsOf(meta.opened!.url)).toMatchObject({ title: 'T'.repeat(500), description: 'd'.repeat(1000) });
    // Cut by characters, as the form counts them: never inside an emoji, whose half would arrive as U+FFFD.
    const emoji = runOn(code, { href: 'https://a.example/', title: `${'T'.repeat(499)}😀😀`, selection: `${'d'.repeat(999)}😀😀` });
    expect(paramsOf(emoji.opened!.url)).toMatchObject({ title: `${'T'.repeat(499)}😀`, description: `${'d'.repeat(999)}😀` });
    const none = runOn(code, { href: 'https://a.example/', title: '' });
    expect(paramsOf(none.opened!.url)).toMatchObject({ title: '', description: '' });
    const blocked = runOn(code, { href: 'https://a.example/', title: 'Blocked', popupsBlocked: true });
    expect(paramsOf(blocked.navigatedTo!)).toEqual({ url: 'https://a.example/', title: 'Blocked', description: '', popup: '0' });
  });
});

describe('the bookmarklet on Settings', () => {
  const ctx = useSignedInApp();

  it('is offered as a link to drag, pointing at this app', async () => {
    const page = html((await as(ctx, 'alice').get('/settings')).body);
    const link = page.querySelector('#bookmarklet a.bookmarklet');
    expect(link?.textContent?.trim()).toBe('Save to Bookmarks');
    expect(link?.getAttribute('href')).toBe(bookmarkletCode(new URL(TEST_BASE_URL)));
    expect(link?.getAttribute('href')).toContain(`"${TEST_BASE_URL}/bookmarks/new?"`);
    expect(page.querySelector('#bookmarklet')?.textContent).toContain('Drag this button to your bookmarks bar');
  });

  it('offers the same code to copy, for a keyboard that cannot drag', async () => {
    const page = html((await as(ctx, 'alice').get('/settings')).body);
    const field = page.querySelector('#bookmarklet details input#bookmarklet-code');
    expect(field?.getAttribute('value')).toBe(bookmarkletCode(new URL(TEST_BASE_URL)));
    expect(field?.hasAttribute('readonly')).toBe(true);
    expect(page.querySelector('label[for="bookmarklet-code"]')?.textContent).toBe('Bookmarklet code');
    expect(page.querySelector('#bookmarklet details summary')?.textContent).toBe('Cannot drag? Copy the code instead');
  });
});
