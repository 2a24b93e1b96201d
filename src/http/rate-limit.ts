import rateLimit from '@fastify/rate-limit';
import ipaddr from 'ipaddr.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimits } from '../config.js';
import { isApiRequest } from '../api/scope.js';
import { renderError } from './errors.js';
import { WRITE_METHODS } from './methods.js';
import { databaseRateLimitStore } from './rate-limit-store.js';
import { PRIVATE_CACHE_CONTROL } from './caching.js';

type Check = ReturnType<FastifyInstance['createRateLimit']>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Outside the per-IP limit on /auth/*: sign-out's steps, which must never be refused (src/auth/sign-out.ts). */
    neverRateLimited?: boolean;
  }

  interface FastifyInstance {
    /**
     * Counts one page fetch (with its icon) for the request's user, signed in or holding
     * an API token, and says whether it is within the per-user fetch limit.
     */
    allowFetch(request: FastifyRequest): Promise<boolean>;
  }
}

/**
 * The client a per-address limit counts: an IPv4 address however the socket writes it
 * (a dual-stack listener gives ::ffff:192.0.2.7), and an IPv6 client's /64, never its one
 * address: one host holds the whole /64 and picks a new address in it at will, so each
 * would have been a fresh limit.
 */
export function clientNetwork(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${prefix.join(':')}::/64`;
}

/** Whoever the fetch is for: the signed-in user, or the API token's owner. */
const fetchOwner = (request: FastifyRequest): string => request.user?.sub ?? request.apiToken?.ownerSub ?? `ip:${clientNetwork(request.ip)}`;

/**
 * Limits for the HTML routes only; /api/v1 has its own per-token limit (the page fetch
 * limit, allowFetch, counts both, per user). The
 * matched route decides, so 404s and path tricks neither count nor escape.
 * Counters live in the database (on SQLite, a file of their own: src/db/counter-db.ts), so every
 * process counts against one limit.
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  let authCheck!: Check;
  let writeCheck!: Check;
  let fetchCheck!: Check;
  // Registered in a child scope so its decorators and onRoute hook never meet the API's own instance.
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false, store: databaseRateLimitStore(app.counterDb) });
    authCheck = scope.createRateLimit({ max: limits.authPerIp, timeWindow: limits.windowMs, keyGenerator: (r) => `auth:${clientNetwork(r.ip)}` });
    writeCheck = scope.createRateLimit({ max: limits.writesPerUser, timeWindow: limits.windowMs, keyGenerator: (r) => `write:${r.user?.sub}` });
    fetchCheck = scope.createRateLimit({ max: limits.fetchesPerUser, timeWindow: limits.windowMs, keyGenerator: (r) => `fetch:${fetchOwner(r)}` });
  });

  app.decorate('allowFetch', async (request: FastifyRequest) => {
    const result = await fetchCheck(request);
    if (!result.isAllowed && result.isExceeded) {
      request.log.warn({ retryAfter: result.ttlInSeconds }, 'page fetch limit reached');
      return false;
    }
    return true;
  });

  // Callback hooks: they run on every request and let nearly all of them through without a turn of the event loop.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.routeOptions.url?.startsWith('/auth/') || request.routeOptions.config.neverRateLimited) return done();
    authCheck(request).then(async (result) => {
      if (!result.isAllowed && result.isExceeded) await tooManyRequests(request, reply, result.ttlInSeconds);
      else done();
    }).catch(done);
  });

  // A preHandler, after the session is read: anonymous writes are refused by requireUser anyway.
  app.addHook('preHandler', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (!request.user || !WRITE_METHODS.has(request.method) || !route || isApiRequest(request) || route.startsWith('/auth/')) return done();
    writeCheck(request).then(async (result) => {
      if (!result.isAllowed && result.isExceeded) await tooManyRequests(request, reply, result.ttlInSeconds);
      else done();
    }).catch(done);
  });
}

/** The friendly 429, with Retry-After: a full page for browsers, a notice for htmx. */
async function tooManyRequests(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): Promise<unknown> {
  const seconds = Math.max(1, retryAfterSeconds);
  request.log.warn({ route: request.routeOptions.url, retryAfter: seconds }, 'rate limit exceeded');
  reply.header('Retry-After', String(seconds)).header('Cache-Control', PRIVATE_CACHE_CONTROL);
  const message = `Too many requests. Please wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`;
  return reply.send(await renderError(request, reply, 429, message));
}
