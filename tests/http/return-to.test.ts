import { describe, expect, it } from 'vitest';
import { cutToFit } from '../../src/http/return-to.js';

const paramsOf = (path: string) => Object.fromEntries(new URLSearchParams(path.split('?')[1]));

describe('cutToFit', () => {
  it('leaves an address that fits as it is, and cuts the named parameters, in order, as little as needed, never inside a character', () => {
    expect(cutToFit('/bookmarks/new?url=x&title=t', ['title'], 100)).toBe('/bookmarks/new?url=x&title=t');
    const long = `/bookmarks/new?${new URLSearchParams({ url: 'https://a.example/', title: 'T'.repeat(50), description: '😀'.repeat(50) })}`;
    const cut = cutToFit(long, ['description', 'title'], 200);
    expect(cut.length).toBeLessThanOrEqual(200);
    const params = paramsOf(cut);
    expect(params.url).toBe('https://a.example/');
    expect(params.title).toBe('T'.repeat(50));
    expect(params.description).toBe('😀'.repeat([...params.description!].length));
    // As long as could be: one character more would not fit.
    expect(cutToFit(long, ['description', 'title'], 200 + 12).length).toBeGreaterThan(cut.length);
    // Still too long when the named parameters cannot make it fit.
    expect(cutToFit(long, ['title'], 100).length).toBeGreaterThan(100);
  });

  it('keeps the whole of a value that fits once encoded anew (a space sent as %20 comes back as +)', () => {
    const description = 'a b '.repeat(120) + 'end';
    const path = `/bookmarks/new?url=${encodeURIComponent('https://example.com/')}&description=${encodeURIComponent(description)}`;
    expect(path.length).toBeGreaterThan(1000);
    expect(paramsOf(cutToFit(path, ['description', 'title'], 1000)).description).toBe(description);
  });
});
