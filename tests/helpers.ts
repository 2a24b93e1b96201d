import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { parseHTML } from 'linkedom';
import { buildApp } from '../src/app.js';
import type { Config, OidcSettings } from '../src/config.js';
import { startLocalProvider, type LocalProvider } from '../src/dev/oidc-provider.js';
import { createBookmark } from '../src/bookmarks/commands.js';
import type { Db } from '../src/db/client.js';

/** The app's base URL in tests: nothing listens there; requests go through app.inject. */
export const TEST_BASE_URL = 'http://127.0.0.1:3999';

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    production: false,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    appBaseUrl: new URL(TEST_BASE_URL),
    sessionKeys: [randomBytes(32)],
    databasePath: ':memory:',
    oidc: null,
    ...overrides,
  };
}

export async function startTestProvider(): Promise<LocalProvider> {
  return startLocalProvider({ appBaseUrl: TEST_BASE_URL });
}

export function providerSettings(provider: LocalProvider): OidcSettings {
  return { issuer: new URL(provider.issuer), clientId: provider.clientId, clientSecret: provider.clientSecret };
}

export async function buildTestApp(provider: LocalProvider, overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const config = testConfig(overrides);
  return buildApp({ ...config, oidc: providerSettings(provider) });
}

/** A tiny cookie jar for talking to the provider with fetch. */
class CookieJar {
  private cookies = new Map<string, string>();
  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** The session cookie exactly as the browser would send it back (still URL-encoded). */
export function sessionCookieFrom(response: LightMyRequestResponse): string | undefined {
  const raw = response.headers['set-cookie'];
  const headers = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const header = headers.find((h) => h.startsWith('session='));
  return header?.split(';')[0];
}

/**
 * Drives the real authorization code flow: the app's /auth/login, the
 * provider's login form, and back to /auth/callback. Returns the callback URL
 * (with code and state) and the app cookie that holds the pending login.
 */
export async function authorizeAt(
  app: FastifyInstance,
  userName: string,
  loginPath = '/auth/login',
  cookie?: string,
): Promise<{ callbackUrl: URL; pendingCookie: string }> {
  const login = await app.inject({ method: 'GET', url: loginPath, headers: cookie ? { cookie } : {} });
  if (login.statusCode !== 302) throw new Error(`/auth/login answered ${login.statusCode}`);
  const pendingCookie = sessionCookieFrom(login)!;
  const jar = new CookieJar();
  let next = new URL(login.headers.location as string);
  for (let hop = 0; hop < 10; hop++) {
    if (next.href.startsWith(`${TEST_BASE_URL}/auth/callback`)) return { callbackUrl: next, pendingCookie };
    if (next.host !== new URL(app.oidc.serverMetadata().issuer).host) throw new Error(`unexpected redirect to ${next.href}`);
    let response = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    if (response.status === 200 && /\/interaction\//.test(next.pathname)) {
      const form = new URLSearchParams({ login: userName, password: 'anything' });
      response = await fetch(new URL(`${next.pathname}/login`, next), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      jar.store(response);
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`provider answered ${response.status} at ${next.href} without a redirect`);
    next = new URL(location, next);
  }
  throw new Error('too many redirects during sign-in');
}

/** Signs in through the provider and returns the app's session cookie. */
export async function signIn(app: FastifyInstance, userName: string): Promise<string> {
  const { callbackUrl, pendingCookie } = await authorizeAt(app, userName);
  const callback = await app.inject({
    method: 'GET',
    url: `${callbackUrl.pathname}${callbackUrl.search}`,
    headers: { cookie: pendingCookie },
  });
  if (callback.statusCode !== 303) throw new Error(`callback answered ${callback.statusCode}: ${callback.body.slice(0, 200)}`);
  return sessionCookieFrom(callback)!;
}

export function html(body: string): Document {
  return parseHTML(body).document as unknown as Document;
}

/** Headers of a same-origin request as a browser sends them. */
export const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' } as const;
export const HTMX = { 'hx-request': 'true', ...SAME_ORIGIN } as const;

/** Test data factory with keyword defaults. */
export function setupBookmark(
  db: Db,
  ownerSub: string,
  fields: { url?: string; title?: string; tags?: string[]; createdAt?: Date } = {},
) {
  return createBookmark(
    db,
    ownerSub,
    { url: fields.url ?? 'https://example.com/', title: fields.title ?? 'Example', tags: fields.tags ?? [] },
    fields.createdAt,
  );
}

/** Each tag of an owner's bookmarks counted from scratch, to compare with what the tag_counts triggers kept. */
export function recountTags(db: Db, ownerSub: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of db.$client.prepare('SELECT tags FROM bookmarks WHERE owner_sub = ?').all(ownerSub) as { tags: string }[]) {
    for (const tag of row.tags.split(' ').filter(Boolean)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}

/** What the tag_counts triggers kept for an owner, straight from the table. */
export function keptTagCounts(db: Db, ownerSub: string): Map<string, number> {
  const rows = db.$client.prepare('SELECT tag, count FROM tag_counts WHERE owner_sub = ?').all(ownerSub) as { tag: string; count: number }[];
  return new Map(rows.map((row) => [row.tag, row.count]));
}

export function form(values: Record<string, string>): { payload: string; headers: Record<string, string> } {
  return {
    payload: new URLSearchParams(values).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

export interface SignedInContext {
  app: FastifyInstance;
  provider: LocalProvider;
  alice: string;
  bob: string;
}

/**
 * Registers hooks for a test file: one local OpenID provider for the file, and
 * for every test a fresh app on :memory: with alice and bob signed in through it.
 */
export function useSignedInApp(overrides: Partial<Config> = {}): SignedInContext {
  const context = {} as SignedInContext;
  beforeAll(async () => {
    context.provider = await startTestProvider();
  });
  afterAll(async () => context.provider.close());
  beforeEach(async () => {
    context.app = await buildTestApp(context.provider, overrides);
    context.alice = await signIn(context.app, 'alice');
    context.bob = await signIn(context.app, 'bob');
  });
  afterEach(async () => context.app.close());
  return context;
}
