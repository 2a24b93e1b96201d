import { lookup, Resolver as DnsResolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress } from './address.js';
import { isAllowedHost, type AllowedHost } from './allow-hosts.js';
import type { FetchFailure } from './result.js';

/** Answers every address a host name has. Injectable so tests can answer differently on each call (rebinding). */
export type Resolver = (hostname: string, signal: AbortSignal) => Promise<readonly string[]>;

/** getaddrinfo, as the http module itself would use: /etc/hosts, then DNS. For the operator's FETCH_ALLOW_HOSTS only. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((answer) => answer.address);

/**
 * DNS for every other name: queries in this thread (c-ares), cancelled when the fetch's deadline
 * passes. getaddrinfo cannot be cancelled, and holds one of libuv's four threads until the system
 * gives up on a silent name server: a user saving pages under such a domain filled them, and
 * every lookup of the process (other users' fetches, the database's, sign-in's) waited.
 * `servers`: the system's unless given (tests).
 */
export function dnsResolver(servers?: readonly string[]): Resolver {
  return async (hostname, signal) => {
    const resolver = new DnsResolver({ timeout: 2000, tries: 2 });
    if (servers) resolver.setServers(servers);
    const cancel = (): void => resolver.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const answers = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
      const addresses = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
      // A name with addresses of one family only fails the other's query (ENODATA): that is no failure.
      const failed = answers.find((answer) => answer.status === 'rejected');
      if (addresses.length === 0) throw failed ? failed.reason : Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
      return addresses;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  };
}

const publicResolver = dnsResolver();

export interface GuardOptions {
  allowHosts?: readonly AllowedHost[];
  /** Only the allowHosts hosts, nothing public (FETCH_SITES=allowed): others are refused before any DNS lookup. */
  onlyAllowedHosts?: boolean;
  resolver?: Resolver;
}

/** A hop the fetcher may make: connect only to `addresses`, every one of which was checked. */
export interface CheckedTarget {
  ok: true;
  url: URL;
  addresses: readonly string[];
}

/** Rejects as soon as the signal fires, even if the resolver ignores it (getaddrinfo cannot be cancelled). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Decides whether one hop may be made, and to which addresses. The name is resolved here,
 * once; the caller connects to these addresses and never resolves again, so a rebinding
 * DNS answer cannot slip in between the check and the connection. A host listed in
 * FETCH_ALLOW_HOSTS skips only the public-address rule.
 */
export async function checkTarget(url: URL, options: GuardOptions, signal: AbortSignal): Promise<CheckedTarget | FetchFailure> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'blocked', why: 'scheme', url: url.href };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'blocked', why: 'credentials', url: url.href };
  const allowed = isAllowedHost(url, options.allowHosts ?? []);
  if (options.onlyAllowedHosts && !allowed) return { ok: false, reason: 'blocked', why: 'host', url: url.href };

  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: readonly string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await raceAbort((options.resolver ?? (allowed ? systemResolver : publicResolver))(host, signal), signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      return { ok: false, reason: 'network_error', code: typeof code === 'string' ? code : 'ENOTFOUND' };
    }
    if (addresses.length === 0) return { ok: false, reason: 'network_error', code: 'ENOTFOUND' };
  }

  if (!allowed) {
    // Every answer, not just the first: the connection may fall back to any of them.
    for (const address of addresses) {
      const verdict = classifyAddress(address);
      if (!verdict.public) return { ok: false, reason: 'blocked', why: 'address', url: url.href, address, range: verdict.range };
    }
  } else if (addresses.some((address) => isIP(address) === 0)) {
    return { ok: false, reason: 'blocked', why: 'address', url: url.href, range: 'invalid' };
  }
  return { ok: true, url, addresses };
}
