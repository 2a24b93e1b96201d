import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AssetVersions, DEVELOPMENT_ASSET_CACHE_CONTROL, STALE_ASSET_CACHE_CONTROL, VERSIONED_ASSET_CACHE_CONTROL } from '../../src/http/assets.js';
import { as, html, useSignedInApp } from '../helpers.js';

/**
 * The files every page links to are named with a version of their content (?v=): a browser
 * keeps them for a year without asking again, and a new release's pages name new addresses.
 */
const files: Record<string, string> = {
  '/static/app.css': resolve('static/app.css'),
  '/static/app.js': resolve('static/app.js'),
  '/static/favicon.svg': resolve('static/favicon.svg'),
  '/static/icon-180.png': resolve('static/icon-180.png'),
  '/vendor/htmx.min.js': createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'),
};
const contentVersion = (file: string) => createHash('sha256').update(readFileSync(file)).digest('base64url').slice(0, 12);

/** The stylesheet, icons and scripts a page links to, as written. */
function linkedAssets(body: string): string[] {
  const page = html(body);
  return [
    ...[...page.querySelectorAll('link[rel="stylesheet"], link[rel="icon"], link[rel="apple-touch-icon"]')].map((link) => link.getAttribute('href')!),
    ...[...page.querySelectorAll('script[src]')].map((script) => script.getAttribute('src')!),
  ];
}

describe('in production, the pages name each file by the hash of its content', () => {
  const ctx = useSignedInApp({ production: true });

  it('signed in or not, every page links the same versioned addresses, and each is served for a year, immutable', async () => {
    const pages = [await as(ctx, null).get('/'), await as(ctx, 'alice').get('/dashboard'), await as(ctx, 'alice').get('/settings'), await as(ctx, 'alice').get('/no-such-page')];
    const expected = Object.entries(files).map(([path, file]) => `${path}?v=${contentVersion(file)}`).sort();
    for (const page of pages) expect(linkedAssets(page.body).sort()).toEqual(expected);

    for (const [path, file] of Object.entries(files)) {
      const response = await as(ctx, null).get(`${path}?v=${contentVersion(file)}`);
      expect(response.statusCode, path).toBe(200);
      expect(response.rawPayload.equals(readFileSync(file)), path).toBe(true);
      expect(response.headers['cache-control'], path).toBe(VERSIONED_ASSET_CACHE_CONTROL);
    }
  });

  it('an address with another version (a page of another release) gets the current file, never stored', async () => {
    for (const path of ['/static/app.css', '/vendor/htmx.min.js']) {
      const response = await as(ctx, null).get(`${path}?v=older0000000`);
      expect(response.statusCode, path).toBe(200);
      expect(response.rawPayload.equals(readFileSync(files[path]!)), path).toBe(true);
      expect(response.headers['cache-control'], path).toBe(STALE_ASSET_CACHE_CONTROL);
    }
    // A repeated v is one the app did not write: not the version either.
    expect((await as(ctx, null).get(`/static/app.css?v=${contentVersion(files['/static/app.css']!)}&v=x`)).headers['cache-control']).toBe(STALE_ASSET_CACHE_CONTROL);
  });

  it('an address without a version keeps the plain caching (the manifest, links from elsewhere)', async () => {
    expect((await as(ctx, null).get('/static/app.css')).headers['cache-control']).toBe('public, max-age=3600');
    expect((await as(ctx, null).get('/static/manifest.webmanifest')).headers['cache-control']).toBe('public, max-age=3600');
    expect((await as(ctx, null).get('/vendor/htmx.min.js')).headers['cache-control']).toBe('public, max-age=86400');
  });
});

describe('in development, the pages name each file by its modification time', () => {
  const ctx = useSignedInApp();

  it('and its answers are revalidated at each use', async () => {
    const page = await as(ctx, 'alice').get('/dashboard');
    const stylesheet = linkedAssets(page.body).find((address) => address.startsWith('/static/app.css?v='))!;
    expect(stylesheet).toBe(`/static/app.css?v=${Math.trunc(statSync(files['/static/app.css']!).mtimeMs).toString(36)}`);
    const response = await as(ctx, null).get(stylesheet);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe(DEVELOPMENT_ASSET_CACHE_CONTROL);
  });
});

describe('asset versions', () => {
  const folder = mkdtempSync(join(tmpdir(), 'assets-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const file = join(folder, 'site.css');
  const versionIn = (address: string) => address.split('?v=')[1];

  it('by content: the same bytes give the same address in every process', () => {
    writeFileSync(file, 'body { color: red }');
    const [one, other] = [new AssetVersions({ '/static/': folder }, true), new AssetVersions({ '/static/': folder }, true)];
    const address = one.url('/static/site.css');
    expect(address).toBe(`/static/site.css?v=${contentVersion(file)}`);
    expect(other.url('/static/site.css')).toBe(address);
    expect(one.cacheControl(file, statSync(file), versionIn(address))).toBe(VERSIONED_ASSET_CACHE_CONTROL);
    expect(one.cacheControl(file, statSync(file), 'other0000000')).toBe(STALE_ASSET_CACHE_CONTROL);
    expect(one.cacheControl(file, statSync(file), undefined)).toBeUndefined();
  });

  it('a file replaced while the process runs is never served as immutable under its old version, and the pages then name the new one', () => {
    writeFileSync(file, 'body { color: red }');
    const versions = new AssetVersions({ '/static/': folder }, true);
    const before = versions.url('/static/site.css');
    writeFileSync(file, 'body { color: blue }');
    expect(versions.cacheControl(file, statSync(file), versionIn(before))).toBe(STALE_ASSET_CACHE_CONTROL);
    const after = versions.url('/static/site.css');
    expect(after).toBe(`/static/site.css?v=${contentVersion(file)}`);
    expect(after).not.toBe(before);
    expect(versions.cacheControl(file, statSync(file), versionIn(after))).toBe(VERSIONED_ASSET_CACHE_CONTROL);
  });

  it('in development, by modification time, read at every page: an edited file gets a new address at the next reload', () => {
    writeFileSync(file, 'body { color: red }');
    utimesSync(file, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    const versions = new AssetVersions({ '/static/': folder }, false);
    const before = versions.url('/static/site.css');
    writeFileSync(file, 'body { color: green }');
    utimesSync(file, new Date('2026-01-02T00:00:00Z'), new Date('2026-01-02T00:00:00Z'));
    const after = versions.url('/static/site.css');
    expect(before).toBe(`/static/site.css?v=${Date.parse('2026-01-01T00:00:00Z').toString(36)}`);
    expect(after).toBe(`/static/site.css?v=${Date.parse('2026-01-02T00:00:00Z').toString(36)}`);
    expect(versions.cacheControl(file, statSync(file), versionIn(after))).toBe(DEVELOPMENT_ASSET_CACHE_CONTROL);
  });

  it('refuses to name what it does not serve: another folder, a path that climbs, a missing file', () => {
    writeFileSync(file, 'x');
    const versions = new AssetVersions({ '/static/': folder }, true);
    expect(() => versions.url('/elsewhere/site.css')).toThrow(/not a file/);
    expect(() => versions.url('/static/../package.json')).toThrow(/not a file/);
    expect(() => versions.url('/static/sub/site.css')).toThrow(/not a file/);
    expect(() => versions.url('/static/missing.css')).toThrow(/ENOENT/);
    expect(versions.cacheControl(file, statSync(file), ['a'])).toBe(STALE_ASSET_CACHE_CONTROL);
  });
});
