import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { DatabaseTarget } from './db/client.js';
import { DEFAULT_IMPORT_BUDGET, type ImportBudget } from './transfer/import-reader.js';
import { parseAllowHosts, type AllowedHost } from './fetch/allow-hosts.js';


export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
}

/** AUTH_MODE=proxy: an authenticating reverse proxy (Authelia, authentik, oauth2-proxy) says who the user is. */
export interface ProxyAuthSettings {
  /** Header names, lowercased as Node delivers them. */
  userHeader: string;
  emailHeader: string;
  nameHeader: string;
  /** What the proxy must send as X-Proxy-Secret. */
  secret: string;
  /** Where sign-out sends the browser (the proxy's own logout); null: the app offers no sign-out. */
  logoutUrl: URL | null;
}

export interface Config {
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  appBaseUrl: URL;
  /** The first key signs new cookies; the others are still accepted (rotation). */
  sessionKeys: Buffer[];
  /** DATABASE_URL (PostgreSQL) when set, else the SQLite file at DATABASE_PATH. */
  database: DatabaseTarget;
  /** null in development without AUTH0_DOMAIN: server.ts starts the embedded provider. Unused in proxy mode. */
  oidc: OidcSettings | null;
  /** Set with AUTH_MODE=proxy (then there is no OIDC, no session cookie and sessionKeys is empty). */
  proxyAuth?: ProxyAuthSettings;
  /** How long SIGTERM waits for in-flight requests before cutting their connections (server.ts only). */
  shutdownGraceSeconds: number;
  /** Worker processes `npm start` runs (node:cluster); development always runs one. */
  webConcurrency: number;
  /** Fastify's trustProxy: which proxies may set X-Forwarded-For (false: none, the socket is the client). */
  trustProxy: false | string[];
  /** DEFAULT_RATE_LIMITS; tests set their own. */
  rateLimits: RateLimits;
  /** DEFAULT_IMPORT_BUDGET; tests set their own. */
  importBudget: ImportBudget;
  /** FETCH_ALLOW_HOSTS: hosts the page fetcher may reach although they are not public (empty: none). */
  fetchAllowHosts: readonly AllowedHost[];
  /** FETCH_SITES: which sites the page fetcher reaches at all. */
  fetchSites: FetchSites;
  /** DEFAULT_FETCH_TIMEOUTS; tests set their own. */
  fetchTimeouts: FetchTimeouts;
}

/**
 * `public`: any public address, and the FETCH_ALLOW_HOSTS hosts; `allowed`: only those
 * hosts (an install without internet access: nothing else is even looked up in DNS);
 * `none`: the app never fetches a page (titles fall back to the host, no icons).
 */
export type FetchSites = 'public' | 'allowed' | 'none';
const FETCH_SITES: readonly FetchSites[] = ['public', 'allowed', 'none'];

export interface FetchTimeouts {
  /** Filling in the title as the user types an address, and fetching icons in the background. */
  lookupMs: number;
  /** Saving with an empty title waits this long for the page before it falls back to the host. */
  saveMs: number;
}

export const DEFAULT_FETCH_TIMEOUTS: FetchTimeouts = Object.freeze({ lookupMs: 5000, saveMs: 2500 });

export interface RateLimits {
  /** Requests to /auth/* per client IP per window: slows down callback and login abuse. */
  authPerIp: number;
  /** HTML writes (POST/PUT/DELETE outside /auth and /api) per signed-in user per window. */
  writesPerUser: number;
  /** JSON API requests per token per window. */
  apiPerToken: number;
  /** JSON API requests with a missing or bad token per client IP per window. */
  apiFailedAuthPerIp: number;
  /** Pages (with their icons) the app fetches for one user, from the forms and the API together, per window. */
  fetchesPerUser: number;
  windowMs: number;
}

