import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import secureSession from '@fastify/secure-session';
import fastifyStatic from '@fastify/static';
import view from '@fastify/view';
import nunjucks from 'nunjucks';
import type { Config } from './config.js';
import { dbPlugin } from './db/plugin.js';
import { oidcPlugin } from './auth/oidc.js';
import { authRoutes } from './auth/routes.js';
import { loadSessionUser, SESSION_IDLE_SECONDS } from './auth/session.js';
import { bookmarkRoutes } from './bookmarks/routes.js';
import { CARD_CACHE_ENTRIES, createCardRenderer } from './bookmarks/card-html.js';
import { transferRoutes } from './transfer/routes.js';
import { tokenRoutes } from './tokens/routes.js';
import { apiRoutes } from './api/routes.js';
import { API_PREFIX, isApiRequest } from './api/scope.js';
import { registerPrivateCaching } from './http/caching.js';
import { registerCsrfGuard } from './http/csrf.js';
import { clientErrorHandler, frameworkErrorHandler, methodsAllowedInstead, renderClientErrorPages, sendErrorPage } from './http/errors.js';
import { varyOnHtmx } from './http/htmx.js';
import { registerSecurityHeaders, securityHeaders } from './http/security.js';
import { DEFAULT_RATE_LIMITS, registerRateLimits } from './http/rate-limit.js';
import type { OidcSettings } from './config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config & { oidc: OidcSettings };
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const htmxDist = dirname(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Never log secrets: cookies, authorization headers, or the code and state of a sign-in callback. */
function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
    serializers: {
      req(request) {
        const url = request.url.startsWith('/auth/') ? request.url.split('?')[0] : request.url;
        return { method: request.method, url, remoteAddress: request.ip };
      },
    },
  };
}

export async function buildApp(config: Config & { oidc: OidcSettings }, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  // Logger options from the caller (a test's capture stream, a level) are merged in, so redaction and serializers stay.
  const { logger, ...rest } = options;
  const headers = securityHeaders(config.oidc.issuer.origin);
  let clientErrorPages: Awaited<ReturnType<typeof renderClientErrorPages>> | undefined;
  const app: FastifyInstance = Fastify({
    logger: logger === false ? false : { ...(loggerOptions(config) as object), ...(typeof logger === 'object' ? logger : {}) },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy ?? false,
    // Answers given before any hook runs (a URL the router cannot decode, a request the HTTP
    // parser refuses) still get the app's headers and error page.
    frameworkErrors: frameworkErrorHandler(() => app, headers),
    clientErrorHandler: clientErrorHandler(() => clientErrorPages, headers),
    ...rest,
  });
  app.decorate('config', config);
  // Before any plugin registers, so every route and every early answer (403, 429, 404) carries them.
  registerSecurityHeaders(app, headers);
  app.addHook('onSend', async (_request, reply) => varyOnHtmx(reply));

  await app.register(dbPlugin, { path: config.databasePath });
  await app.register(oidcPlugin, { settings: config.oidc });
  registerCsrfGuard(app, config.appBaseUrl.origin);
  await app.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
  const https = config.appBaseUrl.protocol === 'https:';
  await app.register(secureSession, {
    key: config.sessionKeys,
    // __Host- makes browsers refuse the cookie unless it is Secure, Path=/ and has no Domain,
    // so no subdomain can set or shadow it. They also refuse it over plain http (local development).
    cookieName: https ? '__Host-session' : 'session',
    expiry: SESSION_IDLE_SECONDS,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: https,
      maxAge: SESSION_IDLE_SECONDS,
    },
  });
  app.decorateRequest('user', null);
  registerPrivateCaching(app);
  app.addHook('preHandler', async (request) => {
    // The API takes bearer tokens only: its requests neither read nor refresh the session cookie.
    if (!isApiRequest(request)) request.user = loadSessionUser(request, app.db);
  });
  const rateLimits = { ...DEFAULT_RATE_LIMITS, ...config.rateLimits };
  await registerRateLimits(app, rateLimits);

  await app.register(view, {
    engine: { nunjucks },
    root: resolve(root, 'views'),
    options: {
      noCache: !config.production,
      // Cards are kept only where templates are: in development both reload.
      onConfigure: (env: nunjucks.Environment) => env.addGlobal('bookmarkCard', createCardRenderer(env, config.production ? CARD_CACHE_ENTRIES : 0)),
    },
  });
  await app.register(fastifyStatic, { root: resolve(root, 'static'), prefix: '/static/', maxAge: '1h' });
  await app.register(fastifyStatic, { root: htmxDist, prefix: '/vendor/', decorateReply: false, maxAge: '1d', allowedPath: (path) => path === '/htmx.min.js' });

  app.addHook('onReady', async () => {
    clientErrorPages = await renderClientErrorPages(app);
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: error.code, status }, 'request refused');
    return sendErrorPage(request, reply, status);
  });

  // A path some route has, asked with another method, is a 405 that names the methods it takes.
  app.setNotFoundHandler(async (request, reply) => {
    const allow = methodsAllowedInstead(app, request);
    if (!allow) return sendErrorPage(request, reply, 404);
    reply.header('Allow', allow.join(', '));
    return sendErrorPage(request, reply, 405);
  });

  const databaseAnswers = app.db.$client.prepare('SELECT 1').pluck();
  app.get('/healthz', async (request, reply) => {
    reply.type('text/plain; charset=utf-8');
    try {
      databaseAnswers.get();
    } catch (error) {
      request.log.error({ err: error }, 'health check: the database does not answer');
      return reply.code(503).send('database unavailable');
    }
    return reply.send('ok');
  });

  app.get('/', async (request, reply) => {
    if (request.user) return reply.redirect('/dashboard', 303);
    return reply.viewAsync('pages/login.njk', {});
  });

  await app.register(authRoutes);
  await app.register(bookmarkRoutes);
  await app.register(transferRoutes);
  await app.register(tokenRoutes);
  await app.register(apiRoutes, {
    prefix: API_PREFIX,
    perToken: rateLimits.apiPerToken,
    failedAuthPerIp: rateLimits.apiFailedAuthPerIp,
    windowMs: rateLimits.windowMs,
  });
  return app;
}
