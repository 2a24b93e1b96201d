import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  type Request,
  type Response,
} from 'playwright-core';
import { startLocalProvider } from '../../src/dev/oidc-provider.js';
import { freePort } from '../../scripts/lib/production.js';
import { proxySignIn, startForwardAuthProxy } from '../forward-auth-proxy.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const INSTALL_HINT = 'sudo apt-get update && sudo apt-get install -y chromium';
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'e2e');

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
  // Everything runs on 127.0.0.1: any other host fails to resolve, so a request off the machine fails loudly.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Generous: scripts/start.mjs compiles src/ first when dist/ is stale. */
const STARTUP_SECONDS = 120;

async function waitForHealthy(baseUrl: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_SECONDS * 1000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the app exited with ${server.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app did not become healthy within ${STARTUP_SECONDS} s:\n${log()}`);
}

/**
 * The production build, a real OpenID provider and Chromium, all on 127.0.0.1. With
 * `proxy`, AUTH_MODE=proxy instead: no provider, and Chromium reaches the app only
 * through a forward-auth proxy (tests/forward-auth-proxy.ts), which baseUrl then is.
 */
export interface Stack {
  mode: 'oidc' | 'proxy';
  baseUrl: string;
  /** proxy mode: the sign-in portal's logout page, where the app's sign-out leads. */
  proxyLogoutUrl?: string;
  /** oidc mode: the provider's origin (its pages ask for a favicon it does not have). */
  providerOrigin?: string;
  /** Web pages on 127.0.0.1 for the app to fetch (the only host FETCH_ALLOW_HOSTS lists) and for Chromium to visit. */
  sites: TestSites;
  browser: Browser;
  serverLog(): string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** AUTH_MODE=proxy, behind a forward-auth proxy, instead of OpenID Connect. */
  proxy?: boolean;
  /**
   * Playwright turns Chromium's back/forward cache off; a test of what Back shows
   * turns it on again, as every browser has it.
   */
  backForwardCache?: boolean;
}

/** How the app signs people in, as the environment of `npm start`; stop() ends what it started. */
interface AuthSetup {
  baseUrl: string;
  env: Record<string, string>;
  proxyLogoutUrl?: string;
  providerOrigin?: string;
  stop(): Promise<void>;
}

async function oidcSetup(port: number): Promise<AuthSetup> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const provider = await startLocalProvider({ appBaseUrl: baseUrl });
  return {
    baseUrl,
    providerOrigin: new URL(provider.issuer).origin,
    env: {
      AUTH0_DOMAIN: provider.issuer,
      AUTH0_CLIENT_ID: provider.clientId,
      AUTH0_CLIENT_SECRET: provider.clientSecret,
      SESSION_SECRET: randomBytes(32).toString('hex'),
    },
    stop: () => provider.close(),
  };
}

/** No AUTH0_* and no SESSION_SECRET: proxy mode must start without them. */
async function proxySetup(port: number): Promise<AuthSetup> {
  const secret = randomBytes(32).toString('hex');
  const proxy = await startForwardAuthProxy({ upstream: `http://127.0.0.1:${port}`, secret });
  const proxyLogoutUrl = `${proxy.portalUrl}/logout`;
  return {
    baseUrl: proxy.url,
    proxyLogoutUrl,
    env: { AUTH_MODE: 'proxy', AUTH_PROXY_SECRET: secret, TRUST_PROXY: '127.0.0.1', AUTH_PROXY_LOGOUT_URL: proxyLogoutUrl },
    stop: () => proxy.close(),
  };
}

/** A page a test serves: its answer, or a handler for answers that take their time. */
export type SitePage = { status?: number; type?: string; body: string | Buffer } | http.RequestListener;

/** One web server on 127.0.0.1 for the whole file; tests add the pages they need under paths of their own. */
export interface TestSites {
  origin: string;
  /** Serves `page` at `path` (replacing any before) and returns its full URL. */
  serve(path: string, page: SitePage): string;
  close(): Promise<void>;
}

/** A 32 px PNG (a cooking pot): every test site has it as /favicon.ico, so Chromium never logs a 404 for it. */
export const SITE_ICON = readFileSync(join(ROOT, 'tests', 'fixtures', 'site-icon.png'));

async function startSites(): Promise<TestSites> {
  const pages = new Map<string, SitePage>([['/favicon.ico', { type: 'image/png', body: SITE_ICON }]]);
  const server = http.createServer((request, response) => {
    const page = pages.get(new URL(request.url ?? '/', 'http://site').pathname);
    if (typeof page === 'function') return page(request, response);
    if (!page) return void response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    response.writeHead(page.status ?? 200, { 'content-type': page.type ?? 'text/html; charset=utf-8' }).end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    serve(path, page) {
      pages.set(path, page);
      return `${origin}${path}`;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const port = await freePort();
  const sites = await startSites();
  const auth = options.proxy ? await proxySetup(port) : await oidcSetup(port);
  const { baseUrl } = auth;
  const workDir = mkdtempSync(join(tmpdir(), 'bookmarks-e2e-'));
  // Exactly `npm start`: scripts/start.mjs finds dist/ next to itself and compiles it when stale.
  // Its cwd is an empty temp folder because server.ts reads .env from the cwd: a developer's .env never leaks in.
  const server = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      ...auth.env,
      APP_BASE_URL: baseUrl,
      DATABASE_PATH: join(workDir, 'bookmarks.db'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The app fetches titles and icons from the test sites only: no other name is even looked up.
      FETCH_SITES: 'allowed',
      FETCH_ALLOW_HOSTS: new URL(sites.origin).host,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout!.on('data', (chunk) => (log += chunk));
  server.stderr!.on('data', (chunk) => (log += chunk));

  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await auth.stop();
    await sites.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    // The app's own port: in proxy mode the proxy would ask for a sign-in first.
    await waitForHealthy(`http://127.0.0.1:${port}`, server, () => log);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      ...(options.backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    mode: options.proxy ? 'proxy' : 'oidc',
    baseUrl,
    ...(auth.proxyLogoutUrl ? { proxyLogoutUrl: auth.proxyLogoutUrl } : {}),
    ...(auth.providerOrigin ? { providerOrigin: auth.providerOrigin } : {}),
    sites,
    browser,
    serverLog: () => log,
    close,
  };
}

/**
 * What is wrong with a Content-Security-Policy header, if anything: scripts only
 * from our origin (no inline code, no eval), no framing, no plugins, no <base>.
 */
export function cspProblems(header: string | undefined): string[] {
  if (!header) return ['no Content-Security-Policy header'];
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), values);
  }
  const problems: string[] = [];
  const scriptSrc = directives.get('script-src') ?? directives.get('default-src');
  if (!scriptSrc?.includes("'self'")) problems.push(`script-src is not 'self': ${scriptSrc?.join(' ') ?? 'missing'}`);
  const loose = scriptSrc?.filter((source) => /^'unsafe-|^\*$|^[a-z]+:$/i.test(source)) ?? [];
  if (loose.length > 0) problems.push(`script-src allows ${loose.join(' ')}`);
  for (const name of ['frame-ancestors', 'object-src', 'base-uri']) {
    const values = directives.get(name)?.join(' ');
    if (values !== "'none'") problems.push(`${name} is not 'none': ${values ?? 'missing'}`);
  }
  return problems;
}

/** An error status a test provokes on purpose, for one path of the app. */
interface ExpectedError {
  status: number;
  pathname: string;
}

const FAILED_LOAD = /^Failed to load resource: the server responded with a status of \d{3}/;

/**
 * Browser contexts for one test. Every page is watched: console errors, uncaught
 * exceptions, CSP violations, failed requests and error answers are collected and
 * must stay empty; every page of the app must carry a strict CSP header.
 */
export class Session {
  readonly problems: string[] = [];
  /** How many of the app's documents had their CSP header checked: proof the check ran. */
  documentsChecked = 0;
  /** Browser contexts opened; a test without any has no pages to check. */
  get contextCount(): number {
    return this.contexts.length;
  }
  private readonly contexts: BrowserContext[] = [];
  private readonly expectedErrors: ExpectedError[] = [];
  private readonly missingIcons = new Set<string>();
  private abortsExpected = false;
  private readonly networkFailuresExpected = new Set<string>();
  private readonly pendingChecks: Promise<void>[] = [];
  /** Error answers the response check has judged, by URL. */
  private readonly answeredWithError = new Set<string>();
  /** Chromium's "Failed to load resource" lines, judged once the responses are in. */
  private readonly failedLoads: { url: string; line: string }[] = [];

  constructor(private readonly stack: Stack) {}

  get baseUrl(): string {
    return this.stack.baseUrl;
  }

  get proxyLogoutUrl(): string | undefined {
    return this.stack.proxyLogoutUrl;
  }

  get sites(): TestSites {
    return this.stack.sites;
  }

  /**
   * A page or htmx request to `pathname` that answers `status` on purpose (422 for an
   * invalid form, 404 for a missing page). Any other error answer, and any sub-resource
   * (stylesheet, script, icon) answering 400 or above, stays a failure.
   */
  expectErrorStatus(status: number, pathname: string): void {
    this.expectedErrors.push({ status, pathname });
  }

  /**
   * The provider's pages link no icon, so Chromium asks it for /favicon.ico and gets a 404:
   * expected for a test that shows those pages long enough (pressing Back onto them).
   */
  expectProviderWithoutIcon(): void {
    if (this.stack.providerOrigin) this.missingIcons.add(`${this.stack.providerOrigin}/favicon.ico`);
  }

  /**
   * htmx logs a request that hx-sync replaces (aborts) on purpose as console errors, htmx:afterRequest then
   * htmx:sendAbort: expected for a test of searches that overlap. A network error (htmx:sendError) stays a failure.
   */
  expectAbortedRequests(): void {
    this.abortsExpected = true;
  }

  /**
   * An htmx request to `pathname` that gets no answer at all (a test aborts it with page.route, as a network
   * that is down would): its failed request, Chromium's line for it and htmx's htmx:afterRequest and
   * htmx:sendError lines are expected. A request to any other path that fails stays a failure.
   */
  expectNetworkFailure(pathname: string): void {
    this.networkFailuresExpected.add(pathname);
  }

  private failureExpectedFor(url: string): boolean {
    const parsed = new URL(url);
    return parsed.origin === this.baseUrl && this.networkFailuresExpected.has(parsed.pathname);
  }

  private isExpected(status: number, url: string, request: Request): boolean {
    if (status === 404 && this.missingIcons.has(url)) return true;
    const parsed = new URL(url);
    if (parsed.origin !== this.baseUrl) return false;
    if (!['document', 'xhr', 'fetch'].includes(request.resourceType())) return false;
    return this.expectedErrors.some((expected) => expected.status === status && expected.pathname === parsed.pathname);
  }

  private checkResponse(response: Response): void {
    const request = response.request();
    const url = new URL(response.url());
    if (response.status() >= 400) {
      this.answeredWithError.add(response.url());
      if (!this.isExpected(response.status(), response.url(), request)) {
        this.problems.push(`${request.resourceType()} ${request.method()} ${url.pathname}${url.search} answered ${response.status()}`);
      }
    }
    if (request.resourceType() === 'document' && url.origin === this.baseUrl) {
      this.pendingChecks.push(
        response.allHeaders().then(
          (headers) => {
            this.documentsChecked += 1;
            for (const problem of cspProblems(headers['content-security-policy'])) this.problems.push(`CSP of ${url.pathname}: ${problem}`);
          },
          () => {
            // The page closed before its headers could be read.
          },
        ),
      );
    }
  }

  async newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await this.stack.browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
    this.contexts.push(context);
    await context.exposeBinding('__reportCspViolation', (_source, text: string) => this.problems.push(text));
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const report = (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation;
        const source = event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber}:${event.columnNumber})` : '';
        report(`CSP violation on ${location.href}: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}${source} ${event.sample}`);
      });
    });
    context.on('response', (response) => this.checkResponse(response));
    context.on('requestfailed', (request) => {
      const error = request.failure()?.errorText ?? 'unknown error';
      // hx-sync replaces an unfinished search, and a navigation cancels the one before it and the
      // old page's icon. Stylesheets and scripts are different: Chromium aborts one it refuses for its
      // type (nosniff), which is how a missing one shows up here.
      if (error === 'net::ERR_ABORTED' && !['stylesheet', 'script'].includes(request.resourceType())) return;
      if (['xhr', 'fetch'].includes(request.resourceType()) && this.failureExpectedFor(request.url())) return;
      this.problems.push(`${request.resourceType()} ${request.method()} ${request.url()} failed: ${error}`);
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (this.abortsExpected && /^htmx:(afterRequest|sendAbort), /.test(message.text())) return;
      // htmx's lines name no request: the failed request itself is judged by path above.
      if (this.networkFailuresExpected.size > 0 && /^htmx:(afterRequest|sendError), /.test(message.text())) return;
      if (/^Failed to load resource: net::/.test(message.text()) && this.failureExpectedFor(message.location().url)) return;
      // htmx logs every error answer it gets as well: one the test expects is expected here too.
      const htmxError = /^Response Status Error Code (\d{3}) from ([^?,\s]+)/.exec(message.text());
      if (htmxError && this.expectedErrors.some((expected) => expected.status === Number(htmxError[1]) && expected.pathname === htmxError[2])) return;
      // Chromium logs every error answer too. The response check judges those, knowing the request;
      // any it never saw (a favicon can load outside Playwright's network events) stays a problem.
      if (FAILED_LOAD.test(message.text())) {
        if (this.missingIcons.has(message.location().url) && message.text().includes('status of 404')) return;
        this.failedLoads.push({ url: message.location().url, line: `console error on ${page.url()}: ${message.text()} (${message.location().url})` });
        return;
      }
      this.problems.push(`console error on ${page.url()}: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => this.problems.push(`uncaught exception on ${page.url()}: ${error.message}`));
    return page;
  }

  /**
   * A fresh context signed in as `user`: through the provider's own login page, or in proxy
   * mode already signed in at the proxy (HTTP Basic on every request, as a proxy's session
   * cookie would be), so the app's front page leads straight to the dashboard.
   */
  async signedInPage(user: string, options: BrowserContextOptions = {}): Promise<Page> {
    if (this.stack.mode === 'proxy') {
      const page = await this.newPage({ ...options, extraHTTPHeaders: { ...options.extraHTTPHeaders, ...proxySignIn(user) } });
      await page.goto(`${this.baseUrl}/`);
      await page.waitForURL(`${this.baseUrl}/dashboard`);
      return page;
    }
    const page = await this.newPage(options);
    await signIn(page, this.baseUrl, user);
    return page;
  }

  private async settle(): Promise<void> {
    await Promise.all(this.pendingChecks.splice(0));
    for (const { url, line } of this.failedLoads.splice(0)) if (!this.answeredWithError.has(url)) this.problems.push(line);
  }

  /** Returns (and forgets) what went wrong so far. */
  async takeProblems(): Promise<string[]> {
    await this.settle();
    return this.problems.splice(0);
  }

  async close(): Promise<void> {
    await Promise.all(this.pendingChecks.splice(0));
    await Promise.all(this.contexts.map((context) => context.close()));
    await this.settle();
  }
}

