/**
 * Character encodings, by the WHATWG Encoding Standard that browsers follow. Node's own
 * TextDecoder (full ICU) implements it: every label browsers accept, resolved as browsers
 * resolve it (iso-8859-1 and latin1 mean windows-1252, x-sjis means shift_jis), and the
 * multi-byte decoders (Shift_JIS, EUC-JP, GBK, Big5, …) browsers use. iconv-lite would bring
 * its own label table, in which latin1 is the literal ISO table, so it would disagree with the
 * page as people see it. One exception is patched below: windows-1252 itself.
 */

/**
 * WHATWG index-windows-1252 for bytes 0x80–0x9F (the rest is Latin-1). Node 20.18.3+ and
 * 22.13+ decode windows-1252 as Latin-1 (nodejs/node#60888), turning €, “ ” and – into
 * invisible control characters, so these 32 bytes are mapped here.
 */
const WINDOWS_1252_C1 = String.fromCodePoint(
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
);

/** Decodes a whole body in an encoding named by encodingForLabel. */
export function decodeText(bytes: Uint8Array, encoding: string): string {
  if (encoding !== 'windows-1252') return new TextDecoder(encoding).decode(bytes);
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]!);
}

/** The standard's name for a label (`Shift_JIS` → shift_jis, `latin1` → windows-1252), or null if unknown. */
export function encodingForLabel(label: string | null | undefined): string | null {
  if (!label) return null;
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return null;
  }
}

/** The charset in a Content-Type value (a header, or a `<meta http-equiv>` content). */
export function charsetParameter(contentType: string | null | undefined): string | null {
  const match = /charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2] ?? match[3] ?? null) : null;
}

export function bomEncoding(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return null;
}

/** A `<meta>` can't really declare UTF-16 (the markup it is written in would not be ASCII): HTML reads that as UTF-8. */
export function metaEncoding(label: string | null): string | null {
  if (label?.trim().toLowerCase() === 'x-user-defined') return 'windows-1252';
  const encoding = encodingForLabel(label);
  return encoding === 'utf-16le' || encoding === 'utf-16be' ? 'utf-8' : encoding;
}

/**
 * With nothing declared: UTF-8 when the bytes are valid UTF-8 (almost every page today),
 * else windows-1252, the standard's fallback. `stream` lets a sequence cut by the size cap pass.
 */
export function undeclaredEncoding(bytes: Uint8Array): string {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}
