import { once } from 'node:events';
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchPageMetadata, PAGE_BYTE_LIMIT, type PageResult } from '../../src/fetch/index.js';
import { allowing, pump, serve, startServer, type TestServer } from './servers.js';
import { createHeadScanner, MAX_HEAD_DEPTH, MAX_HELD_TAGS, MAX_ICON_LINKS } from '../../src/fetch/head.js';

const HTML = { 'content-type': 'text/html' };

async function fetchFrom(server: TestServer, path = '/', timeoutMs?: number): Promise<PageResult> {
  return fetchPageMetadata(`${server.origin}${path}`, allowing([server], timeoutMs === undefined ? {} : { timeoutMs }));
}

async function metadataOf(body: string | Buffer, headers: Record<string, string> = HTML): Promise<PageResult> {
  return fetchFrom(await startServer(serve(200, headers, body)));
}

/** Gzip members of a megabyte of spaces each, concatenated: about 1 KB on the wire per decompressed megabyte. */
function gzipBomb(megabytes: number, prefix = ''): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024, ' '), { level: 9 });
  return Buffer.concat([gzipSync(prefix), ...Array.from({ length: megabytes }, () => member)]);
}

describe('fetchPageMetadata: what it reads', () => {
  it('decodes entities in the title and leaves markup inside it as text', async () => {
    const result = await metadataOf('<title>\n  Tom &amp; Jerry &lt;3 &#x2603; &eacute;&nbsp;x <b>not bold</b> &unknown;\n</title>');
    expect(result).toMatchObject({ ok: true, metadata: { title: 'Tom & Jerry <3 ☃ é x <b>not bold</b> &unknown;' } });
  });

  it('prefers <title> and the meta description, falling back to Open Graph, then Twitter cards', async () => {
    expect(
      await metadataOf(
        '<head><meta property="og:title" content="OG title"><title>Real title</title><meta name="description" content="Meta &amp; description">' +
          '<meta property="og:description" content="OG description"></head>',
      ),
    ).toMatchObject({ ok: true, metadata: { title: 'Real title', description: 'Meta & description' } });
    expect(
      await metadataOf('<head><title>  </title><meta property="og:title" content="OG title"><meta name="og:description" content="OG description"></head>'),
    ).toMatchObject({ ok: true, metadata: { title: 'OG title', description: 'OG description' } });
    expect(await metadataOf('<head><meta name="twitter:title" content="Card"><meta name="twitter:description" content="Card text"></head>')).toMatchObject({
      ok: true,
      metadata: { title: 'Card', description: 'Card text' },
    });
  });

  it('turns control characters into spaces and keeps titles within the bookmark limit of 500 characters', async () => {
    const result = await metadataOf(`<title>a\u0007b\u0000c</title><meta name="description" content="${'é'.repeat(1500)}">`);
    expect(result).toMatchObject({ ok: true, metadata: { title: 'a b c' } });
    const long = await metadataOf(`<title>${'🦆'.repeat(600)}</title>`);
    expect(long.ok && [...long.metadata.title!]).toHaveLength(500);
    expect(result.ok && result.metadata.description).toHaveLength(1000);
  });

  it('reads a title that crosses from one slice of the head to the next, and a megabyte of title as its first 500 characters', async () => {
    // The head is read 64 KB at a time, giving the event loop back between slices.
    const filler = '<head><script>' + 'x'.repeat(65_520 - '<head><script></script><title>'.length) + '</script><title>';
    expect(filler.length).toBe(65_520);
    const split = await metadataOf(`${filler}Split across slices</title><meta name="description" content="After the split"></head>`);
    expect(split).toMatchObject({ ok: true, metadata: { title: 'Split across slices', description: 'After the split' } });
    const huge = await metadataOf(`<head><title>\u0007 ${'word '.repeat(200_000)}</title></head>`);
    expect(huge).toMatchObject({ ok: true, metadata: { title: 'word '.repeat(100).trimEnd() } });
    // Only the characters kept are cleaned, however much space comes before them.
    const indented = await metadataOf(`<head><title>${' '.repeat(4_000)}Word${'\n                '.repeat(300)}Page</title><meta name="description" content="Intro${'\u00a0'.repeat(8_000)}rest"></head>`);
    expect(indented).toMatchObject({ ok: true, metadata: { title: 'Word Page', description: 'Intro rest' } });
    const oneWord = await metadataOf(`<head><title>${'🦆'.repeat(300_000)}</title></head>`);
    expect(oneWord.ok && oneWord.metadata.title).toBe('🦆'.repeat(500));
  });

  it('chooses among the first MAX_ICON_LINKS icon links of a head, and no others', async () => {
    const server = await startServer((request, response) => {
      const links = Array.from({ length: Number(new URL(request.url!, 'http://x').searchParams.get('before')) }, (_, i) => `<link rel="icon" sizes="192x192" href="/big${i}.png">`);
      response.writeHead(200, HTML);
      response.end(`<head>${links.join('')}<link rel="icon" sizes="32x32" href="/right.png"></head>`);
    });
    const icon = async (before: number) => {
      const result = await fetchFrom(server, `/?before=${before}`);
      return result.ok ? result.metadata.faviconUrl.replace(server.origin, '') : undefined;
    };
    expect(await icon(MAX_ICON_LINKS - 1)).toBe('/right.png');
    expect(await icon(MAX_ICON_LINKS)).toBe('/big0.png');
    expect(await icon(15_000)).toBe('/big0.png');
  });

  it('picks the icon link nearest 32 px, skips SVG, resolves against <base>, and falls back to apple-touch-icon and /favicon.ico', async () => {
    const pick = async (head: string): Promise<string | undefined> => {
      const server = await startServer(serve(200, HTML, `<head>${head}</head>`));
      const result = await fetchFrom(server, '/dir/page');
      return result.ok ? result.metadata.faviconUrl.replace(server.origin, '') : undefined;
    };
    expect(await pick('<link rel="shortcut icon" href="icon.png">')).toBe('/dir/icon.png');
    expect(await pick('<link rel="ICON" href="/a.svg"><link rel="icon" type="image/svg+xml" href="/b"><link rel="icon" href="/c.ico">')).toBe('/c.ico');
    expect(await pick('<link rel="icon" sizes="192x192" href="/big.png"><link rel="icon" sizes="16x16 32x32" href="/small.png">')).toBe('/small.png');
    // Only the start of `sizes` is read (a real list is a few tokens): a pattern searched through all of it once
    // took time in the square of a long run of digits, with the process stopped meanwhile.
    expect(await pick(`<link rel="icon" sizes="${'1'.repeat(300)} 32x32" href="/late.png"><link rel="icon" sizes="20x20" href="/near.png">`)).toBe('/near.png');
    expect(await pick('<link rel="icon" sizes="24x24" href="/near.png"><link rel="icon" sizes="16x16,32x32" href="/listed.png">')).toBe('/listed.png');
    expect(await pick('<link rel="icon" sizes="24x24" href="/near.png"><link rel="icon" sizes="32x32px" href="/unit.png">')).toBe('/unit.png');
    expect(await pick(`<link rel="icon" sizes="${'1'.repeat(900_000)}" href="/digits.png"><link rel="icon" sizes="32x32" href="/right.png">`)).toBe('/right.png');
    expect(await pick(`<link rel="icon" sizes="${'16x16 '.repeat(150_000)}" href="/many.png"><link rel="icon" sizes="48x48" href="/far.png">`)).toBe('/many.png');
    expect(await pick('<base href="/assets/"><link rel="icon" href="i.gif">')).toBe('/assets/i.gif');
    expect(await pick('<link rel="apple-touch-icon" href="/touch.png"><link rel="stylesheet" href="/s.css">')).toBe('/touch.png');
    expect(await pick('<link rel="icon" href="javascript:alert(1)"><link rel="mask-icon" href="/m.svg">')).toBe('/favicon.ico');
    expect(await pick('<link rel="icon" href="https://cdn.example.net/i.png">')).toBe('https://cdn.example.net/i.png');
  });

  it('reports the final address after redirects, and resolves /favicon.ico there', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/old') return serve(301, { location: '/new/' })(request, response);
      serve(200, HTML, '<title>Moved</title>')(request, response);
    });
    expect(await fetchFrom(server, '/old')).toEqual({
      ok: true,
      metadata: { url: `${server.origin}/new/`, title: 'Moved', description: null, faviconUrl: `${server.origin}/favicon.ico` },
    });
  });

  it.each([
    ['application/json', '{"title":"no"}'],
    ['image/png', '<title>no</title>'],
    ['text/plain', '<title>no</title>'],
    ['text/htmlx', '<title>no</title>'],
  ])('refuses Content-Type %s', async (contentType, body) => {
    expect(await metadataOf(body, { 'content-type': contentType })).toEqual({ ok: false, reason: 'not_html', contentType });
  });

  it('refuses a body without a Content-Type and accepts XHTML', async () => {
    expect(await metadataOf('<title>no</title>', {})).toEqual({ ok: false, reason: 'not_html', contentType: null });
    expect(await metadataOf('<html xmlns="http://www.w3.org/1999/xhtml"><head><title>XHTML</title></head></html>', { 'content-type': 'application/xhtml+xml' })).toMatchObject({
      ok: true,
      metadata: { title: 'XHTML' },
    });
  });
});