/**
 * One app, provider and browser per test file; a fresh Session per test, whose
 * collected problems fail the test.
 */
export function useStack(options: StackOptions = {}): { session(): Session } {
  let stack: Stack | undefined;
  let session: Session | undefined;
  beforeAll(async () => {
    stack = await startStack(options);
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    session = new Session(stack!);
  });
  afterEach(async () => {
    if (!session) return;
    await session.close();
    expect(session.problems, `console errors, CSP problems or failed requests; server log:\n${stack?.serverLog()}`).toEqual([]);
    if (session.contextCount > 0) {
      expect(session.documentsChecked, 'no page of the app was loaded, so its CSP went unchecked').toBeGreaterThan(0);
    }
  });
  return { session: () => session! };
}

export async function signIn(page: Page, baseUrl: string, user: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(/\/interaction\//);
  await page.fill('#login', user);
  await page.fill('#password', 'anything');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${baseUrl}/dashboard`);
}

/** A user name no other test uses, so tests sharing one app never see each other's data. */
export function uniqueUser(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * caret 'initial': hiding the caret leaves style="" on inputs, which htmx then
 * copies while settling a swap, and the CSP rightly blocks that.
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: options.fullPage ?? true, caret: 'initial' });
}

export interface NewBookmark {
  url: string;
  title?: string;
  tags?: string;
}

/** On a phone the add form is folded behind "Save a link": unfold it first. */
export async function unfoldAddForm(page: Page): Promise<void> {
  if (await page.locator('#bookmark-url').isVisible()) return;
  await page.locator('#add-fold > summary').click();
  await page.locator('#bookmark-url').waitFor({ state: 'visible' });
}

export async function fillBookmarkForm(page: Page, bookmark: NewBookmark): Promise<void> {
  await unfoldAddForm(page);
  await page.fill('#bookmark-url', bookmark.url);
  await page.fill('#bookmark-title', bookmark.title ?? '');
  await page.fill('#bookmark-tags', bookmark.tags ?? '');
}

/** Adds a bookmark through the htmx form and waits until its card is in the list. */
export async function addBookmark(page: Page, bookmark: NewBookmark): Promise<void> {
  await fillBookmarkForm(page, bookmark);
  const saved = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/bookmarks');
  await page.click('#bookmark-form-button');
  const response = await saved;
  if (response.status() !== 200) throw new Error(`adding ${bookmark.url} answered ${response.status()}`);
  await cardTitled(page, bookmark.title ?? new URL(bookmark.url).hostname).waitFor();
  // htmx settles after the swap and then moves focus to the address field; typing
  // anywhere before that would land in the wrong field.
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 5_000 })
    .toBe('bookmark-url');
}

export function cardTitled(page: Page, title: string) {
  return page.locator('#bookmark-cards > li.card', { has: page.locator('.card-title', { hasText: title }) });
}

/** The id of the bookmark whose card has this title, as its routes take it. */
export async function bookmarkIdOf(page: Page, title: string): Promise<string> {
  return (await cardTitled(page, title).getAttribute('id'))!.replace('bookmark-', '');
}

export function cardTitles(page: Page): Promise<string[]> {
  return page.locator('#bookmark-cards > li.card .card-title').allTextContents();
}

export async function hasHorizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

export const focusedId = (page: Page): Promise<string | undefined> => page.evaluate(() => document.activeElement?.id);
/** The focused element's label as assistive technology reads it: its aria-label, or the text of what its aria-labelledby names (a card's Edit and Delete: their word and the title). */
export const focusedLabel = (page: Page): Promise<string | null | undefined> =>
  page.evaluate(() => {
    const focused = document.activeElement;
    const labelledBy = focused?.getAttribute('aria-labelledby');
    if (!labelledBy) return focused?.getAttribute('aria-label');
    return labelledBy
      .split(' ')
      .map((id) => (document.getElementById(id)?.textContent ?? '').replace(/\s+/g, ' ').trim())
      .join(' ');
  });

/**
 * Until htmx has settled a swap it has not wired the new content's hx-* attributes:
 * a key press there would navigate instead of swapping.
 */
export const settled = (page: Page): Promise<void> =>
  expect
    .poll(() => page.evaluate(() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')), { timeout: 5_000 })
    .toBe(true);

/** A marker on `window` that only survives as long as the document does (no navigation). */
export const setMarker = (page: Page): Promise<void> =>
  page.evaluate(() => {
    (window as unknown as { e2eMarker?: string }).e2eMarker = 'same document';
  });
export const marker = (page: Page): Promise<unknown> => page.evaluate(() => (window as unknown as { e2eMarker?: string }).e2eMarker);
