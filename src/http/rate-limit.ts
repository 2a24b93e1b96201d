import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isFragmentRequest } from './htmx.js';

export interface RateLimits {
  /** Requests to /auth/* per client IP per window: slows down callback and login abuse. */
  authPerIp: number;
  /** HTML writes (POST/PUT/DELETE outside /auth and /api) per signed-in user per window. */
  writesPerUser: number;
  /** JSON API requests per token per window (unset: the default). */
  apiPerToken?: number;
  /** JSON API requests with a missing or bad token per client IP per window (unset: the default). */
  apiFailedAuthPerIp?: number;
  windowMs: number;
}

/** Far above what a person clicks, and above what the e2e suite and the soak need per user or IP. */
export const DEFAULT_RATE_LIMITS: Required<RateLimits> = { authPerIp: 120, writesPerUser: 300, apiPerToken: 300, apiFailedAuthPerIp: 60, windowMs: 60_000 };

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Check = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Limits for the HTML routes only; /api/v1 has its own per-token limit. The
 * matched route decides, so 404s and path tricks neither count nor escape.
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits = DEFAULT_RATE_LIMITS): Promise<void> {
  let authCheck!: Check;
  let writeCheck!: Check;
  // Registered in a child scope so its decorators and onRoute hook never meet the API's own instance.
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false });
    authCheck = scope.createRateLimit({ max: limits.authPerIp, timeWindow: limits.windowMs, keyGenerator: (r) => `auth:${r.ip}` });
    writeCheck = scope.createRateLimit({ max: limits.writesPerUser, timeWindow: limits.windowMs, keyGenerator: (r) => `write:${r.user?.sub}` });
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.url?.startsWith('/auth/')) return;
    const result = await authCheck(request);
    if (!result.isAllowed && result.isExceeded) return tooManyRequests(request, reply, result.ttlInSeconds);
  });

  // A preHandler, after the session is read: anonymous writes are refused by requireUser anyway.
  app.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url;
    if (!request.user || !WRITE_METHODS.has(request.method) || !route || route.startsWith('/api/') || route.startsWith('/auth/')) return;
    const result = await writeCheck(request);
    if (!result.isAllowed && result.isExceeded) return tooManyRequests(request, reply, result.ttlInSeconds);
  });
}

/** A full page for browsers; for htmx a short notice swapped into the page's #notice region. */
async function tooManyRequests(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number): Promise<FastifyReply> {
  const seconds = Math.max(1, retryAfterSeconds);
  request.log.warn({ route: request.routeOptions.url, retryAfter: seconds }, 'rate limit exceeded');
  reply.code(429).header('Retry-After', String(seconds)).header('Cache-Control', 'no-store');
  const message = `Too many requests. Please wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`;
  if (isFragmentRequest(request)) {
    reply.header('HX-Retarget', '#notice').header('HX-Reswap', 'innerHTML');
    return reply.send(await reply.viewAsync('partials/notice.njk', { message }));
  }
  return reply.send(await reply.viewAsync('pages/error.njk', { heading: 'Slow down', message, user: request.user }));
}
