import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { startLocalProvider, type LocalProvider } from '../../src/dev/oidc-provider.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
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
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealthy(baseUrl: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the app exited with ${server.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app did not become healthy within 20 s:\n${log()}`);
}

/** The production build, a real OpenID provider and Chromium, all on 127.0.0.1. */
export interface Stack {
  baseUrl: string;
  browser: Browser;
  serverLog(): string;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const provider: LocalProvider = await startLocalProvider({ appBaseUrl: baseUrl });
  const workDir = mkdtempSync(join(tmpdir(), 'bookmarks-e2e-'));
  // cwd is the empty temp folder, so a developer's .env is never picked up.
  const server = spawn(process.execPath, [join(ROOT, 'dist', 'server.js')], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      AUTH0_DOMAIN: provider.issuer,
      AUTH0_CLIENT_ID: provider.clientId,
      AUTH0_CLIENT_SECRET: provider.clientSecret,
      APP_BASE_URL: baseUrl,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      DATABASE_PATH: join(workDir, 'bookmarks.db'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
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
    await provider.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitForHealthy(baseUrl, server, () => log);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (error) {
    await close();
    throw error;
  }
  return { baseUrl, browser, serverLog: () => log, close };
}

/**
 * Browser contexts for one test. Every page is watched: console errors,
 * uncaught exceptions and CSP violations are collected and must stay empty.
 */
export class Session {
  readonly problems: string[] = [];
  private readonly contexts: BrowserContext[] = [];
  private readonly expectedStatuses = new Set<number>();

  constructor(private readonly stack: Stack) {}

  get baseUrl(): string {
    return this.stack.baseUrl;
  }

  /**
   * Chromium logs every 4xx answer as a console error. A test that provokes one
   * on purpose (422 for an invalid form) names that status; any other stays a failure.
   */
  expectErrorStatus(status: number): void {
    this.expectedStatuses.add(status);
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
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const status = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(message.text())?.[1];
      if (status && this.expectedStatuses.has(Number(status))) return;
      this.problems.push(`console error on ${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.problems.push(`uncaught exception on ${page.url()}: ${error.message}`));
    return page;
  }

  /** A fresh context signed in as `user` through the provider's own login page. */
  async signedInPage(user: string, options: BrowserContextOptions = {}): Promise<Page> {
    const page = await this.newPage(options);
    await signIn(page, this.baseUrl, user);
    return page;
  }

  async close(): Promise<void> {
    await Promise.all(this.contexts.map((context) => context.close()));
  }
}

/**
 * One app, provider and browser per test file; a fresh Session per test, whose
 * collected console errors and CSP violations fail the test.
 */
export function useStack(): { session(): Session } {
  let stack: Stack | undefined;
  let session: Session | undefined;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(() => {
    session = new Session(stack!);
  });
  afterEach(async () => {
    await session?.close();
    expect(session?.problems, `console errors or CSP violations; server log:\n${stack?.serverLog()}`).toEqual([]);
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
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, caret: 'initial' });
}

export interface NewBookmark {
  url: string;
  title?: string;
  tags?: string;
}

export async function fillBookmarkForm(page: Page, bookmark: NewBookmark): Promise<void> {
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

export function cardTitles(page: Page): Promise<string[]> {
  return page.locator('#bookmark-cards > li.card .card-title').allTextContents();
}

export async function hasHorizontalOverflow(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
