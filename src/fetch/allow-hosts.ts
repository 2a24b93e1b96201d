/** A FETCH_ALLOW_HOSTS entry: the host as the URL parser writes it; a null port allows every port. */
export interface AllowedHost {
  host: string;
  port: number | null;
}

/** A name or IPv4 literal (no port separator, path, userinfo or space), or an IPv6 literal in brackets. */
const ENTRY = /^(\[[0-9a-f:.]+\]|[^\s[\]:/?#@\\%]+)(?::(\d{1,5}))?$/iu;

function parseEntry(entry: string): AllowedHost | null {
  const match = ENTRY.exec(entry);
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  try {
    // The URL parser's own normalisation (case, IDNA, 0x7f.1-style IPv4, IPv6 compression),
    // so an entry matches exactly the hosts that URLs parse to.
    return { host: new URL(`http://${match[1]}/`).hostname, port };
  } catch {
    return null;
  }
}

/** Parses the comma-separated list; `invalid` holds the entries that are neither host nor host:port. */
export function parseAllowHosts(value: string): { hosts: AllowedHost[]; invalid: string[] } {
  const hosts: AllowedHost[] = [];
  const invalid: string[] = [];
  if (value.trim() === '') return { hosts, invalid };
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    const parsed = parseEntry(entry);
    if (parsed) hosts.push(parsed);
    else invalid.push(entry);
  }
  return { hosts, invalid };
}

function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

export function isAllowedHost(url: URL, allowHosts: readonly AllowedHost[]): boolean {
  const port = effectivePort(url);
  return allowHosts.some((entry) => entry.host === url.hostname && (entry.port === null || entry.port === port));
}