/** Far above what a person clicks, and above what the e2e suite and the soak need per user or IP. */
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({
  authPerIp: 120,
  writesPerUser: 300,
  apiPerToken: 300,
  apiFailedAuthPerIp: 60,
  fetchesPerUser: 60,
  windowMs: 60_000,
});

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * A setting that was well-formed but did not work as the app started (a port in use, a provider
 * that does not answer): its message names the setting, and no stack trace is shown.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DEV_SESSION_KEY_FILE = 'data/dev-session-key';

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Accepts 64 hex characters or base64 of 32 bytes; never echoes the value. */
function parseSessionKey(name: string, value: string, problems: string[]): Buffer | undefined {
  const trimmed = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    problems.push(`${name} must be 32 bytes as 64 hex characters or base64 (generate one with: openssl rand -hex 32)`);
    return undefined;
  }
  return key;
}

function parseIssuer(value: string, problems: string[]): URL | undefined {
  const candidate = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    problems.push('AUTH0_DOMAIN must be a host such as my-tenant.us.auth0.com or an issuer URL');
    return undefined;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    problems.push('AUTH0_DOMAIN may use http:// only for a loopback host (127.0.0.1, localhost)');
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push('AUTH0_DOMAIN must be an https URL');
    return undefined;
  }
  return url;
}

/** proxy-addr's named ranges, as fastify's trustProxy accepts them. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** Every IPv4 client, as a dual-stack socket writes it (::ffff:192.0.2.7). */
const IPV4_MAPPED = ipaddr.IPv6.parse('::ffff:0.0.0.0');

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return false;
  // A range of every address, or of every IPv4 one, trusts any client's own X-Forwarded-For, as true would.
  const bits = Number(prefix);
  return bits > 0 && !(family === 6 && bits <= 96 && IPV4_MAPPED.match(ipaddr.IPv6.parse(address), bits));
}

/**
 * false, or the proxies' addresses and CIDR ranges. Not true: trusting every hop makes
 * the client's own left-most X-Forwarded-For entry its address (proxies append to the
 * header), so anyone could pick one and dodge the per-IP limits. No hop count either:
 * Fastify 5.12 ignores one, since it cannot tell who sent the header.
 */
function parseTrustProxy(value: string, problems: string[]): false | string[] | undefined {
  const text = value.trim().toLowerCase();
  if (text === 'false') return false;
  const entries = text.split(',').map((entry) => entry.trim());
  if (text !== 'true' && entries.every(isProxyAddress)) return entries;
  problems.push(
    'TRUST_PROXY must be false or a comma-separated list of the proxies\' addresses or CIDR ranges (e.g. 10.0.0.0/8,127.0.0.1, or loopback); ' +
      'true, hop counts and ranges of every address (0.0.0.0/0, ::/0, ::ffff:0:0/96) are refused because they let a client choose its own address',
  );
  return undefined;
}

/**
 * DATABASE_URL as a URL, and its user name. node-postgres also takes a user name without a host,
 * the socket's folder in ?host= ('postgres://me@/bookmarks?host=/run/postgresql'), which WHATWG URL
 * refuses: that one is read without its user name. Throws what `new URL` throws.
 */
