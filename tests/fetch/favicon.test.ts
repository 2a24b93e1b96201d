import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FAVICON_BYTE_LIMIT, fetchFavicon, sniffImageType, type FaviconResult } from '../../src/fetch/index.js';
import { allowing, pump, resolverFrom, serve, startServer } from './servers.js';

// A real 1×1 PNG, and an ICO file holding it (ICONDIR, one ICONDIRENTRY, the PNG).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
function icoHolding(png: Buffer): Buffer {
  const header = Buffer.from([0, 0, 1, 0, 1, 0]);
  const entry = Buffer.alloc(16);
  entry.writeUInt8(1, 0); // width
  entry.writeUInt8(1, 1); // height
  entry.writeUInt16LE(1, 4); // planes
  entry.writeUInt16LE(32, 6); // bits per pixel
  entry.writeUInt32LE(png.length, 8);
  entry.writeUInt32LE(header.length + entry.length, 12);
  return Buffer.concat([header, entry, png]);
}
const ICO = icoHolding(PNG);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script></svg>';

async function iconFrom(status: number, headers: Record<string, string>, body: string | Buffer): Promise<FaviconResult> {
  const server = await startServer(serve(status, headers, body));
  return fetchFavicon(`${server.origin}/favicon.ico`, allowing([server]));
}

describe('fetchFavicon', () => {
  it('accepts a PNG, and names its type from its bytes', async () => {
    const server = await startServer(serve(200, { 'content-type': 'image/png' }, PNG));
    expect(await fetchFavicon(`${server.origin}/icon.png`, allowing([server]))).toEqual({
      ok: true,
      favicon: { url: `${server.origin}/icon.png`, bytes: PNG, contentType: 'image/png' },
    });
  });

  it('accepts an ICO even when the server calls it text/plain', async () => {
    expect(await iconFrom(200, { 'content-type': 'text/plain' }, ICO)).toMatchObject({ ok: true, favicon: { bytes: ICO, contentType: 'image/x-icon' } });
  });

  it('refuses SVG, whatever it is labelled', async () => {
    expect(await iconFrom(200, { 'content-type': 'image/svg+xml' }, SVG)).toEqual({ ok: false, reason: 'not_image' });
    expect(await iconFrom(200, { 'content-type': 'image/png' }, SVG)).toEqual({ ok: false, reason: 'not_image' });
  });

  it('refuses an HTML page served as image/png, by its bytes', async () => {
    expect(await iconFrom(200, { 'content-type': 'image/png' }, '<!doctype html><title>Not an icon</title>')).toEqual({ ok: false, reason: 'not_image' });
  });

  it('accepts exactly 32 KB and refuses a byte more, with or without a Content-Length', async () => {
    const fits = Buffer.concat([PNG, Buffer.alloc(FAVICON_BYTE_LIMIT - PNG.length)]);
    const over = Buffer.concat([fits, Buffer.alloc(1)]);
    expect(await iconFrom(200, { 'content-type': 'image/png' }, fits)).toMatchObject({ ok: true, favicon: { bytes: fits } });
    expect(await iconFrom(200, { 'content-type': 'image/png' }, over)).toEqual({ ok: false, reason: 'too_large', limit: 32 * 1024 });
    const chunked = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' }); // no Content-Length: the cap decides while reading
      response.write(PNG);
      void pump(response, Buffer.alloc(4096), 64 * 1024 * 1024);
    });
    expect(await fetchFavicon(`${chunked.origin}/`, allowing([chunked]))).toEqual({ ok: false, reason: 'too_large', limit: 32 * 1024 });
  });

  it('caps the decompressed size of a gzip-encoded icon', async () => {
    const small = gzipSync(ICO);
    expect(await iconFrom(200, { 'content-encoding': 'gzip' }, small)).toMatchObject({ ok: true, favicon: { bytes: ICO } });
    const inflated = gzipSync(Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]));
    expect(await iconFrom(200, { 'content-encoding': 'gzip' }, inflated)).toEqual({ ok: false, reason: 'too_large', limit: 32 * 1024 });
  });

  it('answers an error status as an http error', async () => {
    expect(await iconFrom(404, { 'content-type': 'image/png' }, PNG)).toEqual({ ok: false, reason: 'http_error', status: 404 });
  });

  it('goes through the same guard as pages: loopback refused, and a redirect to a private address refused', async () => {
    const inside = await startServer(serve(200, { 'content-type': 'image/png' }, PNG), { host: '127.0.0.2' });
    expect(await fetchFavicon(`${inside.origin}/favicon.ico`)).toMatchObject({ ok: false, reason: 'blocked', range: 'loopback' });
    const entry = await startServer(serve(302, { location: `http://icons.test:${inside.port}/favicon.ico` }));
    const options = allowing([entry], { resolver: resolverFrom({ 'icons.test': ['127.0.0.2'] }) });
    expect(await fetchFavicon(`${entry.origin}/favicon.ico`, options)).toMatchObject({ ok: false, reason: 'blocked', why: 'address' });
    expect(inside.connections).toBe(0);
  });

  it('follows a redirect to an allowed icon and reports where it ended', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/favicon.ico') return serve(301, { location: '/static/icon.png' })(request, response);
      serve(200, { 'content-type': 'image/png' }, PNG)(request, response);
    });
    expect(await fetchFavicon(`${server.origin}/favicon.ico`, allowing([server]))).toMatchObject({ ok: true, favicon: { url: `${server.origin}/static/icon.png` } });
  });
});

describe('sniffImageType', () => {
  it.each([
    ['PNG', PNG, 'image/png'],
    ['ICO', ICO, 'image/x-icon'],
    ['GIF87a', Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
    ['GIF89a', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
    ['WebP', Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8L')]), 'image/webp'],
    ['JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]), 'image/jpeg'],
  ])('recognises %s', (_name, bytes, type) => {
    expect(sniffImageType(bytes)).toBe(type);
  });

  it.each([
    ['SVG', Buffer.from(SVG)],
    ['HTML', Buffer.from('<!doctype html>')],
    ['an ICO header with no images', Buffer.from([0, 0, 1, 0, 0, 0])],
    ['a cursor (CUR)', Buffer.from([0, 0, 2, 0, 1, 0])],
    ['a RIFF that is not WebP', Buffer.from('RIFF\x1a\x00\x00\x00WAVEfmt ', 'latin1')],
    ['a truncated PNG signature', PNG.subarray(0, 4)],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s', (_name, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });
});
