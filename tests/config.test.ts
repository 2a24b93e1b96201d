import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.js';

// The cores a test says the machine has (WEB_CONCURRENCY's default), else the real count.
const machine = vi.hoisted(() => ({ cores: null as number | null }));
vi.mock('node:os', async (original) => {
  const os = await original<typeof import('node:os')>();
  return { ...os, availableParallelism: () => machine.cores ?? os.availableParallelism() };
});
import { describeDatabase } from '../src/db/client.js';
import type { LocalProvider } from '../src/dev/oidc-provider.js';
import { buildTestApp, startTestProvider } from './helpers.js';

const HEX_KEY = 'a'.repeat(64);
const production = {
  NODE_ENV: 'production',
  AUTH0_DOMAIN: 'my-tenant.us.auth0.com',
  AUTH0_CLIENT_ID: 'client',
  AUTH0_CLIENT_SECRET: 'super-secret-value',
  APP_BASE_URL: 'https://bookmarks.example.com',
  SESSION_SECRET: HEX_KEY,
};

const PROXY_SECRET = 'p'.repeat(40);
const proxyProduction = {
  NODE_ENV: 'production',
  AUTH_MODE: 'proxy',
  AUTH_PROXY_SECRET: PROXY_SECRET,
  AUTH_PROXY_LOGOUT_URL: 'https://auth.example.com/logout?rd=https://bookmarks.example.com/',
  TRUST_PROXY: '172.18.0.0/16',
  APP_BASE_URL: 'https://bookmarks.example.com',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads a complete production environment into a typed, frozen config', () => {
    const config = loadConfig(production);
    expect(config.production).toBe(true);
    expect(config.oidc?.issuer.href).toBe('https://my-tenant.us.auth0.com/');
    expect(config.appBaseUrl.origin).toBe('https://bookmarks.example.com');
    expect(config.sessionKeys[0]).toHaveLength(32);
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ engine: 'sqlite', path: 'data/bookmarks.db' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every missing variable in one error in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    for (const name of ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET', 'APP_BASE_URL', 'SESSION_SECRET']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('never prints a secret in its message', () => {
    try {
      loadConfig({ ...production, SESSION_SECRET: 'tooshort-secret-value', PORT: 'abc' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('tooshort-secret-value');
      expect((error as Error).message).toContain('SESSION_SECRET');
      expect((error as Error).message).toContain('PORT');
    }
  });

  it.each([
    [{ AUTH0_DOMAIN: 'http://tenant.example.com' }, 'AUTH0_DOMAIN'],
    [{ AUTH0_DOMAIN: 'ftp://tenant.example.com' }, 'AUTH0_DOMAIN'],
    [{ APP_BASE_URL: 'not a url' }, 'APP_BASE_URL'],
    [{ APP_BASE_URL: 'javascript:alert(1)' }, 'APP_BASE_URL'],
    [{ SESSION_SECRET: 'abc' }, 'SESSION_SECRET'],
    [{ SESSION_SECRET_PREVIOUS: 'abc' }, 'SESSION_SECRET_PREVIOUS'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ APP_BASE_URL: 'https://bookmarks.example.com/bookmarks' }, 'APP_BASE_URL'],
    [{ APP_BASE_URL: 'https://bookmarks.example.com/?x=1' }, 'APP_BASE_URL'],
    [{ APP_BASE_URL: 'https://bookmarks.example.com/#top' }, 'APP_BASE_URL'],
    [{ APP_BASE_URL: 'https://user:pass@bookmarks.example.com' }, 'APP_BASE_URL'],
  ])('refuses %j', (overrides, name) => {
    expect(problemsOf({ ...production, ...overrides }).some((p) => p.startsWith(name))).toBe(true);
  });

  it('accepts http only for a loopback issuer, and base64 keys', () => {
    const config = loadConfig({ ...production, AUTH0_DOMAIN: 'http://127.0.0.1:4000', SESSION_SECRET: Buffer.alloc(32, 7).toString('base64') });
    expect(config.oidc?.issuer.origin).toBe('http://127.0.0.1:4000');
    expect(config.sessionKeys[0]).toEqual(Buffer.alloc(32, 7));
  });

  it('keeps the previous session key for rotation, after the current one', () => {
    const config = loadConfig({ ...production, SESSION_SECRET_PREVIOUS: 'b'.repeat(64) });
    expect(config.sessionKeys.map((k) => k.toString('hex'))).toEqual([HEX_KEY, 'b'.repeat(64)]);
  });

  it('in development needs nothing: no Auth0 means the embedded provider', () => {
    const config = loadConfig({ SESSION_SECRET: HEX_KEY });
    expect(config.production).toBe(false);
    expect(config.oidc).toBeNull();
    expect(config.appBaseUrl.href).toBe('http://localhost:3000/');
    expect(config.host).toBe('127.0.0.1');
  });

  it('in development, a partial Auth0 setup is an error rather than a silent fallback', () => {
    expect(problemsOf({ SESSION_SECRET: HEX_KEY, AUTH0_DOMAIN: 'x.auth0.com' })).toEqual([
      'AUTH0_CLIENT_ID is required',
      'AUTH0_CLIENT_SECRET is required',
    ]);
  });

  it('says why an APP_BASE_URL with a path is refused', () => {
    expect(problemsOf({ ...production, APP_BASE_URL: 'https://x.example/bookmarks' })).toEqual([
      'APP_BASE_URL must be an origin only, such as https://bookmarks.example.com, with no path, query, hash or credentials: the app serves from / and its sign-in callback is APP_BASE_URL/auth/callback',
    ]);
  });

  it('leaves WEB_CONCURRENCY unset as one worker per core up to 256, as .env.example says (on 384 cores it refused to start)', () => {
    machine.cores = 384;
    try {
      expect(loadConfig(production).webConcurrency).toBe(256);
      expect(problemsOf({ ...production, WEB_CONCURRENCY: '384' })).toEqual(['WEB_CONCURRENCY must be a whole number of worker processes from 1 to 256']);
    } finally {
      machine.cores = null;
    }
  });

  it('refuses a plain http APP_BASE_URL off loopback in production, where the session cookie would go out without Secure', () => {
    for (const url of ['http://bookmarks.example.com', 'http://192.168.1.20:3000', 'http://[2001:db8::1]']) {
      expect(problemsOf({ ...production, APP_BASE_URL: url })).toEqual([
        'APP_BASE_URL must be https:// in production (serve the app behind a proxy that terminates TLS); http:// is for loopback only (127.0.0.1, localhost, [::1])',
      ]);
    }
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) expect(problemsOf({ ...production, APP_BASE_URL: url })).toEqual([]);
    // Development serves any address over http; proxy mode sets no cookie at all.
    expect(problemsOf({ SESSION_SECRET: HEX_KEY, APP_BASE_URL: 'http://192.168.1.20:3000' })).toEqual([]);
  });

  it.each(['https://x.example', 'https://x.example/', 'http://127.0.0.1:3000/', 'https://x.example:8443'])('accepts the origin %j', (url) => {
    expect(loadConfig({ ...production, APP_BASE_URL: url }).appBaseUrl.href).toBe(new URL(url).origin + '/');
  });
});

