/** Why a URL was refused before any connection to it: a bad scheme, userinfo, a non-public address, or a host not allowed (FETCH_SITES=allowed). */
export type BlockedWhy = 'scheme' | 'credentials' | 'address' | 'host';

/** Everything a user's URL (or the site behind it) can make go wrong, as a value. */
export type FetchFailure =
  | { ok: false; reason: 'invalid_url' }
  /** `url` is the hop refused (the input or a redirect target); `address`/`range` only for why = 'address'. */
  | { ok: false; reason: 'blocked'; why: BlockedWhy; url: string; address?: string; range?: string }
  | { ok: false; reason: 'too_many_redirects' }
  | { ok: false; reason: 'timeout' }
  | { ok: false; reason: 'too_large'; limit: number }
  | { ok: false; reason: 'not_html'; contentType: string | null }
  | { ok: false; reason: 'not_image' }
  | { ok: false; reason: 'http_error'; status: number }
  /** `code`: the system or protocol error code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, Z_DATA_ERROR …). */
  | { ok: false; reason: 'network_error'; code: string };

export type FetchFailureReason = FetchFailure['reason'];

export interface PageMetadata {
  /** The address the page was read from, after redirects. */
  url: string;
  title: string | null;
  description: string | null;
  /** Absolute http(s) URL: the page's icon link, else /favicon.ico on the final origin. Not fetched yet. */
  faviconUrl: string;
}

export type PageResult = { ok: true; metadata: PageMetadata } | FetchFailure;

export type FaviconContentType = 'image/png' | 'image/x-icon' | 'image/gif' | 'image/webp' | 'image/jpeg';

export interface Favicon {
  /** The address the icon was read from, after redirects. */
  url: string;
  bytes: Buffer;
  /** From the bytes' signature, never from the server's Content-Type. */
  contentType: FaviconContentType;
}

export type FaviconResult = { ok: true; favicon: Favicon } | FetchFailure;

const MESSAGES: Record<FetchFailureReason, string> = {
  invalid_url: 'That is not a valid web address.',
  blocked: 'That address cannot be fetched: only public http and https sites can.',
  too_many_redirects: 'The site redirected too many times.',
  timeout: 'The site took too long to answer.',
  too_large: 'The page is too large to read.',
  not_html: 'That address is not a web page.',
  not_image: 'That address is not an icon image.',
  http_error: 'The site answered with an error.',
  network_error: 'The site could not be reached.',
};

/** A sentence for the user; it names no address or range, so a refusal reveals nothing about the network. */
export function describeFetchFailure(result: FetchFailure): string {
  return result.reason === 'http_error' ? `The site answered with an error (HTTP ${result.status}).` : MESSAGES[result.reason];
}