describe('fetchPageMetadata: character encodings', () => {
  // "Café – “quoted” €5" in windows-1252: é E9, en dash 96, quotes 93/94, euro 80.
  const cp1252 = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x96, 0x20, 0x93, 0x71, 0x75, 0x6f, 0x74, 0x65, 0x64, 0x94, 0x20, 0x80, 0x35]);
  const cp1252Text = 'Café – “quoted” €5';
  // 日本語のタイトル in Shift_JIS.
  const sjis = Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea, 0x82, 0xcc, 0x83, 0x5e, 0x83, 0x43, 0x83, 0x67, 0x83, 0x8b]);
  const sjisText = '日本語のタイトル';
  const page = (head: string, title: Buffer): Buffer => Buffer.concat([Buffer.from(`<html><head>${head}<title>`), title, Buffer.from('</title></head>')]);

  it.each([
    ['the header', { 'content-type': 'text/html; charset=windows-1252' }, ''],
    ['the header, quoted and in capitals', { 'content-type': 'text/html; Charset="WINDOWS-1252"' }, ''],
    ['the header as iso-8859-1 (which browsers read as windows-1252)', { 'content-type': 'text/html;charset=iso-8859-1' }, ''],
    ['<meta charset>', HTML, '<meta charset="windows-1252">'],
    ['<meta http-equiv>', HTML, '<meta http-equiv="Content-Type" content="text/html; charset=latin1">'],
    ['nothing (not valid UTF-8, so windows-1252)', HTML, ''],
  ])('reads windows-1252 declared by %s', async (_how, headers, head) => {
    expect(await metadataOf(page(head, cp1252), headers)).toMatchObject({ ok: true, metadata: { title: cp1252Text } });
  });

  it.each([
    ['the header', { 'content-type': 'text/html; charset=Shift_JIS' }, ''],
    ['<meta charset>', HTML, '<meta charset="shift_jis">'],
    ['<meta http-equiv>', HTML, '<meta http-equiv="content-type" content="text/html; charset=x-sjis">'],
  ])('reads Shift_JIS declared by %s', async (_how, headers, head) => {
    expect(await metadataOf(page(head, sjis), headers)).toMatchObject({ ok: true, metadata: { title: sjisText } });
  });

  it('finds a <meta charset> that comes after a kilobyte of head', async () => {
    const head = `<!-- ${'x'.repeat(4000)} --><meta charset="shift_jis">`;
    expect(await metadataOf(page(head, sjis))).toMatchObject({ ok: true, metadata: { title: sjisText } });
  });

  it('lets the header win over <meta>, and a byte order mark over both', async () => {
    const utf8 = Buffer.from('Grüße');
    expect(await metadataOf(page('<meta charset="windows-1252">', utf8), { 'content-type': 'text/html; charset=utf-8' })).toMatchObject({
      metadata: { title: 'Grüße' },
    });
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), page('<meta charset="shift_jis">', utf8)]);
    expect(await metadataOf(withBom, { 'content-type': 'text/html; charset=windows-1252' })).toMatchObject({ metadata: { title: 'Grüße' } });
  });

  it('reads undeclared UTF-8 as UTF-8, and ignores a charset it does not know', async () => {
    expect(await metadataOf(page('', Buffer.from('Naïve café ✓')))).toMatchObject({ metadata: { title: 'Naïve café ✓' } });
    expect(await metadataOf(page('', Buffer.from('Naïve')), { 'content-type': 'text/html; charset=no-such-charset' })).toMatchObject({
      metadata: { title: 'Naïve' },
    });
  });

  it('reads a UTF-16 page marked by its byte order mark', async () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<html><head><title>Wide ✓</title></head>', 'utf16le')]);
    expect(await metadataOf(body)).toMatchObject({ ok: true, metadata: { title: 'Wide ✓' } });
  });
});

