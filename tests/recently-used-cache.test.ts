import { describe, expect, it } from 'vitest';
import { RecentlyUsedCache } from '../src/recently-used-cache.js';

describe('RecentlyUsedCache', () => {
  it('drops the least recently used past maxEntries: a use makes a key the most recent', () => {
    const cache = new RecentlyUsedCache<string, number>(3, 1_000);
    cache.set('a', 1, 1);
    cache.set('b', 2, 1);
    cache.set('c', 3, 1);
    expect(cache.get('a')).toBe(1);
    cache.set('d', 4, 1);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(3);
    // Now c, a, d by use: c goes next, then a.
    cache.set('e', 5, 1);
    expect(cache.get('c')).toBeUndefined();
    expect([cache.get('a'), cache.get('d'), cache.get('e')]).toEqual([1, 4, 5]);
    cache.set('f', 6, 1);
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('d'), cache.get('e'), cache.get('f')]).toEqual([4, 5, 6]);
  });

  it('drops the least recently used past maxCharacters, counts a replaced value once, and never keeps one over the bound', () => {
    const cache = new RecentlyUsedCache<string, number>(100, 10);
    cache.set('a', 1, 4);
    cache.set('b', 2, 4);
    // Replaced: its 4 characters are counted as 2 now, so 10 in all fits.
    cache.set('a', 10, 2);
    cache.set('c', 3, 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([10, 2, 3]);
    // 14 would be over: the least recently used (a) goes, and b too (12 is still over).
    cache.set('d', 4, 4);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('c'), cache.get('d')]).toEqual([3, 4]);
    // One over the bound alone is not kept, and what its key held is gone with it.
    cache.set('c', 30, 11);
    expect(cache.get('c')).toBeUndefined();
    expect(cache.get('d')).toBe(4);
    expect(cache.size).toBe(1);
  });

  it('forgets a deleted key, keeps the order of the rest, and keeps nothing at maxEntries 0', () => {
    const cache = new RecentlyUsedCache<string, number>(2, 100);
    cache.set('a', 1, 1);
    cache.set('b', 2, 1);
    cache.delete('a');
    cache.delete('missing');
    expect(cache.get('a')).toBeUndefined();
    cache.set('c', 3, 1);
    expect([cache.get('b'), cache.get('c')]).toEqual([2, 3]);
    cache.delete('c');
    cache.set('d', 4, 1);
    cache.set('e', 5, 1);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('d'), cache.get('e')]).toEqual([4, 5]);

    const none = new RecentlyUsedCache<string, number>(0, 100);
    none.set('a', 1, 1);
    expect(none.get('a')).toBeUndefined();
    expect(none.size).toBe(0);
  });
});
