import { isIP } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { faviconIsFresh, storeFavicon } from '../favicons/favicons.js';
import { fetchFavicon, fetchOptionsFromConfig, fetchPageMetadata, type FetchFailure, type FetchOptions, type PageResult } from '../fetch/index.js';
import { isAllowedHost } from '../fetch/allow-hosts.js';

/** Failures that say something lasting about the site: worth remembering as "no icon" for a while. */
const SETTLED_FAILURES = new Set<FetchFailure['reason']>(['http_error', 'not_image', 'too_large', 'not_html', 'too_many_redirects']);

/**
 * What the app learns from the pages users save: the title and description for the
 * forms and the API, and the site's icon, fetched in the background and stored per
 * owner and host. Every fetch goes through the SSRF guard (src/fetch/); the callers
 * check the per-user fetch limit first.
 *
 * The icons being fetched are remembered in this process only to start each once;
 * another process fetching the same icon at the same time stores the same row.
 */
/**
 * FETCH_ALLOW_HOSTS opens the intranet to the intranet's own pages only: from a public
 * page, no icon link or redirect leads into an allowed host (its bytes would be kept and
 * served as the public site's icon, its title shown as the public page's).
 */
export function fetchOptionsForPage(url: URL, options: FetchOptions): FetchOptions {
  return isAllowedHost(url, options.allowHosts ?? []) ? options : { ...options, allowHosts: [] };
}

export class PageLookups {
  readonly #db: Db;
  readonly #options: FetchOptions;
  readonly #config: Pick<Config, 'fetchSites' | 'fetchAllowHosts' | 'fetchTimeouts'>;
  readonly #log: FastifyBaseLogger;
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(db: Db, config: Pick<Config, 'appBaseUrl' | 'fetchAllowHosts' | 'fetchSites' | 'fetchTimeouts'>, log: FastifyBaseLogger) {
    this.#db = db;
    this.#config = config;
    this.#options = fetchOptionsFromConfig(config);
    this.#log = log;
  }

  /**
   * Whether this address is worth a fetch at all: fetching is on, and the host could be a
   * site (a dotted name, an address, or an allowed intranet name), so a half-typed
   * "https://exa" costs nothing.
   */
  canFetch(url: URL): boolean {
    if (this.#config.fetchSites === 'none') return false;
    if (isAllowedHost(url, this.#config.fetchAllowHosts)) return true;
    if (this.#config.fetchSites === 'allowed') return false;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    return isIP(host) !== 0 || /^[^.]+(\.[^.]+)+\.?$/.test(host);
  }

  /** The page's title, description and icon address, within `timeoutMs`; its icon is then fetched in the background. */
  async describe(ownerSub: string, url: URL, timeoutMs: number): Promise<PageResult> {
    let result: PageResult;
    try {
      result = await fetchPageMetadata(url.href, { ...this.#optionsFor(url), timeoutMs });
    } catch (error) {
      // A bug in the fetcher is logged as one, but never costs the user the save or the form.
      this.#log.error({ err: error }, 'page lookup: the fetcher failed');
      return { ok: false, reason: 'network_error', code: 'FETCHER_FAILED' };
    }
    if (result.ok) this.keepFavicon(ownerSub, url, result.metadata.faviconUrl);
    else this.#log.info({ reason: result.reason }, 'page lookup failed');
    return result;
  }

  /** Whether this process is fetching the owner's icon for a host right now. */
  isFetchingFavicon(ownerSub: string, host: string): boolean {
    return this.#inFlight.has(`${ownerSub}\0${host}`);
  }

  /** Whether the owner's icon for this address's host is missing or old, so keepFavicon would fetch it. */
  async needsFavicon(ownerSub: string, url: URL): Promise<boolean> {
    return !this.#inFlight.has(`${ownerSub}\0${url.host}`) && !(await faviconIsFresh(this.#db, ownerSub, url.host));
  }

  /**
   * Fetches and stores the icon for the address's host in the background, unless it is
   * fresh or already on its way. Without the icon's address (a save that fetched no
   * page) the page is read first for its icon link.
   */
  keepFavicon(ownerSub: string, url: URL, faviconUrl?: string): void {
    const key = `${ownerSub}\0${url.host}`;
    if (this.#inFlight.has(key)) return;
    const work = this.#fetchFavicon(ownerSub, url, faviconUrl)
      .catch((error: unknown) => this.#log.error({ err: error }, 'favicon: fetching or storing failed'))
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, work);
  }

  #optionsFor(url: URL): FetchOptions {
    return fetchOptionsForPage(url, this.#options);
  }

  async #fetchFavicon(ownerSub: string, url: URL, faviconUrl?: string): Promise<void> {
    if (await faviconIsFresh(this.#db, ownerSub, url.host)) return;
    const timeoutMs = this.#config.fetchTimeouts.lookupMs;
    const options = { ...this.#optionsFor(url), timeoutMs };
    let iconUrl = faviconUrl;
    if (iconUrl === undefined) {
      const page = await fetchPageMetadata(url.href, options);
      // A page that cannot be read may still have the usual /favicon.ico.
      iconUrl = page.ok ? page.metadata.faviconUrl : new URL('/favicon.ico', url).href;
    }
    const icon = await fetchFavicon(iconUrl, options);
    if (icon.ok) await storeFavicon(this.#db, ownerSub, url.host, icon.favicon);
    else if (SETTLED_FAILURES.has(icon.reason)) await storeFavicon(this.#db, ownerSub, url.host, null);
    else this.#log.info({ reason: icon.reason }, 'favicon: not fetched');
  }

  /** Resolves once every background fetch started so far has ended: for shutdown, and for tests. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }
}
