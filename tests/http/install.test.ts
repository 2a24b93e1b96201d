import { describe, expect, it } from 'vitest';
import { as, html, useSignedInApp } from '../helpers.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

interface Manifest {
  name: string;
  start_url: string;
  display: string;
  icons: { src: string; sizes: string; type: string; purpose?: string }[];
  share_target: { action: string; method: string; params: Record<string, string> };
}

describe('installing the app', () => {
  const ctx = useSignedInApp();

  it('every page links the web app manifest, which browsers fetch without cookies', async () => {
    for (const [user, path] of [[null, '/'], ['alice', '/dashboard'], ['alice', '/bookmarks/new']] as const) {
      const page = html((await as(ctx, user).get(path)).body);
      expect(page.querySelector('link[rel="manifest"]')?.getAttribute('href'), path).toBe('/static/manifest.webmanifest');
    }
    const manifest = await ctx.app.inject({ method: 'GET', url: '/static/manifest.webmanifest' });
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
  });

  it('names the app, starts at the dashboard in its own window, and shares into the new-bookmark page', async () => {
    const manifest = (await ctx.app.inject({ method: 'GET', url: '/static/manifest.webmanifest' })).json() as Manifest;
    expect(manifest).toMatchObject({ name: 'Bookmarks', start_url: '/dashboard', display: 'standalone' });
    expect(manifest.share_target).toEqual({ action: '/bookmarks/new', method: 'GET', params: { title: 'title', text: 'text', url: 'url' } });
    // The action is a real page that takes those parameters.
    const shared = await as(ctx, 'alice').get('/bookmarks/new?title=T&text=See%20https%3A%2F%2Fexample.com%2F&url=');
    expect(html(shared.body).querySelector('#bookmark-url')?.getAttribute('value')).toBe('https://example.com/');
  });

  it('has icons of the sizes it declares, a maskable one among them', async () => {
    const manifest = (await ctx.app.inject({ method: 'GET', url: '/static/manifest.webmanifest' })).json() as Manifest;
    expect(manifest.icons.some((icon) => icon.purpose === 'maskable')).toBe(true);
    for (const icon of manifest.icons) {
      const answer = await ctx.app.inject({ method: 'GET', url: icon.src });
      expect(answer.statusCode, icon.src).toBe(200);
      expect(answer.headers['content-type'], icon.src).toMatch(new RegExp(`^${icon.type.replace('+', '\\+')}`));
      if (icon.type === 'image/png') {
        const [width, height] = icon.sizes.split('x').map(Number);
        expect(pngSize(answer.rawPayload), icon.src).toEqual({ width, height });
      }
    }
    for (const size of [192, 512]) expect(manifest.icons.some((icon) => icon.sizes === `${size}x${size}` && icon.type === 'image/png')).toBe(true);
  });
});
