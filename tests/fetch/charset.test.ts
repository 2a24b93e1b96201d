import { describe, expect, it } from 'vitest';
import { decodeText, encodingForLabel, metaEncoding, undeclaredEncoding } from '../../src/fetch/charset.js';

describe('charset decoding', () => {
  it('decodes every windows-1252 byte from 0x80 to 0x9F as the Encoding Standard says, whatever Node version runs', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    expect(decodeText(bytes, 'windows-1252')).toBe('€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ');
    expect(decodeText(Uint8Array.of(0x41, 0xa0, 0xe9, 0xff), 'windows-1252')).toBe('A\u00a0éÿ');
  });

  it.each([
    ['ISO-8859-1', 'windows-1252'],
    ['latin1', 'windows-1252'],
    ['us-ascii', 'windows-1252'],
    [' Shift_JIS ', 'shift_jis'],
    ['x-sjis', 'shift_jis'],
    ['euc-jp', 'euc-jp'],
    ['gb2312', 'gbk'],
    ['big5', 'big5'],
    ['koi8-r', 'koi8-r'],
    ['UTF8', 'utf-8'],
    ['no-such-charset', null],
    ['', null],
  ])('reads the label %j as %j', (label, encoding) => {
    expect(encodingForLabel(label)).toBe(encoding);
  });

  it('reads a <meta> that claims UTF-16 as UTF-8, as HTML does', () => {
    expect(metaEncoding('utf-16')).toBe('utf-8');
    expect(metaEncoding('UTF-16BE')).toBe('utf-8');
    expect(metaEncoding('x-user-defined')).toBe('windows-1252');
  });

  it('takes undeclared bytes as UTF-8 when valid, even if the size cap cut a character in half', () => {
    const text = Buffer.from('Grüße ✓');
    expect(undeclaredEncoding(text)).toBe('utf-8');
    expect(undeclaredEncoding(text.subarray(0, text.length - 1))).toBe('utf-8');
    expect(undeclaredEncoding(Uint8Array.of(0x47, 0x72, 0xfc, 0xdf, 0x65))).toBe('windows-1252');
  });
});
