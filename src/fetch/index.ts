/**
 * The server-side page fetcher: the one way the app reaches a URL a user gave it.
 * Everything here goes through the SSRF guard in guard.ts.
 */
import type { Config } from '../config.js';
import { DEFAULT_USER_AGENT, type FetchOptions } from './request.js';

export { fetchPageMetadata, PAGE_BYTE_LIMIT } from './page.js';
export { fetchFavicon, FAVICON_BYTE_LIMIT, sniffImageType } from './favicon.js';
export { classifyAddress, type AddressVerdict } from './address.js';
export { checkTarget, dnsResolver, systemResolver, type Resolver, type CheckedTarget } from './guard.js';
export { parseAllowHosts, type AllowedHost } from './allow-hosts.js';
export { DEFAULT_TIMEOUT_MS, MAX_REDIRECTS, type FetchOptions } from './request.js';
export { describeFetchFailure } from './result.js';
export type { BlockedWhy, FetchFailure, FetchFailureReason, PageMetadata, PageResult, Favicon, FaviconContentType, FaviconResult } from './result.js';

/** Names the app and where it runs, so a site's operator can see who is asking. */
export function userAgentFor(appBaseUrl: URL): string {
  return `${DEFAULT_USER_AGENT} (+${appBaseUrl.origin})`;
}

/** The options every fetch in the app uses: the operator's allow-list (and whether only it counts) and the app's User-Agent. */
export function fetchOptionsFromConfig(config: Pick<Config, 'appBaseUrl' | 'fetchAllowHosts'> & Partial<Pick<Config, 'fetchSites'>>): FetchOptions {
  return { allowHosts: config.fetchAllowHosts, onlyAllowedHosts: config.fetchSites === 'allowed', userAgent: userAgentFor(config.appBaseUrl) };
}
