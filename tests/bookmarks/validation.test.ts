import { describe, expect, it } from 'vitest';
import { cleanText, normalizeTag, parseTags, validateBookmark } from '../../src/bookmarks/validation.js';
import { withAssumedScheme, withNonAsciiUnescaped } from '../../src/bookmarks/urls.js';

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
    expect(result).toEqual({ ok: true, value: { url: 'https://example.com/Path?q=1', title: 'A page', description: '', tags: [] } });
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

  // Issue 17: text that looks the same must be stored the same; a bidi override can make a title read backwards.
  it.each([
    ['\u202Egnp.exe', 'gnp.exe'],
    ['w\u200Beb', 'web'],
    ['\u2066Isolated\u2069 \u200Fmarks\u200E', 'Isolated marks'],
    ['\u202Aembedded\u202C \u202Boverride\u202D \u061Cletter', 'embedded override letter'],
    ['word\u2060joiner\uFEFFbom soft\u00ADhyphen', 'wordjoinerbom softhyphen'],
    ['\u202E\u200B', 'example.com'],
    // Joiners and selectors that emoji and scripts need stay; titles are not folded (NFKC is for tags).
    ['Family 👨\u200D👩\u200D👧 ❤\uFE0F', 'Family 👨\u200D👩\u200D👧 ❤\uFE0F'],
    ['می\u200Cخواهم', 'می\u200Cخواهم'],
    ['ﬁle ｗｉｄｅ', 'ﬁle ｗｉｄｅ'],
    // A lone surrogate (a JSON body can hold one) reads as white space, as a control character does; a pair is a character.
    ['half\uD800 pair \uD83E\uDD80\uDC00', 'half  pair 🦀'],
  ])('stores title %j as %j: no bidi controls or invisible characters', (title, stored) => {
    const result = validateBookmark(fields({ title, url: 'https://example.com/x' }));
    expect(result.ok && result.value.title).toBe(stored);
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
    // Issue 17: tags that look the same are the same tag.
    ['w\u200Beb web', ['web']],
    ['\u202Eweb we\u200Db w\u200Ceb', ['web']],
    ['\u2066web\u2069 \u200E\u200Fweb\u061C', ['web']],
    ['\u202A\u202B\u202C\u202D\u202Eweb', ['web']],
    ['w\u2060e\uFEFFb\u00AD', ['web']],
    ['\u200B \u2060, \u3164', []],
    ['ｗｅｂ Ｗｅｂ', ['web']],
    ['ｗｅｂ，ｄｅｖ　＃ｏｌｄ', ['web', 'dev', 'old']],
    ['ﬁle ℌ ①', ['file', 'h', '1']],
    ['❤\uFE0F ❤', ['❤']],
    ['a\uD800b \uDC00 🦀', ['a', 'b', '🦀']],
  ])('parseTags(%j) is %j', (raw, expected) => {
    expect(parseTags(raw)).toEqual(expected);
  });
});

describe('a tag once stored reads back as itself', () => {
  it('for every code point that lowercasing changes, alone and before combining marks (all of Unicode)', () => {
    // Lowercasing a Greek capital can leave NFKC ('Ϊ́' lowercases to 'ΐ' decomposed): a stored tag must
    // fold to itself, or its link finds nothing and an edit saved unchanged changes it.
    const marks = ['', '\u0301', '\u0308\u0301', '\u0345', '\u0301\u0345', '\u0313\u0345', '\u0342'];
    const unstable: string[] = [];
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      const folded = String.fromCodePoint(codePoint).normalize('NFKC');
      if (folded.toLowerCase() === folded) continue;
      for (const mark of marks) {
        const tag = normalizeTag(String.fromCodePoint(codePoint) + mark);
        if (normalizeTag(tag) !== tag) unstable.push(`U+${codePoint.toString(16).toUpperCase()}${mark}`);
      }
    }
    expect(unstable).toEqual([]);
    expect(parseTags('Ϊ\u0301 ΐ')).toEqual(['ΐ']);
  });
});