describe('.env.example', () => {
  it('documents exactly the variables loadConfig reads', () => {
    const read = new Set<string>();
    const recording = (values: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
      new Proxy(values, {
        get(target, name) {
          if (typeof name === 'string') read.add(name);
          return target[name as string];
        },
      });
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-config-'));
    try {
      loadConfig(recording({ ...production, SESSION_SECRET_PREVIOUS: HEX_KEY, TRUST_PROXY: '127.0.0.1', PORT: '3000', HOST: '::', LOG_LEVEL: 'info', DATABASE_PATH: 'x.db', DATABASE_URL: 'postgres://bookmarks@db.example/bookmarks', SHUTDOWN_GRACE_SECONDS: '5' }));
      loadConfig(recording({}), { devSessionKeyFile: join(dir, 'key') });
      loadConfig(recording({ ...proxyProduction, AUTH_PROXY_USER_HEADER: 'X-Auth-Request-User', AUTH_PROXY_EMAIL_HEADER: 'X-Auth-Request-Email', AUTH_PROXY_NAME_HEADER: 'X-Auth-Request-Preferred-Username' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
    expect([...documented].sort()).toEqual([...read].sort());
  });
});

describe('DATABASE_URL', () => {
  const PASSWORD = 'hunter2-secret';

  it.each([
    [`postgres://bookmarks:${PASSWORD}@db.example:5432/bookmarks`],
    [`postgresql://bookmarks:${PASSWORD}@db.example/bookmarks`],
    ['postgres://bookmarks@10.0.0.5/bookmarks?sslmode=require'],
    ['postgres://bookmarks@[::1]:5433/bookmarks'],
    ['postgres:///bookmarks?host=/var/run/postgresql'],
    // A user name and a socket, as the README suggests for a server on the same machine: node-postgres takes it, WHATWG URL does not.
    ['postgres://bookmarks@/bookmarks?host=/var/run/postgresql'],
    [`postgres://bookmarks:${PASSWORD}@/bookmarks?host=/tmp/pgsock&port=55432`],
  ])('selects PostgreSQL for %j, over DATABASE_PATH', (url) => {
    expect(loadConfig({ ...production, DATABASE_PATH: 'x.db', DATABASE_URL: url }).database).toEqual({ engine: 'postgres', url });
  });

  it('names the database in messages without its password, a socket’s folder included', () => {
    expect(describeDatabase({ engine: 'postgres', url: `postgres://bookmarks:${PASSWORD}@db.example:5432/bookmarks?password=${PASSWORD}` })).toBe(
      'PostgreSQL at postgres://bookmarks@db.example:5432/bookmarks',
    );
    expect(describeDatabase({ engine: 'postgres', url: `postgres://bookmarks:${PASSWORD}@/bookmarks?host=/tmp/pgsock&port=55432` })).toBe(
      'PostgreSQL at postgres://bookmarks@/bookmarks (socket in /tmp/pgsock)',
    );
    expect(describeDatabase({ engine: 'postgres', url: 'postgres:///bookmarks?host=/var/run/postgresql' })).toBe('PostgreSQL at postgres:///bookmarks (socket in /var/run/postgresql)');
  });

  it('trims the URL, and leaves SQLite at DATABASE_PATH when it is unset or blank', () => {
    const url = `postgres://bookmarks:${PASSWORD}@db.example/bookmarks`;
    expect(loadConfig({ ...production, DATABASE_URL: ` ${url}\n` }).database).toEqual({ engine: 'postgres', url });
    for (const blank of [undefined, '', '   ']) {
      expect(loadConfig({ ...production, DATABASE_PATH: ' data/x.db ', DATABASE_URL: blank }).database).toEqual({ engine: 'sqlite', path: 'data/x.db' });
    }
  });

  it.each([
    // Malformed: not a URL at all, or no server to reach.
    [`//bookmarks:${PASSWORD}@db.example/bookmarks`],
    [`postgres://bookmarks:${PASSWORD}@/bookmarks`],
    [`postgres://bookmarks:${PASSWORD}@db example/bookmarks`],
    [`postgres://bookmarks:${PASSWORD}@db.example:99999/bookmarks`],
    [`postgres://bookmarks:${PASSWORD}@[::1/bookmarks`],
    [`postgres:bookmarks:${PASSWORD}@db.example`],
    [`postgres://bookmarks:${PASSWORD}@:5432/bookmarks`],
    // Another scheme.
    [`mysql://bookmarks:${PASSWORD}@db.example/bookmarks`],
    [`http://bookmarks:${PASSWORD}@db.example/bookmarks`],
    [`sqlite:data/bookmarks.db`],
    [`bookmarks:${PASSWORD}@db.example/bookmarks`],
  ])('refuses %j, naming DATABASE_URL without repeating it', (url) => {
    let error: unknown;
    try {
      loadConfig({ ...production, DATABASE_URL: url });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL must /);
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain(url);
  });
});

describe('AUTH_MODE=proxy', () => {
  it('needs no Auth0 settings and no session key, and reads the proxy settings with their defaults', () => {
    const config = loadConfig(proxyProduction);
    expect(config.oidc).toBeNull();
    expect(config.sessionKeys).toEqual([]);
    expect(config.trustProxy).toEqual(['172.18.0.0/16']);
    expect(config.proxyAuth).toEqual({
      userHeader: 'remote-user',
      emailHeader: 'remote-email',
      nameHeader: 'remote-name',
      secret: PROXY_SECRET,
      logoutUrl: new URL(proxyProduction.AUTH_PROXY_LOGOUT_URL),
    });
    expect(loadConfig(production).proxyAuth).toBeUndefined();
    expect(loadConfig({ ...production, AUTH_MODE: ' OIDC ' }).proxyAuth).toBeUndefined();
  });

  it('takes other header names (oauth2-proxy), case-insensitively, and no logout URL', () => {
    const { AUTH_PROXY_LOGOUT_URL: _unset, ...withoutLogout } = proxyProduction;
    const config = loadConfig({ ...withoutLogout, AUTH_PROXY_USER_HEADER: 'X-Auth-Request-User', AUTH_PROXY_EMAIL_HEADER: 'x-auth-request-email', AUTH_PROXY_NAME_HEADER: ' X-Auth-Request-Preferred-Username ' });
    expect(config.proxyAuth).toMatchObject({ userHeader: 'x-auth-request-user', emailHeader: 'x-auth-request-email', nameHeader: 'x-auth-request-preferred-username', logoutUrl: null });
  });

  it('in development starts no provider and writes no session key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-config-'));
    try {
      const keyFile = join(dir, 'dev-session-key');
      const config = loadConfig({ AUTH_MODE: 'proxy', AUTH_PROXY_SECRET: PROXY_SECRET, TRUST_PROXY: 'loopback' }, { devSessionKeyFile: keyFile });
      expect(config.production).toBe(false);
      expect(config.oidc).toBeNull();
      expect(config.proxyAuth?.secret).toBe(PROXY_SECRET);
      expect(existsSync(keyFile)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts a secret of exactly 32 characters', () => {
    expect(loadConfig({ ...proxyProduction, AUTH_PROXY_SECRET: 'x'.repeat(32) }).proxyAuth?.secret).toBe('x'.repeat(32));
  });

  it.each([
    [{ AUTH_PROXY_SECRET: undefined }, 'AUTH_PROXY_SECRET is required with AUTH_MODE=proxy: the proxy must send it as X-Proxy-Secret, so that a request that did not come through the proxy cannot claim a user (generate one with: openssl rand -hex 32)'],
    [{ AUTH_PROXY_SECRET: '   ' }, 'AUTH_PROXY_SECRET is required with AUTH_MODE=proxy: the proxy must send it as X-Proxy-Secret, so that a request that did not come through the proxy cannot claim a user (generate one with: openssl rand -hex 32)'],
    [{ AUTH_PROXY_SECRET: 'x'.repeat(31) }, 'AUTH_PROXY_SECRET must be at least 32 printable ASCII characters without spaces (generate one with: openssl rand -hex 32)'],
    [{ AUTH_PROXY_SECRET: `${'x'.repeat(20)} ${'y'.repeat(20)}` }, 'AUTH_PROXY_SECRET must be at least 32 printable ASCII characters without spaces (generate one with: openssl rand -hex 32)'],
    [{ AUTH_PROXY_SECRET: `${'é'.repeat(40)}` }, 'AUTH_PROXY_SECRET must be at least 32 printable ASCII characters without spaces (generate one with: openssl rand -hex 32)'],
    [{ TRUST_PROXY: undefined }, "TRUST_PROXY must list the authenticating proxy's address or CIDR range (e.g. 127.0.0.1, or 172.18.0.0/16 for a Docker network) with AUTH_MODE=proxy: identity headers are believed only from there"],
    [{ TRUST_PROXY: 'false' }, "TRUST_PROXY must list the authenticating proxy's address or CIDR range (e.g. 127.0.0.1, or 172.18.0.0/16 for a Docker network) with AUTH_MODE=proxy: identity headers are believed only from there"],
    [{ AUTH_PROXY_LOGOUT_URL: 'javascript:alert(1)' }, "AUTH_PROXY_LOGOUT_URL must be an http(s) URL such as https://auth.example.com/logout (the proxy's sign-out page)"],
    [{ AUTH_PROXY_LOGOUT_URL: '/logout' }, "AUTH_PROXY_LOGOUT_URL must be an http(s) URL such as https://auth.example.com/logout (the proxy's sign-out page)"],
    [{ AUTH_PROXY_USER_HEADER: 'Remote User' }, 'AUTH_PROXY_USER_HEADER must be an HTTP header name such as Remote-User'],
    [{ AUTH_PROXY_NAME_HEADER: 'Remote-User' }, 'AUTH_PROXY_USER_HEADER, AUTH_PROXY_EMAIL_HEADER, AUTH_PROXY_NAME_HEADER and X-Proxy-Secret must be four different headers'],
    [{ AUTH_PROXY_USER_HEADER: 'x-proxy-secret' }, 'AUTH_PROXY_USER_HEADER, AUTH_PROXY_EMAIL_HEADER, AUTH_PROXY_NAME_HEADER and X-Proxy-Secret must be four different headers'],
    [{ AUTH_MODE: 'saml' }, 'AUTH_MODE must be oidc (the default) or proxy'],
  ])('refuses %j with one clear message', (overrides, message) => {
    expect(problemsOf({ ...proxyProduction, ...overrides })).toEqual([message]);
  });

  it('names the missing secret and the missing TRUST_PROXY together, and never prints a secret', () => {
    const problems = problemsOf({ NODE_ENV: 'production', AUTH_MODE: 'proxy', APP_BASE_URL: 'https://bookmarks.example.com' });
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['AUTH_PROXY_SECRET', 'TRUST_PROXY']);
    try {
      loadConfig({ ...proxyProduction, AUTH_PROXY_SECRET: 'short-proxy-secret' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('AUTH_PROXY_SECRET');
      expect((error as Error).message).not.toContain('short-proxy-secret');
    }
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['127.0.0.1', ['127.0.0.1']],
    ['10.0.0.0/8, 192.168.1.1/24,::1', ['10.0.0.0/8', '192.168.1.1/24', '::1']],
    ['fd00::/8', ['fd00::/8']],
    ['loopback,uniquelocal', ['loopback', 'uniquelocal']],
  ])('reads %j as %j', (value, expected) => {
    expect(loadConfig({ ...production, TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  // true would make the client's own left-most X-Forwarded-For entry its address; Fastify 5.12 ignores a hop count.
  it.each([['true'], [' TRUE '], ['1'], ['2'], ['yes'], ['10.0.0.0/33'], ['::1/129'], ['10.0.0.300'], ['10.0.0.1/8/8'], ['example.com'], [','], ['127.0.0.1,,'],
    // A range of every address trusts any client as true does (0.0.0.0/0 and ::/0 also crashed at start); ::ffff:0:0/96 is every IPv4 peer of a dual-stack socket.
    ['0.0.0.0/0'], ['10.0.0.1, ::/0'], ['::/64'], ['::ffff:0:0/96'], ['::ffff:0.0.0.0/80']])(
    'refuses %j',
    (value) => {
      const problems = problemsOf({ ...production, TRUST_PROXY: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^TRUST_PROXY must be/);
    },
  );
});

describe('TRUST_PROXY in the app', () => {
  let provider: LocalProvider;
  beforeAll(async () => {
    provider = await startTestProvider();
  });
  afterAll(async () => provider.close());

  /** Status of /auth/login (limited to one per client IP) for each X-Forwarded-For, all sent by a proxy on 127.0.0.1. */
  async function loginStatuses(trustProxy: false | string[] | undefined, forwardedFor: string[]): Promise<number[]> {
    const app = await buildTestApp(provider, { trustProxy, rateLimits: { authPerIp: 1, writesPerUser: 100, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (const client of forwardedFor) {
        const response = await app.inject({ method: 'GET', url: '/auth/login', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client } });
        statuses.push(response.statusCode);
      }
      return statuses;
    } finally {
      await app.close();
    }
  }

  it('lets rate limits see each client behind a trusted proxy', async () => {
    const { trustProxy } = loadConfig({ ...production, TRUST_PROXY: '127.0.0.1' });
    expect(await loginStatuses(trustProxy, ['203.0.113.1', '203.0.113.2', '203.0.113.1'])).toEqual([302, 302, 429]);
  });

  it('ignores X-Forwarded-For by default, so a client cannot pick its own address', async () => {
    const { trustProxy } = loadConfig(production);
    expect(await loginStatuses(trustProxy, ['203.0.113.1', '203.0.113.2'])).toEqual([302, 429]);
    expect(await loginStatuses(undefined, ['203.0.113.1', '203.0.113.2'])).toEqual([302, 429]);
  });

  it('takes the address the trusted proxy saw, not one the client put in front of it', async () => {
    const { trustProxy } = loadConfig({ ...production, TRUST_PROXY: '127.0.0.1' });
    // The proxy appends the real client (203.0.113.1) to whatever the client sent.
    expect(await loginStatuses(trustProxy, ['198.51.100.1, 203.0.113.1', '198.51.100.2, 203.0.113.1'])).toEqual([302, 429]);
  });

  it('ignores X-Forwarded-For from an address that is not a listed proxy', async () => {
    const { trustProxy } = loadConfig({ ...production, TRUST_PROXY: '10.0.0.0/8' });
    expect(await loginStatuses(trustProxy, ['203.0.113.1', '203.0.113.2'])).toEqual([302, 429]);
  });
});

describe('the development session key file', () => {
  /** Runs loadConfig in development (no SESSION_SECRET) against a key file in a fresh temp folder. */
  function devKeyWith(contents: string | null): { key: Buffer; stored: string } {
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-config-'));
    try {
      const path = join(dir, 'data', 'dev-session-key');
      if (contents !== null) {
        mkdirSync(dirname(path));
        writeFileSync(path, contents);
      }
      const key = loadConfig({}, { devSessionKeyFile: path }).sessionKeys[0]!;
      return { key, stored: readFileSync(path, 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('is created when missing, and reused when valid', () => {
    const created = devKeyWith(null);
    expect(created.key).toHaveLength(32);
    expect(created.stored).toBe(created.key.toString('hex'));
    const reused = devKeyWith(`${'c'.repeat(64)}\n`);
    expect(reused.key.toString('hex')).toBe('c'.repeat(64));
  });

  it.each([[''], ['abc'], ['z'.repeat(64)], ['c'.repeat(62)], ['c'.repeat(66)], [Buffer.alloc(32, 1).toString('base64')]])(
    'is regenerated when it holds %j',
    (contents) => {
      const { key, stored } = devKeyWith(contents);
      expect(key).toHaveLength(32);
      expect(stored).toBe(key.toString('hex'));
    },
  );
});