export function readPostgresUrl(value: string): { url: URL; username: string } {
  const userWithoutHost = /^(postgres(?:ql)?:\/\/)([^/?#@]*)@(?=[/?#]|$)/i.exec(value);
  if (!userWithoutHost) {
    const url = new URL(value);
    return { url, username: url.username };
  }
  return { url: new URL(userWithoutHost[1]! + value.slice(userWithoutHost[0].length)), username: userWithoutHost[2]!.split(':')[0]! };
}

/**
 * A postgres:// or postgresql:// URL. Problems name the variable and never repeat
 * the URL, which usually holds a password.
 */
function parseDatabaseUrl(value: string, problems: string[]): string | undefined {
  let url: URL;
  try {
    ({ url } = readPostgresUrl(value));
  } catch {
    problems.push('DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/bookmarks');
    return undefined;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    problems.push('DATABASE_URL must start with postgres:// or postgresql:// (leave it unset to use SQLite at DATABASE_PATH)');
    return undefined;
  }
  if (!url.hostname && !url.searchParams.has('host')) {
    problems.push('DATABASE_URL must name the server host, as in postgres://user:password@host:5432/bookmarks');
    return undefined;
  }
  return value;
}

/** DATABASE_URL (PostgreSQL) when set, else the SQLite file at DATABASE_PATH. */
function databaseFrom(env: NodeJS.ProcessEnv, problems: string[]): DatabaseTarget {
  const url = (env.DATABASE_URL ?? '').trim();
  if (url) {
    const checked = parseDatabaseUrl(url, problems);
    if (checked) return { engine: 'postgres', url: checked };
  }
  const path = (env.DATABASE_PATH ?? '').trim();
  return { engine: 'sqlite', path: path || 'data/bookmarks.db' };
}

/** Only the database settings, for the database commands (npm run db:migrate, db:copy), which need nothing else. */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const problems: string[] = [];
  const database = databaseFrom(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return database;
}

/**
 * npm run db:copy: from the SQLite file at DATABASE_PATH into the database DATABASE_URL
 * names, unless --from or --to (a file path or a postgres:// URL) say otherwise.
 */
export function loadCopyConfig(options: { from?: string; to?: string }, env: NodeJS.ProcessEnv = process.env): { from: DatabaseTarget; to: DatabaseTarget } {
  const problems: string[] = [];
  const target = (value: string): DatabaseTarget =>
    /^postgres(ql)?:\/\//i.test(value) ? databaseFrom({ DATABASE_URL: value }, problems) : { engine: 'sqlite', path: value };
  const from = options.from ? target(options.from) : databaseFrom({ DATABASE_PATH: env.DATABASE_PATH }, problems);
  const to = options.to ? target(options.to) : databaseFrom(env, problems);
  if (problems.length === 0 && JSON.stringify(from) === JSON.stringify(to)) {
    problems.push('db:copy needs two different databases: set DATABASE_URL to the PostgreSQL target (the source is DATABASE_PATH), or pass --from and --to');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { from, to };
}

function parseFetchAllowHosts(value: string, problems: string[]): readonly AllowedHost[] {
  const { hosts, invalid } = parseAllowHosts(value);
  if (invalid.length > 0) {
    problems.push(
      `FETCH_ALLOW_HOSTS must be a comma-separated list of host or host:port entries (IPv6 in brackets, e.g. wiki.corp,10.0.0.5:8080,[fd00::5]); not: ${invalid.map((entry) => JSON.stringify(entry)).join(', ')}`,
    );
  }
  return Object.freeze(hosts.map((host) => Object.freeze(host)));
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
export const PROXY_SECRET_MIN_LENGTH = 32;

function parseHeaderName(name: string, value: string | undefined, fallback: string, problems: string[]): string {
  const text = (value ?? '').trim() || fallback;
  if (HEADER_NAME.test(text)) return text.toLowerCase();
  problems.push(`${name} must be an HTTP header name such as ${fallback}`);
  return fallback.toLowerCase();
}

/**
 * AUTH_MODE=proxy: the secret the proxy proves itself with, and TRUST_PROXY naming where it
 * connects from, are both required; without either, anyone who reaches the port could claim
 * to be anyone. Never echoes the secret.
 */
function parseProxyAuth(env: NodeJS.ProcessEnv, trustProxy: false | string[] | undefined, problems: string[]): ProxyAuthSettings | undefined {
  const userHeader = parseHeaderName('AUTH_PROXY_USER_HEADER', env.AUTH_PROXY_USER_HEADER, 'Remote-User', problems);
  const emailHeader = parseHeaderName('AUTH_PROXY_EMAIL_HEADER', env.AUTH_PROXY_EMAIL_HEADER, 'Remote-Email', problems);
  const nameHeader = parseHeaderName('AUTH_PROXY_NAME_HEADER', env.AUTH_PROXY_NAME_HEADER, 'Remote-Name', problems);
  const names = [userHeader, emailHeader, nameHeader, 'x-proxy-secret'];
  if (new Set(names).size < names.length) {
    problems.push('AUTH_PROXY_USER_HEADER, AUTH_PROXY_EMAIL_HEADER, AUTH_PROXY_NAME_HEADER and X-Proxy-Secret must be four different headers');
  }

  const secret = (env.AUTH_PROXY_SECRET ?? '').trim();
  if (secret === '') {
    problems.push(
      'AUTH_PROXY_SECRET is required with AUTH_MODE=proxy: the proxy must send it as X-Proxy-Secret, so that a request that did not come through the proxy cannot claim a user (generate one with: openssl rand -hex 32)',
    );
  } else if (secret.length < PROXY_SECRET_MIN_LENGTH || !/^[\x21-\x7e]+$/.test(secret)) {
    problems.push(`AUTH_PROXY_SECRET must be at least ${PROXY_SECRET_MIN_LENGTH} printable ASCII characters without spaces (generate one with: openssl rand -hex 32)`);
  }

  if (trustProxy === false) {
    problems.push(
      "TRUST_PROXY must list the authenticating proxy's address or CIDR range (e.g. 127.0.0.1, or 172.18.0.0/16 for a Docker network) with AUTH_MODE=proxy: identity headers are believed only from there",
    );
  }

  let logoutUrl: URL | null = null;
  const logout = (env.AUTH_PROXY_LOGOUT_URL ?? '').trim();
  if (logout !== '') {
    try {
      logoutUrl = new URL(logout);
    } catch {
      // Reported below.
    }
    if (!logoutUrl || (logoutUrl.protocol !== 'https:' && logoutUrl.protocol !== 'http:')) {
      problems.push("AUTH_PROXY_LOGOUT_URL must be an http(s) URL such as https://auth.example.com/logout (the proxy's sign-out page)");
      logoutUrl = null;
    }
  }
  return { userHeader, emailHeader, nameHeader, secret, logoutUrl };
}

/** A damaged or truncated key file is replaced: it only costs development sessions, never a crash at startup. */
function readOrCreateDevSessionKey(path: string): Buffer {
  const stored = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
  if (/^[0-9a-fA-F]{64}$/.test(stored)) return Buffer.from(stored, 'hex');
  const key = randomBytes(32);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, key.toString('hex'), { mode: 0o600 });
  return key;
}

/** The most worker processes npm start runs; unset, WEB_CONCURRENCY is the number of cores up to this. */
const MAX_WORKERS = 256;

export interface LoadConfigOptions {
  /** Where development keeps its generated session key (tests point it at a temp folder). */
  devSessionKeyFile?: string;
}

/** Reads the environment once into a typed, frozen Config, or throws one ConfigError naming every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const blank = (name: string): boolean => (env[name] ?? '').trim() === '';

  const port = blank('PORT') ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('PORT must be a whole number from 0 to 65535');

  const shutdownGraceSeconds = blank('SHUTDOWN_GRACE_SECONDS') ? 10 : Number(env.SHUTDOWN_GRACE_SECONDS);
  if (!(shutdownGraceSeconds > 0 && shutdownGraceSeconds <= 3600)) problems.push('SHUTDOWN_GRACE_SECONDS must be a number of seconds above 0 and at most 3600');

  const webConcurrency = blank('WEB_CONCURRENCY') ? Math.min(availableParallelism(), MAX_WORKERS) : Number(env.WEB_CONCURRENCY);
  if (!Number.isInteger(webConcurrency) || webConcurrency < 1 || webConcurrency > MAX_WORKERS) {
    problems.push(`WEB_CONCURRENCY must be a whole number of worker processes from 1 to ${MAX_WORKERS}`);
  }

  const logLevel = blank('LOG_LEVEL') ? 'info' : env.LOG_LEVEL!.trim();
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  let appBaseUrl: URL | undefined;
  if (blank('APP_BASE_URL')) {
    if (production) problems.push('APP_BASE_URL is required (e.g. https://bookmarks.example.com)');
    else appBaseUrl = new URL(`http://localhost:${Number.isInteger(port) ? port : 3000}`);
  } else {
    let url: URL | undefined;
    try {
      url = new URL(env.APP_BASE_URL!.trim());
    } catch {
      // Reported below.
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push('APP_BASE_URL must be an http(s) URL such as https://bookmarks.example.com');
    } else if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
      // Routes are absolute ('/auth/callback'), so a sub-path would break the callback rather than be honoured.
      problems.push(
        'APP_BASE_URL must be an origin only, such as https://bookmarks.example.com, with no path, query, hash or credentials: the app serves from / and its sign-in callback is APP_BASE_URL/auth/callback',
      );
    } else {
      appBaseUrl = new URL(url.origin);
    }
  }

  const authMode = blank('AUTH_MODE') ? 'oidc' : env.AUTH_MODE!.trim().toLowerCase();
  if (authMode !== 'oidc' && authMode !== 'proxy') problems.push('AUTH_MODE must be oidc (the default) or proxy');
  const trustProxy = blank('TRUST_PROXY') ? false : parseTrustProxy(env.TRUST_PROXY!, problems);

  // Proxy mode needs neither a provider nor a session cookie: the proxy vouches for every request.
  const proxyAuth = authMode === 'proxy' ? parseProxyAuth(env, trustProxy, problems) : undefined;
  const sessionKeys: Buffer[] = [];
  let oidc: OidcSettings | null = null;
  if (authMode === 'oidc') {
    // Browsers refuse Secure and __Host- cookies over http: off loopback, the session would travel in clear.
    if (production && appBaseUrl?.protocol === 'http:' && !isLoopbackHost(appBaseUrl.hostname)) {
      problems.push('APP_BASE_URL must be https:// in production (serve the app behind a proxy that terminates TLS); http:// is for loopback only (127.0.0.1, localhost, [::1])');
    }
    if (blank('SESSION_SECRET')) {
      if (production) problems.push('SESSION_SECRET is required (generate one with: openssl rand -hex 32)');
      else sessionKeys.push(readOrCreateDevSessionKey(options.devSessionKeyFile ?? DEV_SESSION_KEY_FILE));
    } else {
      const key = parseSessionKey('SESSION_SECRET', env.SESSION_SECRET!, problems);
      if (key) sessionKeys.push(key);
    }
    if (!blank('SESSION_SECRET_PREVIOUS')) {
      const key = parseSessionKey('SESSION_SECRET_PREVIOUS', env.SESSION_SECRET_PREVIOUS!, problems);
      if (key) sessionKeys.push(key);
    }

    const auth0Names = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET'];
    if (production || auth0Names.some((name) => !blank(name))) {
      for (const name of auth0Names) if (blank(name)) problems.push(`${name} is required`);
      const issuer = blank('AUTH0_DOMAIN') ? undefined : parseIssuer(env.AUTH0_DOMAIN!.trim(), problems);
      if (issuer && !blank('AUTH0_CLIENT_ID') && !blank('AUTH0_CLIENT_SECRET')) {
        oidc = { issuer, clientId: env.AUTH0_CLIENT_ID!.trim(), clientSecret: env.AUTH0_CLIENT_SECRET!.trim() };
      }
    }
  }

  const fetchAllowHosts = parseFetchAllowHosts(env.FETCH_ALLOW_HOSTS ?? '', problems);
  const fetchSites = (blank('FETCH_SITES') ? 'public' : env.FETCH_SITES!.trim().toLowerCase()) as FetchSites;
  if (!FETCH_SITES.includes(fetchSites)) problems.push('FETCH_SITES must be public (the default), allowed (only FETCH_ALLOW_HOSTS) or none (never fetch pages)');
  const database = databaseFrom(env, problems);

  if (problems.length > 0 || !appBaseUrl || trustProxy === undefined) throw new ConfigError(problems);
  return Object.freeze({
    production,
    host: blank('HOST') ? (production ? '0.0.0.0' : '127.0.0.1') : env.HOST!.trim(),
    port,
    logLevel,
    shutdownGraceSeconds,
    webConcurrency,
    appBaseUrl,
    sessionKeys,
    database,
    oidc,
    trustProxy,
    rateLimits: DEFAULT_RATE_LIMITS,
    importBudget: DEFAULT_IMPORT_BUDGET,
    fetchAllowHosts,
    fetchSites,
    fetchTimeouts: DEFAULT_FETCH_TIMEOUTS,
    ...(proxyAuth ? { proxyAuth } : {}),
  });
}

/** Loads .env into process.env when present; real environment variables win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