describe('fetchPageMetadata: limits', () => {
  it('stops at </head>: a server that never finishes the body still gives an answer', async () => {
    let closed!: Promise<unknown>;
    const server = await startServer((_request, response) => {
      closed = once(response, 'close');
      response.writeHead(200, HTML);
      response.write('<html><head><title>Head only</title><meta name="description" content="Enough"></head>\n<body>');
      // …and never anything more, nor the end of the response.
    });
    expect(await fetchFrom(server, '/', 4000)).toMatchObject({ ok: true, metadata: { title: 'Head only', description: 'Enough' } });
    await closed; // the fetcher hung up rather than waiting for the rest
  });

  it('reads on past a <noscript> tracking pixel in the head', async () => {
    const head = '<title>Pixel</title><noscript><img src="/tr?id=1" height="1"></noscript><meta property="og:description" content="After the pixel">';
    expect(await metadataOf(`<html><head>${head}</head><body>`)).toMatchObject({ ok: true, metadata: { title: 'Pixel', description: 'After the pixel' } });
  });

  describe('markup nested deeper than any head (MAX_HEAD_DEPTH)', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    // htmlparser2 shifts and searches its list of open elements at every tag: a megabyte of
    // unclosed tags held the event loop for tens of seconds before the limit. What a <noscript>
    // holds opens nothing (below); one <noscript> inside another does.
    const nested = '<noscript>'.repeat(100_000);

    it('ends the head there: a server that never finishes the body still gives an answer', async () => {
      let closed!: Promise<unknown>;
      const server = await startServer((_request, response) => {
        closed = once(response, 'close');
        response.writeHead(200, HTML);
        response.write(`<html><head><title>Deep</title>${'<template>'.repeat(MAX_HEAD_DEPTH)}<meta name="description" content="never read">`);
      });
      expect(await fetchFrom(server, '/', 4000)).toMatchObject({ ok: true, metadata: { title: 'Deep', description: null } });
      await closed;
    });

    it('stops the parser at once, not at the end of what it was given: the rest of a megabyte of <noscript> is not read', async () => {
      const tagsRead = vi.spyOn(Parser.prototype, 'onopentagname');
      expect(await metadataOf(`<html><head><title>Kept</title>${nested}`)).toMatchObject({ ok: true, metadata: { title: 'Kept' } });
      // Two passes over the head (while reading, and in the page's encoding), each stopping just
      // past the limit: the head's own few tags and MAX_HEAD_DEPTH of the 100,000.
      expect(tagsRead.mock.calls.length).toBeLessThanOrEqual(2 * (MAX_HEAD_DEPTH + 4));
    });

    it('bounds the second pass too, when the declared encoding hides from the first what the second reads as tags', async () => {
      // Read provisionally as windows-1252, "<title>" opens a title whose text runs to the end; in
      // ISO-2022-JP it is inside a two-byte run, so the pass in the page's encoding meets every tag.
      const page = Buffer.concat([Buffer.from('<html><head><meta charset="iso-2022-jp"><noscript>\x1b$B<title>!\x1b(B', 'latin1'), Buffer.from(nested)]);
      const tagsRead = vi.spyOn(Parser.prototype, 'onopentagname');
      expect(await metadataOf(page)).toMatchObject({ ok: true, metadata: { title: null, description: null } });
      expect(tagsRead.mock.calls.length).toBeLessThanOrEqual(2 * (MAX_HEAD_DEPTH + 4));
    });
  });

  describe('what a <noscript> or <template> in the head holds', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it.each([
      ['unclosed tags', `<noscript>${'<span>'.repeat(40)}</noscript>`],
      ['tags written self-closing', `<template>${'<my-icon/>'.repeat(40)}</template>`],
      ['elements nested deep and closed', `<template>${'<div>'.repeat(40)}${'</div>'.repeat(40)}</template>`],
      ['closing tags of nothing open', `<noscript>${'</b>'.repeat(40)}</noscript>`],
    ])('is read past, whatever it is: %s', async (_what, held) => {
      const head = `<html><head><title>Held</title>${held}<meta name="description" content="After it">`;
      expect(await metadataOf(`${head}</head><body>`)).toMatchObject({ ok: true, metadata: { title: 'Held', description: 'After it' } });
    });

    it('opens nothing: MAX_HELD_TAGS unclosed tags in it leave the parser\'s list of open elements as it was', () => {
      const scanner = createHeadScanner();
      const pushed = vi.spyOn(Array.prototype, 'unshift');
      scanner.write(`<html><head><noscript>${'<x>'.repeat(MAX_HELD_TAGS)}</noscript><meta name="description" content="After them">`);
      // html, head and noscript; not one <x>.
      expect(pushed.mock.calls.length).toBeLessThanOrEqual(3);
      vi.restoreAllMocks();
      expect(scanner.end().metas.get('description')).toBe('After them');
    });

    it('is read up to MAX_HELD_TAGS tags: past them the head has ended, and the rest of a megabyte is not read', async () => {
      const tagsRead = vi.spyOn(Parser.prototype, 'onopentagname');
      const page = `<html><head><title>Kept</title><noscript>${'<x>'.repeat(300_000)}</noscript><meta name="description" content="never read">`;
      expect(await metadataOf(page)).toMatchObject({ ok: true, metadata: { title: 'Kept', description: null } });
      // Two passes over the head, each stopping just past the limit.
      expect(tagsRead.mock.calls.length).toBeLessThanOrEqual(2 * (MAX_HELD_TAGS + 5));
    });
  });

  it.each([
    ['a body element', '<body>'],
    ['a body-only element', '<div>'],
    ['text outside the head', 'Hello'],
  ])('stops at the first body content when there is no </head>: %s', async (_what, start) => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, HTML);
      response.write(`<title>No head end</title>${start}<meta name="description" content="in the body, ignored">`);
    });
    expect(await fetchFrom(server, '/', 4000)).toMatchObject({ ok: true, metadata: { title: 'No head end', description: null } });
  });

  it('gives up on a server that never answers, with a timeout', async () => {
    const server = await startServer(() => {});
    expect(await fetchFrom(server, '/', 200)).toEqual({ ok: false, reason: 'timeout' });
  });

  it('gives up on a head that trickles in too slowly, with a timeout', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, HTML);
      response.write('<html><head><title>Slow');
    });
    expect(await fetchFrom(server, '/', 200)).toEqual({ ok: false, reason: 'timeout' });
  });

  it('has one deadline for the whole redirect chain, not one per hop', async () => {
    // Each hop answers well inside the deadline; the chain of five does not.
    const server = await startServer((request, response) => {
      const n = Number(request.url?.slice(1));
      setTimeout(() => (n > 0 ? serve(302, { location: `/${n - 1}` }) : serve(200, HTML, '<title>Late</title>'))(request, response), 100);
    });
    expect(await fetchFrom(server, '/5', 350)).toEqual({ ok: false, reason: 'timeout' });
  });

  it('includes a slow DNS answer in the deadline', async () => {
    const never = (): Promise<string[]> => new Promise(() => {});
    expect(await fetchPageMetadata('http://slow-dns.test/', { resolver: never, timeoutMs: 100 })).toEqual({ ok: false, reason: 'timeout' });
  });

  it('reads at most 1 MB of a head that never ends, and stops the server from sending more', async () => {
    let sent!: Promise<number>;
    const offered = 64 * 1024 * 1024;
    const server = await startServer((_request, response) => {
      response.writeHead(200, HTML);
      response.write('<html><head>');
      sent = pump(response, Buffer.from('<meta name="filler" content="0123456789abcdef">\n'.repeat(1024)), offered);
    });
    expect(await fetchFrom(server)).toEqual({ ok: false, reason: 'too_large', limit: PAGE_BYTE_LIMIT });
    // What the kernel's socket buffers took on top of the megabyte read, but nowhere near all of it.
    expect(await sent).toBeLessThan(offered / 2);
  });

  it('still answers with the title a head over 1 MB started with', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, HTML);
      response.write('<html><head><title>Big head</title><script>');
      void pump(response, Buffer.alloc(64 * 1024, 'x'), 64 * 1024 * 1024);
    });
    expect(await fetchFrom(server)).toMatchObject({ ok: true, metadata: { title: 'Big head' } });
  });

  it('stops inflating a gzip bomb at 1 MB', async () => {
    const bomb = gzipBomb(1024); // 1 GB of spaces in about 1 MB
    expect(await metadataOf(bomb, { ...HTML, 'content-encoding': 'gzip' })).toEqual({ ok: false, reason: 'too_large', limit: PAGE_BYTE_LIMIT });
    const titled = gzipBomb(1024, '<html><head><title>Bomb</title>');
    expect(await metadataOf(titled, { ...HTML, 'content-encoding': 'gzip' })).toMatchObject({ ok: true, metadata: { title: 'Bomb' } });
  });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
  ])('decompresses Content-Encoding: %s', async (encoding, compress) => {
    const body = compress(Buffer.from('<html><head><title>Squeezed</title></head>'));
    expect(await metadataOf(body, { ...HTML, 'content-encoding': encoding })).toMatchObject({ ok: true, metadata: { title: 'Squeezed' } });
  });

  it('offers no Brotli, whose decoder takes the window its sender declares (16 MB for a body of 38 bytes), and refuses one sent anyway', async () => {
    let offered: string | undefined;
    const bomb = brotliCompressSync(Buffer.alloc(20 * 1024 * 1024, 0x41), {
      params: { [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: 20 * 1024 * 1024 },
    });
    expect(bomb.length).toBeLessThan(100);
    const server = await startServer((request, response) => {
      offered = request.headers['accept-encoding'];
      response.writeHead(200, { ...HTML, 'content-encoding': 'br' }).end(bomb);
    });
    try {
      expect(await fetchFrom(server)).toEqual({ ok: false, reason: 'network_error', code: 'UNSUPPORTED_CONTENT_ENCODING' });
      expect(offered).toBe('gzip, deflate');
    } finally {
      await server.close();
    }
  });

  it('reports a corrupt or unknown encoding as a network error', async () => {
    expect(await metadataOf(Buffer.from('not gzip at all'), { ...HTML, 'content-encoding': 'gzip' })).toMatchObject({ ok: false, reason: 'network_error' });
    expect(await metadataOf(Buffer.from('<title>x</title>'), { ...HTML, 'content-encoding': 'zstd' })).toEqual({
      ok: false,
      reason: 'network_error',
      code: 'UNSUPPORTED_CONTENT_ENCODING',
    });
  });

  it('reports a refused connection as a network error', async () => {
    const server = await startServer(() => {});
    const { port } = server;
    await server.close();
    expect(await fetchPageMetadata(`http://127.0.0.1:${port}/`, allowing([server]))).toEqual({ ok: false, reason: 'network_error', code: 'ECONNREFUSED' });
  });
});
