/**
 * Character encodings, by the WHATWG Encoding Standard that browsers follow. Node's own
 * TextDecoder (full ICU) implements it: every label browsers accept, decoded as browsers do
 * (iso-8859-1 and latin1 mean windows-1252, so 0x80 is €). iconv-lite decodes those labels
 * as the literal ISO tables instead, so it would disagree with the page as people see it.
 */

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
