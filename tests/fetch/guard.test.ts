import { readFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fetchFavicon, fetchPageMetadata } from '../../src/fetch/index.js';
import { allowing, APP_BASE_URL, optionsAllowing, resolverFrom, serve, startServer } from './servers.js';

const PAGE = '<!doctype html><html><head><title>Local page</title></head><body>hi</body></html>';
const HTML = { 'content-type': 'text/html; charset=utf-8' };

function redirectTo(location: string, status = 302): http.RequestListener {
  return serve(status, { location });
}

describe('the SSRF guard against real servers on loopback', () => {
  it('refuses a server on 127.0.0.1 by default, before connecting to it', async () => {
    const server = await startServer(serve(200, HTML, PAGE));
    expect(await fetchPageMetadata(`${server.origin}/`)).toMatchObject({ ok: false, reason: 'blocked', why: 'address', range: 'loopback' });
    expect(await fetchPageMetadata(`http://localhost:${server.port}/`, { resolver: resolverFrom({ localhost: ['127.0.0.1'] }) })).toMatchObject({
      ok: false,
      reason: 'blocked',
    });
    expect(await fetchFavicon(`${server.origin}/favicon.ico`)).toMatchObject({ ok: false, reason: 'blocked', range: 'loopback' });
    expect(server.connections).toBe(0);
  });

  it('reaches it once FETCH_ALLOW_HOSTS lists its host:port', async () => {
    const server = await startServer(serve(200, HTML, PAGE));
    const result = await fetchPageMetadata(`${server.origin}/`, allowing([server]));
    expect(result).toEqual({
      ok: true,
      metadata: { url: `${server.origin}/`, title: 'Local page', description: null, faviconUrl: `${server.origin}/favicon.ico` },
    });
    // Another port on the same host is not listed.
    expect(await fetchPageMetadata(`${server.origin}/`, optionsAllowing(`127.0.0.1:${server.port === 65535 ? 1 : server.port + 1}`))).toMatchObject({
      reason: 'blocked',
    });
    expect(server.requests).toHaveLength(1);
  });

  describe('redirects', () => {
    it('refuses a redirect from an allowed host to a private address, without connecting to it', async () => {
      const inside = await startServer(serve(200, HTML, PAGE), { host: '127.0.0.2' });
      const entry = await startServer((request, response) => {
        const targets: Record<string, string> = {
          '/ip': `${inside.origin}/`,
          '/mapped': `http://[::ffff:127.0.0.2]:${inside.port}/`,
          '/name': `http://inside.test:${inside.port}/`,
          '/odd': `http://0x7f.0.0.2:${inside.port}/`,
        };
        response.writeHead(302, { location: targets[request.url ?? ''] ?? '/' });
        response.end();
      });
      const options = allowing([entry], { resolver: resolverFrom({ 'inside.test': ['127.0.0.2'] }) });
      for (const path of ['/ip', '/mapped', '/name', '/odd']) {
        expect(await fetchPageMetadata(`${entry.origin}${path}`, options)).toMatchObject({ ok: false, reason: 'blocked', why: 'address' });
      }
      expect(entry.requests.map((r) => r.url)).toEqual(['/ip', '/mapped', '/name', '/odd']);
      expect(inside.connections).toBe(0);
    });

    it('refuses a redirect to the same server under a name that is not allowed', async () => {
      const server = await startServer((request, response) => {
        if (request.url === '/') return redirectTo(`http://localhost:${server.port}/page`)(request, response);
        serve(200, HTML, PAGE)(request, response);
      });
      const options = allowing([server], { resolver: resolverFrom({ localhost: ['127.0.0.1'] }) });
      expect(await fetchPageMetadata(`${server.origin}/`, options)).toMatchObject({ ok: false, reason: 'blocked', url: `http://localhost:${server.port}/page` });
      expect(server.requests.map((r) => r.url)).toEqual(['/']);
    });

    it.each(['file:///etc/passwd', 'ftp://127.0.0.1/', 'gopher://127.0.0.1:6379/_FLUSHALL', 'javascript:alert(1)', 'data:text/html,<title>x</title>'])(
      'refuses a redirect to %s',
      async (location) => {
        const server = await startServer(redirectTo(location));
        expect(await fetchPageMetadata(`${server.origin}/`, allowing([server]))).toMatchObject({ ok: false, reason: 'blocked', why: 'scheme' });
        expect(await fetchFavicon(`${server.origin}/`, allowing([server]))).toMatchObject({ ok: false, reason: 'blocked', why: 'scheme' });
      },
    );

    it('refuses a redirect that adds credentials', async () => {
      const server = await startServer((request, response) => {
        if (request.url === '/') return redirectTo(`http://user:pw@127.0.0.1:${server.port}/page`)(request, response);
        serve(200, HTML, PAGE)(request, response);
      });
      expect(await fetchPageMetadata(`${server.origin}/`, allowing([server]))).toMatchObject({ ok: false, reason: 'blocked', why: 'credentials' });
      expect(server.requests.map((r) => r.url)).toEqual(['/']);
    });

    /** /hop/N redirects to /hop/N-1 (each status in turn, each form of relative address); /hop/0 is the page. */
    async function hopServer(): Promise<Awaited<ReturnType<typeof startServer>>> {
      const statuses = [301, 302, 303, 307, 308];
      const server = await startServer((request, response) => {
        const n = Number(/^\/hop\/(\d+)/.exec(request.url ?? '')?.[1] ?? 0);
        if (n === 0) return serve(200, HTML, `<title>Arrived</title>`)(request, response);
        const forms = [`/hop/${n - 1}`, `${n - 1}`, `./${n - 1}?from=${n}`, `//127.0.0.1:${server.port}/hop/${n - 1}`, `${server.origin}/hop/${n - 1}#frag`];
        redirectTo(forms[n % forms.length]!, statuses[n % statuses.length])(request, response);
      });
      return server;
    }

    it('follows five redirects, absolute and relative, to the page', async () => {
      const server = await hopServer();
      const result = await fetchPageMetadata(`${server.origin}/hop/5`, allowing([server]));
      expect(result).toMatchObject({ ok: true, metadata: { title: 'Arrived', url: `${server.origin}/hop/0` } });
      expect(server.requests.map((r) => r.url)).toEqual(['/hop/5', '/hop/4', '/hop/3', '/hop/2', '/hop/1?from=2', '/hop/0']);
    });

    it('refuses a sixth redirect without following it', async () => {
      const server = await hopServer();
      expect(await fetchPageMetadata(`${server.origin}/hop/6`, allowing([server]))).toEqual({ ok: false, reason: 'too_many_redirects' });
      expect(server.requests).toHaveLength(6);
      expect(await fetchFavicon(`${server.origin}/hop/6`, allowing([server]))).toEqual({ ok: false, reason: 'too_many_redirects' });
    });

    it('resolves ../ and query-only locations against the current hop', async () => {
      const server = await startServer((request, response) => {
        if (request.url === '/a/b/c') return redirectTo('../d?x=1')(request, response);
        if (request.url === '/a/d?x=1') return redirectTo('?y=2')(request, response);
        serve(200, HTML, '<title>Relative</title>')(request, response);
      });
      expect(await fetchPageMetadata(`${server.origin}/a/b/c`, allowing([server]))).toMatchObject({ ok: true, metadata: { url: `${server.origin}/a/d?y=2` } });
      expect(server.requests.map((r) => r.url)).toEqual(['/a/b/c', '/a/d?x=1', '/a/d?y=2']);
    });

    it('answers a redirect without a Location, or an error status, as an http error', async () => {
      const server = await startServer((request, response) => {
        response.writeHead(request.url === '/gone' ? 410 : 302);
        response.end();
      });
      expect(await fetchPageMetadata(`${server.origin}/`, allowing([server]))).toEqual({ ok: false, reason: 'http_error', status: 302 });
      expect(await fetchPageMetadata(`${server.origin}/gone`, allowing([server]))).toEqual({ ok: false, reason: 'http_error', status: 410 });
    });
  });

  describe('DNS rebinding', () => {
    it('connects to the address it checked, never to what a second lookup would answer', async () => {
      // Same port on two loopback addresses: the first answer is the checked one, the second the rebound one.
      const checked = await startServer(serve(200, HTML, '<title>Checked</title>'));
      const rebound = await startServer(serve(200, HTML, '<title>Rebound</title>'), { host: '127.0.0.2', port: checked.port });
      let calls = 0;
      const resolver = async (): Promise<string[]> => (++calls === 1 ? ['127.0.0.1'] : ['127.0.0.2']);
      const result = await fetchPageMetadata(`http://rebind.test:${checked.port}/`, optionsAllowing(`rebind.test:${checked.port}`, { resolver }));
      expect(result).toMatchObject({ ok: true, metadata: { title: 'Checked' } });
      expect(calls).toBe(1);
      expect(checked.requests).toHaveLength(1);
      expect(checked.requests[0]!.headers.host).toBe(`rebind.test:${checked.port}`);
      expect(rebound.connections).toBe(0);
    });

    it('refuses a name whose answers mix a public and a loopback address, and connects nowhere', async () => {
      const server = await startServer(serve(200, HTML, PAGE), { host: '127.0.0.2' });
      const resolver = resolverFrom({ 'mixed.test': ['127.0.0.2', '93.184.215.14'] });
      expect(await fetchPageMetadata(`http://mixed.test:${server.port}/`, { resolver })).toMatchObject({ ok: false, reason: 'blocked', address: '127.0.0.2' });
      expect(server.connections).toBe(0);
    });
  });

  describe('what is sent', () => {
    it('never sends a Cookie or Authorization, even after a redirect that sets a cookie and asks for auth', async () => {
      const server = await startServer((request, response) => {
        if (request.url === '/login') {
          response.writeHead(302, { location: '/page', 'set-cookie': 'session=secret; Path=/', 'www-authenticate': 'Basic realm="x"' });
          return response.end();
        }
        serve(200, HTML, PAGE)(request, response);
      });
      expect(await fetchPageMetadata(`${server.origin}/login`, allowing([server]))).toMatchObject({ ok: true });
      expect(await fetchFavicon(`${server.origin}/login`, allowing([server]))).toMatchObject({ ok: false, reason: 'not_image' });
      expect(server.requests).toHaveLength(4);
      for (const { headers } of server.requests) {
        expect(headers.cookie).toBeUndefined();
        expect(headers.authorization).toBeUndefined();
        expect(headers['proxy-authorization']).toBeUndefined();
        expect(headers['user-agent']).toBe(`BookmarksBot/0.1 (+${APP_BASE_URL})`);
      }
    });

    it('refuses a URL with credentials instead of sending them', async () => {
      const server = await startServer(serve(200, HTML, PAGE));
      const url = `http://alice:hunter2@127.0.0.1:${server.port}/`;
      expect(await fetchPageMetadata(url, allowing([server]))).toMatchObject({ ok: false, reason: 'blocked', why: 'credentials' });
      expect(await fetchFavicon(url, allowing([server]))).toMatchObject({ ok: false, reason: 'blocked', why: 'credentials' });
      expect(server.connections).toBe(0);
    });

    it('speaks TLS to the pinned address with the host name as SNI, and refuses a certificate it cannot verify', async () => {
      const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
      const names: string[] = [];
      const server = https.createServer({
        key: fixture('secure-test.key'),
        cert: fixture('secure-test.crt'),
        SNICallback: (servername, done) => {
          names.push(servername);
          done(null, undefined);
        },
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const resolver = resolverFrom({ 'secure.test': ['127.0.0.1'] });
        const result = await fetchPageMetadata(`https://secure.test:${port}/`, optionsAllowing(`secure.test:${port}`, { resolver }));
        // Self-signed (a test-only key): a fetcher that skipped verification would have read the page.
        expect(result).toEqual({ ok: false, reason: 'network_error', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
        expect(names).toEqual(['secure.test']);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('answers text that is not a URL as invalid_url', async () => {
      expect(await fetchPageMetadata('not a url')).toEqual({ ok: false, reason: 'invalid_url' });
      expect(await fetchFavicon('')).toEqual({ ok: false, reason: 'invalid_url' });
    });
  });
});

describe('FETCH_SITES=allowed: only the listed hosts', () => {
  it('refuses any other host before asking DNS, public or not, and after a redirect too', async () => {
    const server = await startServer(serve(200, HTML, PAGE));
    const resolver = resolverFrom({ 'public.example': ['93.184.215.14'] });
    const only = allowing([server], { onlyAllowedHosts: true, resolver });
    expect(await fetchPageMetadata('http://public.example/', only)).toEqual({ ok: false, reason: 'blocked', why: 'host', url: 'http://public.example/' });
    expect(await fetchPageMetadata('http://93.184.215.14/', only)).toMatchObject({ ok: false, reason: 'blocked', why: 'host' });
    expect(resolver.calls).toEqual([]);
    expect(await fetchPageMetadata(`${server.origin}/`, only)).toMatchObject({ ok: true, metadata: { title: 'Local page' } });

    const hop = await startServer(redirectTo('http://public.example/'));
    expect(await fetchPageMetadata(`${hop.origin}/`, allowing([hop], { onlyAllowedHosts: true, resolver }))).toMatchObject({ reason: 'blocked', why: 'host' });
    expect(resolver.calls).toEqual([]);
  });
});
