import Fastify, { type FastifyRequest } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import type { IncomingHttpHeaders } from 'node:http';

/** Every user signs in to the stand-in proxy with this password (any user name, as the dev provider takes). */
export const PROXY_PASSWORD = 'proxy-password';

export interface ForwardAuthProxyOptions {
  /** The app, e.g. http://127.0.0.1:3000. */
  upstream: string;
  /** What the proxy sends as X-Proxy-Secret; null sends none (a proxy set up without it). */
  secret: string | null;
  /** The address the proxy connects to the app from (any 127.x.y.z works on Linux's loopback). */
  localAddress?: string;
  /** Identity header names; the defaults are Authelia's. */
  headers?: { user: string; email: string; name: string };
}

export interface ForwardAuthProxy {
  /** Where browsers and tests reach the app through the proxy. */
  url: string;
  /** The sign-in portal's origin (Authelia's auth.example.com), with a /logout page. */
  portalUrl: string;
  close(): Promise<void>;
}

/** The user a request signed in as at the proxy (HTTP Basic), or null. */
function basicUser(request: FastifyRequest): string | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1 || decoded.slice(colon + 1) !== PROXY_PASSWORD) return null;
  return decoded.slice(0, colon);
}

/**
 * A real reverse proxy (@fastify/http-proxy) on 127.0.0.1 acting as Traefik + Authelia's
 * forward-auth: it signs the browser in itself (HTTP Basic: any user name, PROXY_PASSWORD),
 * removes whatever identity headers the client sent and sets its own, as authResponseHeaders
 * does, adds X-Proxy-Secret, as a headers middleware does, and appends to X-Forwarded-For. /api/v1 goes through without
 * a sign-in (an Authelia bypass rule): its bearer tokens are the app's business.
 * A second listener plays the portal whose /logout the app's sign-out leads to.
 */
export async function startForwardAuthProxy(options: ForwardAuthProxyOptions): Promise<ForwardAuthProxy> {
  const names = options.headers ?? { user: 'Remote-User', email: 'Remote-Email', name: 'Remote-Name' };
  const identityHeaders = [names.user, names.email, names.name, 'X-Proxy-Secret'].map((name) => name.toLowerCase());
  const isApi = (url: string): boolean => url === '/api/v1' || url.startsWith('/api/v1/') || url.startsWith('/api/v1?');

  const portal = Fastify({ logger: false });
  portal.get('/logout', async (_request, reply) => reply.type('text/html; charset=utf-8').send('<!doctype html><title>Signed out</title><link rel="icon" href="data:,"><h1>Signed out of the proxy</h1>'));
  const portalUrl = await portal.listen({ host: '127.0.0.1', port: 0 });

  const proxy = Fastify({ logger: false });
  proxy.addHook('onRequest', async (request, reply) => {
    if (isApi(request.url)) return;
    if (basicUser(request) === null) {
      return reply.code(401).header('WWW-Authenticate', 'Basic realm="proxy"').type('text/plain; charset=utf-8').send('Sign in at the proxy');
    }
  });
  await proxy.register(httpProxy, {
    upstream: options.upstream,
    ...(options.localAddress ? { undici: { localAddress: options.localAddress } } : {}),
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => {
        const forwarded: IncomingHttpHeaders = { ...headers };
        for (const name of identityHeaders) delete forwarded[name];
        if (options.secret !== null) forwarded['x-proxy-secret'] = options.secret;
        // Like Traefik: the client's address appended to whatever X-Forwarded-For it sent.
        forwarded['x-forwarded-for'] = [headers['x-forwarded-for'], request.socket.remoteAddress].filter(Boolean).join(', ');
        if (isApi(request.url)) return forwarded;
        const user = basicUser(request as FastifyRequest)!;
        delete forwarded.authorization;
        forwarded[names.user.toLowerCase()] = user;
        forwarded[names.email.toLowerCase()] = `${user}@example.test`;
        forwarded[names.name.toLowerCase()] = user.charAt(0).toUpperCase() + user.slice(1);
        return forwarded;
      },
    },
  });
  const url = await proxy.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    portalUrl,
    close: async () => {
      await proxy.close();
      await portal.close();
    },
  };
}

/** The Authorization header a browser sends once signed in to the proxy. */
export function proxySignIn(user: string): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`${user}:${PROXY_PASSWORD}`).toString('base64')}` };
}