describe('normalizeTag and cleanText (the same rules, one value at a time)', () => {
  it.each([
    ['#w\u200Beb', 'web'],
    ['＃ＷＥＢ', 'web'],
    ['\u202Eweb', 'web'],
    ['\u200B', ''],
  ])('normalizeTag(%j) is %j', (raw, expected) => {
    expect(normalizeTag(raw)).toBe(expected);
  });

  it.each([
    ['\u202Egnp.exe ', 'gnp.exe'],
    ['a\u0000b\u200Bc', 'a bc'],
    ['👨\u200D👩', '👨\u200D👩'],
  ])('cleanText(%j) is %j', (raw, expected) => {
    expect(cleanText(raw)).toBe(expected);
  });
});

describe('withNonAsciiUnescaped', () => {
  it.each([
    ['https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC', 'https://ja.wikipedia.org/wiki/日本'],
    ['https://example.com/Caf%C3%A9?q=%C3%A9t%C3%A9#%C3%A0', 'https://example.com/Café?q=été#à'],
    // Lowercase escapes: the parser keeps them as written, so they stay.
    ['https://example.com/caf%c3%a9', 'https://example.com/caf%c3%a9'],
    // Not UTF-8, or an ASCII character's escape: kept.
    ['https://example.com/%FF%FE/%E6%97', 'https://example.com/%FF%FE/%E6%97'],
    ['https://example.com/a%2Fb?x=%3D%26&y=%20', 'https://example.com/a%2Fb?x=%3D%26&y=%20'],
    ['https://example.com/%E6%97%A5%FF', 'https://example.com/%E6%97%A5%FF'],
  ])('%s reads as %s, the same address once parsed', (href, unescaped) => {
    expect(withNonAsciiUnescaped(href)).toBe(unescaped);
    expect(new URL(withNonAsciiUnescaped(href)).href).toBe(new URL(href).href);
  });
});

describe('withAssumedScheme', () => {
  it.each([
    ['example.com', 'https://example.com'],
    [' www.example.com/a b?q=1#x ', 'https://www.example.com/a b?q=1#x'],
    ['localhost:8080/x', 'https://localhost:8080/x'],
    ['example.com:8443', 'https://example.com:8443'],
    ['192.168.1.10/admin', 'https://192.168.1.10/admin'],
    ['[::1]:3000/', 'https://[::1]:3000/'],
    ['//example.com/path', 'https://example.com/path'],
    ['bücher.example/katalog', 'https://bücher.example/katalog'],
    // Typed with a scheme, or not an address: left as typed, for validation to judge.
    ['https://example.com/', 'https://example.com/'],
    ['HTTP://Example.com', 'HTTP://Example.com'],
    ['javascript:alert(1)', 'javascript:alert(1)'],
    ['javascript:1', 'javascript:1'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    ['ftp://example.com/file', 'ftp://example.com/file'],
    ['data:text/html,hi', 'data:text/html,hi'],
    ['notes', 'notes'],
    ['notes.', 'notes.'],
    ['2024', '2024'],
    ['3.14', '3.14'],
    ['someone@example.com', 'someone@example.com'],
    ['javascript:1@example.com', 'javascript:1@example.com'],
    ['admin@192.168.1.1', 'admin@192.168.1.1'],
    ['not a url', 'not a url'],
    ['', ''],
  ])('%j reads as %j', (typed, read) => {
    expect(withAssumedScheme(typed)).toBe(read);
  });

  it('never turns what validation refuses into something it accepts, but for a host typed bare', () => {
    for (const typed of ['javascript:alert(1)', 'javascript:1', 'javascript:1@example.com', 'vbscript:x', 'file:///etc/passwd', 'notes', 'notes.', '2024', '3.14', 'someone@example.com', 'a b']) {
      expect(validateBookmark(fields({ url: withAssumedScheme(typed) })).ok, typed).toBe(false);
    }
    expect(validateBookmark(fields({ url: withAssumedScheme('example.com/a') }))).toMatchObject({ ok: true, value: { url: 'https://example.com/a' } });
  });
});
