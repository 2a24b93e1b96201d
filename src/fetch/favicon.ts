import { decodedBody, fetchGuarded, readCapped, type FetchOptions } from './request.js';
import type { FaviconContentType, FaviconResult } from './result.js';

export const FAVICON_BYTE_LIMIT = 32 * 1024;
const IMAGE_ACCEPT = 'image/png,image/x-icon,image/gif,image/webp,image/jpeg;q=0.9,*/*;q=0.1';

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  return signature.every((byte, index) => bytes[offset + index] === byte);
}

const ascii = (text: string): number[] => [...text].map((character) => character.charCodeAt(0));

/**
 * The raster format the bytes are, by their signature, or null. A server's Content-Type
 * is not trusted either way: favicon.ico is often sent as text/plain, and an HTML or SVG
 * body labelled image/png must not be served back as an image.
 */
export function sniffImageType(bytes: Uint8Array): FaviconContentType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  // ICONDIR: reserved 0, type 1 (icon), then a non-zero image count.
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00]) && bytes.length >= 6 && (bytes[4]! | (bytes[5]! << 8)) > 0) return 'image/x-icon';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  return null;
}

/**
 * Fetches an icon through the same guard as pages (every hop checked, one deadline):
 * a PNG, ICO, GIF, WebP or JPEG of at most 32 KB, never SVG.
 */
export async function fetchFavicon(input: string, options: FetchOptions = {}): Promise<FaviconResult> {
  return fetchGuarded(input, options, IMAGE_ACCEPT, async (url, response): Promise<FaviconResult> => {
    const encoded = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase() !== 'identity';
    // Refused before reading when the server says so; otherwise the cap below decides.
    if (!encoded && Number(response.headers['content-length'] ?? 0) > FAVICON_BYTE_LIMIT) {
      return { ok: false, reason: 'too_large', limit: FAVICON_BYTE_LIMIT };
    }
    const body = await readCapped(decodedBody(response), FAVICON_BYTE_LIMIT);
    if (body.capped) return { ok: false, reason: 'too_large', limit: FAVICON_BYTE_LIMIT };
    const contentType = sniffImageType(body.bytes);
    if (!contentType) return { ok: false, reason: 'not_image' };
    return { ok: true, favicon: { url: url.href, bytes: body.bytes, contentType } };
  });
}
