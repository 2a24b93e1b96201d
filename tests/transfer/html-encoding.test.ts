import { describe, expect, it } from 'vitest';
import { decodeHtmlFile } from '../../src/transfer/html-encoding.js';

/** Strings as UTF-8, numbers as the bytes they are. */
const bytes = (...parts: (string | number[])[]): Uint8Array => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();
const meta = (charset: string): string => `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=${charset}">\n<TITLE>Bookmarks</TITLE>\n`;
const E_ACUTE_1252 = [0xe9];
const EURO_1252 = [0x80];
const NIHON_SHIFT_JIS = [0x93, 0xfa, 0x96, 0x7b];

describe('decodeHtmlFile reads a file as a browser would', () => {
  it.each([
    ['UTF-8, undeclared', bytes('<A>Crème 日本</A>'), '<A>Crème 日本</A>'],
    ['UTF-8 under a META that says so', bytes(meta('UTF-8'), 'Crème'), `${meta('UTF-8')}Crème`],
    ['a UTF-8 byte-order mark, dropped', bytes([0xef, 0xbb, 0xbf], 'Crème'), 'Crème'],
    ['a UTF-8 byte-order mark over bytes that are not UTF-8: taken at its word', bytes([0xef, 0xbb, 0xbf], 'Caf', E_ACUTE_1252), 'Caf\ufffd'],
    ['a UTF-16LE byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${meta('UTF-16')}Über`, 'utf16le')]), `${meta('UTF-16')}Über`],
    ['a UTF-16BE byte-order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be('Über 日本')]), 'Über 日本'],
    ['a byte-order mark over what the META says', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${meta('windows-1252')}Über`, 'utf16le')]), `${meta('windows-1252')}Über`],
    ['windows-1252 as declared', bytes(meta('windows-1252'), 'Caf', E_ACUTE_1252, ' ', EURO_1252), `${meta('windows-1252')}Café €`],
    ['iso-8859-1, which browsers read as windows-1252', bytes(meta('ISO-8859-1'), EURO_1252), `${meta('ISO-8859-1')}€`],
    ['Shift_JIS in <meta charset>', bytes('<meta charset="shift_jis"><A>', NIHON_SHIFT_JIS, '</A>'), '<meta charset="shift_jis"><A>日本</A>'],
    ['an unknown label: UTF-8', bytes(meta('x-no-such-encoding'), 'Crème'), `${meta('x-no-such-encoding')}Crème`],
    ['UTF-16 declared without a byte-order mark: UTF-8, as browsers take it', bytes(meta('UTF-16'), 'Crème'), `${meta('UTF-16')}Crème`],
    ['a META after the first 1,024 bytes: not read', bytes(`<!--${' '.repeat(1024)}-->`, meta('shift_jis'), 'Crème'), `<!--${' '.repeat(1024)}-->${meta('shift_jis')}Crème`],
    // Not UTF-8 after all: read as windows-1252, declared UTF-8 or not (see decodeHtmlFile).
    ['undeclared, not UTF-8: windows-1252', bytes('<A>Caf', E_ACUTE_1252, '</A>'), '<A>Café</A>'],
    ['declared UTF-8, not UTF-8: windows-1252', bytes(meta('UTF-8'), 'Caf', E_ACUTE_1252, ' ', EURO_1252), `${meta('UTF-8')}Café €`],
  ])('%s', (_case, file, text) => {
    expect(decodeHtmlFile(file)).toBe(text);
  });
});
