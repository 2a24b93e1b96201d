import { bomEncoding, charsetParameter, decodeText, metaEncoding } from '../fetch/charset.js';

/**
 * An uploaded HTML file's bytes as text, in the encoding a browser would read them in: its
 * byte-order mark, else what a `<meta>` of its first bytes declares, else UTF-8 (an upload
 * has no Content-Type of its own to say).
 */
export function decodeHtmlFile(bytes: Uint8Array): string {
  // Taken at its word, as browsers do; the decoder drops it.
  const marked = bomEncoding(bytes);
  if (marked) return decodeText(bytes, marked);
  const declared = metaEncoding(declaredCharset(bytes));
  if (declared !== null && declared !== 'utf-8') return decodeText(bytes, declared);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8, whatever it says: nearly always an old export, or a file saved again by an
    // editor in Windows' code page under a META that still says UTF-8. Read as windows-1252,
    // the browsers' fallback for legacy pages, its accents come through, where UTF-8 would
    // store U+FFFD for each (and a corrected file, imported again, would find only duplicates).
    return decodeText(bytes, 'windows-1252');
  }
}

/** Browsers look for a declaration in the first 1,024 bytes only. */
const PRESCAN_BYTES = 1024;

/** The label of the first `<meta charset="x">` or `<meta http-equiv content="text/html; charset=x">`. */
function declaredCharset(bytes: Uint8Array): string | null {
  // Read as single bytes: every encoding a META may declare spells the tag in ASCII.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PRESCAN_BYTES)).toString('latin1');
  for (const [tag] of head.matchAll(/<meta\s[^>]*/gi)) {
    const label = charsetParameter(tag);
    if (label) return label;
  }
  return null;
}
