import { describe, expect, it } from 'vitest';
import { parseTags, validateBookmark } from '../../src/bookmarks/validation.js';

const fields = (overrides: Partial<{ url: string; title: string; tags: string }> = {}) => ({
  url: 'https://example.com/page',
  title: 'A page',
  tags: '',
  ...overrides,
});

describe('validateBookmark', () => {
  it.each([
    ['', 'Enter the address'],
    ['   ', 'Enter the address'],
    ['not a url', 'http:// or https://'],
    ['javascript:alert(1)', 'http:// or https://'],
    ['JavaScript:alert(1)', 'http:// or https://'],
    ['data:text/html,<script>alert(1)</script>', 'http:// or https://'],
    ['file:///etc/passwd', 'http:// or https://'],
    ['ftp://example.com/', 'http:// or https://'],
    ['vbscript:msgbox', 'http:// or https://'],
    [`https://example.com/${'a'.repeat(2048)}`, 'at most 2048'],
  ])('refuses url %j', (url, message) => {
    const result = validateBookmark(fields({ url }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.url).toContain(message);
  });

  it('accepts http and https and normalises scheme and host case', () => {
    const result = validateBookmark(fields({ url: '  HTTPS://Example.COM/Path?q=1  ' }));
    expect(result).toEqual({ ok: true, value: { url: 'https://example.com/Path?q=1', title: 'A page', tags: [] } });
    expect(validateBookmark(fields({ url: 'http://localhost:8080/' })).ok).toBe(true);
  });

  it('stores control characters in a title as spaces, and a title of only those as the host', () => {
    const ok = (title: string) => {
      const result = validateBookmark({ url: 'https://example.com/', title, tags: '' });
      if (!result.ok) throw new Error('refused');
      return result.value.title;
    };
    expect(ok('Tab\tand\u0000NUL\u001b[31m')).toBe('Tab and NUL [31m');
    expect(ok('\u0000\u0001')).toBe('example.com');
  });

  it('uses the host as the title when the title is empty', () => {
    const result = validateBookmark(fields({ title: '   ', url: 'https://docs.example.org/x' }));
    expect(result.ok && result.value.title).toBe('docs.example.org');
  });

  it('refuses a title over 500 characters and accepts exactly 500', () => {
    expect(validateBookmark(fields({ title: 'é'.repeat(500) })).ok).toBe(true);
    const result = validateBookmark(fields({ title: 'x'.repeat(501) }));
    expect(!result.ok && result.errors.title).toContain('at most 500');
  });

  it('refuses more than 20 tags or a tag over 50 characters', () => {
    const many = Array.from({ length: 21 }, (_, i) => `t${i}`).join(' ');
    const tooMany = validateBookmark(fields({ tags: many }));
    expect(!tooMany.ok && tooMany.errors.tags).toContain('at most 20');
    const long = validateBookmark(fields({ tags: 'x'.repeat(51) }));
    expect(!long.ok && long.errors.tags).toContain('at most 50');
    expect(validateBookmark(fields({ tags: 'x'.repeat(50) })).ok).toBe(true);
  });

  it('reports every bad field at once and keeps what was typed', () => {
    const result = validateBookmark(fields({ url: 'javascript:x', title: 'x'.repeat(501), tags: 'y'.repeat(60) }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(Object.keys(result.errors).sort()).toEqual(['tags', 'title', 'url']);
      expect(result.fields.url).toBe('javascript:x');
    }
  });
});

describe('parseTags', () => {
  it.each([
    ['', []],
    ['Web, DEV  web,,dev', ['web', 'dev']],
    ['  a\tb\nc ', ['a', 'b', 'c']],
    ['#reading #Later', ['reading', 'later']],
    ['c++ node.js', ['c++', 'node.js']],
    ['<b>x</b>', ['<b>x</b>']],
    ['x a\u0000b', ['x', 'a', 'b']],
    ['\u0007bell\u007f\u009fc1', ['bell', 'c1']],
  ])('parseTags(%j) is %j', (raw, expected) => {
    expect(parseTags(raw)).toEqual(expected);
  });
});
