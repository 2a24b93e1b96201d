import { afterAll, afterEach, beforeAll, beforeEach, expect, inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { parseHTML } from 'linkedom';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { DEFAULT_FETCH_TIMEOUTS, DEFAULT_RATE_LIMITS, type Config, type FetchTimeouts, type OidcSettings, type RateLimits } from '../src/config.js';
import { startLocalProvider, type LocalProvider } from '../src/dev/oidc-provider.js';
import type { Bookmark } from '../src/bookmarks/bookmark.js';
import { DEFAULT_IMPORT_BUDGET, type ImportBudget } from '../src/transfer/import-reader.js';
import { createBookmark } from '../src/bookmarks/commands.js';
import { bookmarksOldestFirst } from '../src/bookmarks/queries.js';
import { openDb, type DatabaseTarget } from '../src/db/client.js';
import { compile, type Db, type Engine, type Statement } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { PostgresDb } from '../src/db/postgres.js';
import { SqliteDb } from '../src/db/sqlite.js';
import { TEMPLATE_DATABASE } from './postgres-setup.js';

const postgresAdminUrl = inject('postgresAdminUrl');

/** The engine this run tests: SQLite, unless npm run test:postgres started a PostgreSQL server. */
export const TEST_ENGINE: Engine = postgresAdminUrl ? 'postgres' : 'sqlite';

let admin: PostgresDb | undefined;
let databases = 0;

/**
 * A new, migrated, empty database: SQLite :memory: (migrated when opened), or on
 * PostgreSQL a copy of the template migrated once for the run, dropped by `drop`.
 */
export async function newTestDatabase(): Promise<{ target: DatabaseTarget; drop(): Promise<void> }> {
  if (!postgresAdminUrl) return { target: { engine: 'sqlite', path: ':memory:' }, drop: async () => {} };
  admin ??= new PostgresDb(postgresAdminUrl);
  const name = `test_${process.pid}_${++databases}_${randomBytes(3).toString('hex')}`;
  await admin.pool.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return { target: { engine: 'postgres', url: url.href }, drop: async () => void (await admin!.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/**
 * An empty database that nothing has migrated yet, on this run's engine: a new
 * SQLite file (so several connections can share it), or a new PostgreSQL database.
 */
export async function newBlankDatabase(): Promise<{ target: DatabaseTarget; drop(): Promise<void> }> {
  if (!postgresAdminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'bookmarks-blank-'));
    return { target: { engine: 'sqlite', path: join(dir, 'bookmarks.db') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  admin ??= new PostgresDb(postgresAdminUrl);
  const name = `blank_${process.pid}_${++databases}_${randomBytes(3).toString('hex')}`;
  await admin.pool.query(`CREATE DATABASE ${name}`);
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return { target: { engine: 'postgres', url: url.href }, drop: async () => void (await admin!.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

/** A fresh database for tests of domain functions without HTTP; closing it also drops it. */
export async function openTestDb(): Promise<Db> {
  const { target, drop } = await newTestDatabase();
  const db = await openDb(target);
  const close = db.close.bind(db);
  return Object.assign(Object.create(db) as Db, { close: async () => (await close(), await drop()) });
}

/**
 * Opens a fresh database (this run's engine, the real migrations) before each test of the
 * describe it is called in, hands it to `use`, and closes it after the test:
 * `let db: Db; freshDatabaseEachTest((opened) => (db = opened));`
 */
export function freshDatabaseEachTest(use: (db: Db) => void): void {
  let db: Db | undefined;
  beforeEach(async () => {
    db = await openTestDb();
    use(db);
  });
  afterEach(async () => db?.close());
}

/** The app's base URL in tests: nothing listens there; requests go through app.inject. */
export const TEST_BASE_URL = 'http://127.0.0.1:3999';

/** Config fields a test may set; rate limits may be given in part. */
export type TestConfigOverrides = Partial<Omit<Config, 'rateLimits' | 'importBudget' | 'fetchTimeouts'>> & {
  rateLimits?: Partial<RateLimits>;
  importBudget?: Partial<ImportBudget>;
  fetchTimeouts?: Partial<FetchTimeouts>;
};

/**
 * Tests reach no site but the ones they start on 127.0.0.1 and allow through
 * fetchAllowHosts: with fetchSites 'allowed', no other name is even looked up in DNS.
 */
export function testConfig(overrides: TestConfigOverrides = {}): Config {
  const { rateLimits, importBudget, fetchTimeouts, ...rest } = overrides;
  return {
    production: false,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    appBaseUrl: new URL(TEST_BASE_URL),
    sessionKeys: [randomBytes(32)],
    database: { engine: 'sqlite', path: ':memory:' },
    oidc: null,
    shutdownGraceSeconds: 10,
    webConcurrency: 1,
    trustProxy: false,
    fetchAllowHosts: [],
    fetchSites: 'allowed',
    ...rest,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...rateLimits },
    importBudget: { ...DEFAULT_IMPORT_BUDGET, ...importBudget },
    fetchTimeouts: { ...DEFAULT_FETCH_TIMEOUTS, ...fetchTimeouts },
  };
}

export async function startTestProvider(): Promise<LocalProvider> {
  return startLocalProvider({ appBaseUrl: TEST_BASE_URL });
}

export function providerSettings(provider: LocalProvider): OidcSettings {
  return { issuer: new URL(provider.issuer), clientId: provider.clientId, clientSecret: provider.clientSecret };
}

/** The app on a fresh database of this run's engine (unless the overrides name one), signed in through `provider`. */
export async function buildTestApp(provider: LocalProvider, overrides: TestConfigOverrides = {}): Promise<FastifyInstance> {
  const { target, drop } = overrides.database ? { target: overrides.database, drop: async () => {} } : await newTestDatabase();
  const config = testConfig({ ...overrides, database: target });
  const app = await buildApp({ ...config, oidc: providerSettings(provider) });
  app.addHook('onClose', drop);
  return app;
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

/**
 * Follows sign-out's steps after POST /auth/logout (src/auth/sign-out.ts) as a browser does:
 * the redirect to the app's own signing-out page, its meta refresh, and the last step's
 * Clear-Site-Data and redirect. Returns where that last step leads.
 */
export async function followSignOutSteps(app: FastifyInstance, posted: LightMyRequestResponse): Promise<URL> {
  expect(posted.statusCode).toBe(303);
  expect(posted.headers['clear-site-data']).toBe('"cache", "storage"');
  const signingOut = await app.inject({ method: 'GET', url: String(posted.headers.location) });
  expect(signingOut.statusCode).toBe(200);
  expect(signingOut.headers['cache-control']).toBe('no-store');
  const page = html(signingOut.body);
  const refresh = /^0; url=(\/auth\/signing-out\/leave(\?.*)?)$/.exec(page.querySelector('meta[http-equiv="refresh"]')?.getAttribute('content') ?? '');
  expect(refresh, signingOut.body).not.toBeNull();
  // Without a refresh (a browser that ignores it), the page's link goes on.
  expect(page.querySelector('a.button')?.getAttribute('href')).toBe(refresh![1]);
  const leave = await app.inject({ method: 'GET', url: refresh![1]! });
  expect(leave.statusCode).toBe(303);
  expect(leave.headers['clear-site-data']).toBe('"cache", "storage"');
  return new URL(leave.headers.location as string, TEST_BASE_URL);
}

/** A full page, parsed. */
export function html(body: string): Document {
  return parseHTML(body).document as unknown as Document;
}

/** A fragment (what htmx swaps in: several siblings, or table rows and list items), parsed inside one root element. */
export function parseFragment(body: string): Document {
  return html(`<div id="fragment-root">${body}</div>`);
}

/** Headers of a same-origin request as a browser sends them. */
export const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' } as const;
export const HTMX = { 'hx-request': 'true', ...SAME_ORIGIN } as const;

export function form(values: Record<string, string>): { payload: string; headers: Record<string, string> } {
  return {
    payload: new URLSearchParams(values).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** A bookmarks file as the import form posts it: multipart/form-data, in the field "file". */
export function importFile(content: Buffer | string): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----bookmarks-test-boundary';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bookmarks.html"\r\nContent-Type: text/html\r\n\r\n`),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Extra headers (replacing the defaults: Sec-Fetch-Site, HX-Request, the cookie; undefined removes one) or a raw payload. */
export interface RequestOptions {
  headers?: Record<string, string | undefined>;
  payload?: string | Buffer;
}

export interface Requests {
  get(url: string, options?: RequestOptions): Promise<LightMyRequestResponse>;
  delete(url: string, options?: RequestOptions): Promise<LightMyRequestResponse>;
  /** `body` is sent as a form, as the browser posts one. */
  post(url: string, body?: Record<string, string>, options?: RequestOptions): Promise<LightMyRequestResponse>;
  put(url: string, body?: Record<string, string>, options?: RequestOptions): Promise<LightMyRequestResponse>;
}

/** Whom `as` can act for: the app and the signed-in users' cookies by name. */
export interface AppContext {
  app: FastifyInstance;
  cookies: Record<string, string>;
}

/**
 * Requests as a signed-in user (or null: signed out), the way a same-origin
 * browser sends them: `as(ctx, 'alice').get('/dashboard')` for a full page,
 * `as(ctx, 'alice').htmx.post('/bookmarks', { url })` for what htmx sends.
 */
export function as(ctx: AppContext, userName: string | null): Requests & { htmx: Requests } {
  const requests = (htmx: boolean): Requests => {
    const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body: Record<string, string> | undefined, options: RequestOptions = {}) => {
      const cookie = userName === null ? undefined : ctx.cookies[userName];
      if (userName !== null && !cookie) throw new Error(`${userName} is not signed in in this test context`);
      const formBody = body ? form(body) : undefined;
      const headers: Record<string, string | undefined> = {
        ...(htmx ? HTMX : SAME_ORIGIN),
        ...(cookie ? { cookie } : {}),
        ...formBody?.headers,
        ...options.headers,
      };
      return ctx.app.inject({
        method,
        url,
        headers: Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined)),
        ...(formBody ? { payload: formBody.payload } : {}),
        ...(options.payload !== undefined ? { payload: options.payload } : {}),
      });
    };
    return {
      get: (url, options) => send('GET', url, undefined, options),
      delete: (url, options) => send('DELETE', url, undefined, options),
      post: (url, body, options) => send('POST', url, body, options),
      put: (url, body, options) => send('PUT', url, body, options),
    };
  };
  return { ...requests(false), htmx: requests(true) };
}

/** Everything the owner saved, oldest first, in one list: what the export reads. */
export async function ownedBookmarks(db: Db, ownerSub: string): Promise<Bookmark[]> {
  const all: Bookmark[] = [];
  for await (const batch of bookmarksOldestFirst(db, ownerSub)) all.push(...batch);
  return all;
}

/** Test data factory with keyword defaults. */
export function setupBookmark(
  db: Db,
  ownerSub: string,
  fields: { url?: string; title?: string; description?: string; tags?: string[]; createdAt?: Date } = {},
): Promise<Bookmark> {
  return createBookmark(
    db,
    ownerSub,
    { url: fields.url ?? 'https://example.com/', title: fields.title ?? 'Example', description: fields.description ?? '', tags: fields.tags ?? [] },
    fields.createdAt,
  );
}

/** Each tag of an owner's bookmarks counted from scratch, to compare with what the tag_counts triggers kept. */
export async function recountTags(db: Db, ownerSub: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const row of await db.all<{ tags: string }>(sql`SELECT tags FROM bookmarks WHERE owner_sub = ${ownerSub}`)) {
    for (const tag of row.tags.split(' ').filter(Boolean)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}

/** What the tag_counts triggers kept for an owner, straight from the table. */
export async function keptTagCounts(db: Db, ownerSub: string): Promise<Map<string, number>> {
  const rows = await db.all<{ tag: string; count: number }>(sql`SELECT tag, count FROM tag_counts WHERE owner_sub = ${ownerSub}`);
  return new Map(rows.map((row) => [row.tag, row.count]));
}

/**
 * Every table that holds users' data, emptied between tests that share one app. Not
 * owner_versions: versions only ever grow (emptying bookmarks moves them on), as ETags
 * and remembered totals rely on.
 */
const USER_TABLES = ['bookmarks', 'tag_counts', 'api_tokens', 'ended_sessions', 'pending_undos', 'favicons'];

export async function resetData(app: FastifyInstance): Promise<void> {
  for (const table of USER_TABLES) await app.db.run(sql.raw(`DELETE FROM ${table}`));
  // The rate limits' counters: in the database on PostgreSQL, in a file of their own on SQLite (src/db/counter-db.ts).
  await app.counterDb.run(sql`DELETE FROM rate_limit_hits`);
}

export interface SignedInContext extends AppContext {
  provider: LocalProvider;
  cookies: { alice: string; bob: string; [userName: string]: string };
}

/**
 * Registers hooks for a test file: one local OpenID provider and one app for
 * the file, with alice and bob signed in once through the real login flow;
 * before every test the data is emptied, so each test starts from nothing.
 * (The login flow itself is tested in tests/auth/.)
 */
export function useSignedInApp(overrides: TestConfigOverrides = {}): SignedInContext {
  const ctx = { cookies: {} } as SignedInContext;
  beforeAll(async () => {
    ctx.provider = await startTestProvider();
    ctx.app = await buildTestApp(ctx.provider, overrides);
    ctx.cookies.alice = await signIn(ctx.app, 'alice');
    ctx.cookies.bob = await signIn(ctx.app, 'bob');
  });
  afterAll(async () => {
    await ctx.app?.close();
    await ctx.provider?.close();
  });
  beforeEach(async () => {
    // Icons still being fetched for the test before would land in this one's data, and a
    // search index merge an import asked for would run into this test's statements.
    await ctx.app.pageLookups.settled();
    await ctx.app.searchIndexUpkeep.settled();
    await resetData(ctx.app);
  });
  return ctx;
}

export interface AppOnSqliteFile {
  app: FastifyInstance;
  /** The database file, migrated before the app opened it, as `npm start` does. */
  path: string;
  /** Its folder, removed after the file's tests. */
  dir: string;
  /** A connection of its own to the same file, as another process of the app would open it. */
  otherProcess: SqliteDb;
}

/**
 * Registers hooks for a test file: an app (with its own local provider) on an SQLite file
 * in a fresh folder, for what only a file shows: several connections, other processes, locks.
 */
export function useAppOnSqliteFile(folderPrefix: string): AppOnSqliteFile {
  const ctx = {} as AppOnSqliteFile;
  let provider: LocalProvider | undefined;
  beforeAll(async () => {
    ctx.dir = mkdtempSync(join(tmpdir(), folderPrefix));
    ctx.path = join(ctx.dir, 'bookmarks.db');
    ctx.otherProcess = new SqliteDb(ctx.path);
    await migrate(ctx.otherProcess);
    provider = await startTestProvider();
    ctx.app = await buildTestApp(provider, { database: { engine: 'sqlite', path: ctx.path } });
  });
  afterAll(async () => {
    await ctx.app?.close();
    await ctx.otherProcess?.close();
    await provider?.close();
    if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
  });
  return ctx;
}

export interface SqliteFileProcesses {
  /** This process's database, migrated. */
  db: SqliteDb;
  /** Another process's connections to the same file, as the workers of `npm start` have. */
  otherProcess: SqliteDb;
}

/** Two SqliteDb on a new file in `dir`, migrated: this process's and another's. The caller removes `dir`. */
export async function openProcessesOnSqliteFile(dir: string): Promise<SqliteFileProcesses & { close(): Promise<void> }> {
  const file = join(dir, 'bookmarks.db');
  const db = new SqliteDb(file);
  await migrate(db);
  const otherProcess = new SqliteDb(file);
  return { db, otherProcess, close: async () => void (await Promise.all([db.close(), otherProcess.close()])) };
}

/**
 * Registers hooks for a describe: before each test, two SqliteDb on one new file in a fresh
 * folder, without an app; after it, both closed and the folder removed.
 */
export function useProcessesOnSqliteFile(folderPrefix: string): SqliteFileProcesses {
  const ctx = {} as SqliteFileProcesses;
  let dir: string | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), folderPrefix));
    ({ db: ctx.db, otherProcess: ctx.otherProcess, close } = await openProcessesOnSqliteFile(dir));
  });
  afterEach(async () => {
    await close?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return ctx;
}

/**
 * Counts the statements `db` runs while `work` runs (those whose SQL includes `including`, if
 * given), wrapping the instance's own methods, so that its state stays its own (recordingReads
 * makes another object, on which SqliteDb's methods would keep their state apart).
 */
export async function statementsDuring(db: Db, work: () => Promise<unknown>, including?: string): Promise<number> {
  const original = { all: db.all, get: db.get, run: db.run };
  let count = 0;
  const counts = (statement: Statement): boolean => including === undefined || compile(statement, db.engine).text.includes(including);
  const counted = <F extends (statement: Statement, ...rest: never[]) => unknown>(method: F): F =>
    ((...args: Parameters<F>) => (counts(args[0]) && count++, method.apply(db, args))) as F;
  Object.assign(db, { all: counted(original.all), get: counted(original.get), run: counted(original.run) });
  try {
    await work();
  } finally {
    Object.assign(db, original);
  }
  return count;
}

/** One read made through recordingReads: which method, which statement, and the rows it returned. */
export interface RecordedRead {
  method: 'all' | 'get';
  statement: Statement;
  rows: unknown[];
}

/** `db`, recording every read (`all` and `get`) with what it returned: for tests of which statements a search plan runs and how much they read. */
export function recordingReads(db: Db): { db: Db; reads: RecordedRead[] } {
  const reads: RecordedRead[] = [];
  const recorded: Db = Object.create(db);
  recorded.all = async <Row,>(statement: Statement, params?: Parameters<Db['all']>[1]) => {
    const rows = await db.all<Row>(statement, params);
    reads.push({ method: 'all', statement, rows });
    return rows;
  };
  recorded.get = async <Row,>(statement: Statement, params?: Parameters<Db['get']>[1]) => {
    const row = await db.get<Row>(statement, params);
    reads.push({ method: 'get', statement, rows: row === undefined ? [] : [row] });
    return row;
  };
  return { db: recorded, reads };
}
