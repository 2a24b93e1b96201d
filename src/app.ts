import { readFileSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import view from '@fastify/view';
import nunjucks from 'nunjucks';
import type { Config } from './config.js';
import { countLabel } from './english-format.js';
import { dbPlugin } from './db/plugin.js';
import type { AuthMode } from './auth/mode.js';
import { oidcMode } from './auth/oidc-mode.js';
import { proxyMode } from './auth/proxy.js';
import { bookmarkRoutes } from './bookmarks/routes.js';
import { CARD_CACHE_ENTRIES, createCardListRenderer, createCardRenderer } from './bookmarks/card-html.js';
import { transferRoutes } from './transfer/routes.js';
import { tokenRoutes } from './tokens/routes.js';
import { apiRoutes } from './api/routes.js';
import { faviconRoutes } from './favicons/routes.js';
import { PageLookups } from './bookmarks/page-lookups.js';
import { SearchIndexUpkeep } from './bookmarks/search-index-upkeep.js';
import { API_PREFIX } from './api/scope.js';
import { registerCsrfGuard } from './http/csrf.js';
import { sql } from 'drizzle-orm';
import { DatabaseUnavailableError } from './db/database.js';
import { clientErrorHandler, frameworkErrorHandler, methodsAllowedInstead, NotFoundError, renderClientErrorPages, renderError, renderGone } from './http/errors.js';
import { honoursClearSiteData, registerPrivateCaching } from './http/caching.js';
import { buildIdentifier, registerRevalidation } from './http/revalidation.js';
import { varyOnHtmx } from './http/htmx.js';
import { registerSecurityHeaders } from './http/security.js';
import { registerRateLimits } from './http/rate-limit.js';
import { AssetVersions } from './http/assets.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    /** Titles, descriptions and icons of the pages users save, fetched through the SSRF guard. */
    pageLookups: PageLookups;
    /** Merges the SQLite search index's segments in the background (after imports and, in production, hourly). */
    searchIndexUpkeep: SearchIndexUpkeep;
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const htmxDist = dirname(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'));
export const BODY_LIMIT_BYTES = 64 * 1024;
const appVersion = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Never log secrets: cookies, authorization headers, the proxy's secret, or the code and state of a sign-in callback. */
function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-proxy-secret"]', 'res.headers["set-cookie"]'],
    serializers: {
      req(request) {
        const url = request.url.startsWith('/auth/') ? request.url.split('?')[0] : request.url;
        return { method: request.method, url, remoteAddress: request.ip };
      },
    },
  };
}

/** The one place the sign-in mode is chosen: AUTH_MODE=proxy, or OpenID Connect (server.ts supplies the embedded provider in development). */
function chooseAuthMode(config: Config): AuthMode {
  if (config.proxyAuth) return proxyMode(config.proxyAuth, config.trustProxy);
  if (!config.oidc) throw new Error('buildApp needs OIDC settings (server.ts starts the embedded provider in development) or proxy sign-in');
  return oidcMode(config, config.oidc);
}

export async function buildApp(config: Config, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  // Logger options from the caller (a test's capture stream, a level) are merged in, so redaction and serializers stay.
  const { logger, ...rest } = options;
  const auth = chooseAuthMode(config);
  let clientErrorPages: Awaited<ReturnType<typeof renderClientErrorPages>> | undefined;
  const app: FastifyInstance = Fastify({
    logger: logger === false ? false : { ...(loggerOptions(config) as object), ...(typeof logger === 'object' ? logger : {}) },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    // Answers given before any hook runs (a URL the router cannot decode, a request the HTTP
    // parser refuses) still get the app's headers and error page.
    frameworkErrors: frameworkErrorHandler(() => app),
    clientErrorHandler: clientErrorHandler(() => clientErrorPages),
    ...rest,
  });
  app.decorate('config', config);
  app.decorate('authMode', auth);
  // Before any plugin registers, so every route and every early answer (403, 429, 404) carries them.
  registerSecurityHeaders(app);
  app.addHook('onSend', (_request, reply, payload, done) => {
    varyOnHtmx(reply);
    done(null, payload);
  });

  await app.register(dbPlugin, { target: config.database });
  registerCsrfGuard(app, config.appBaseUrl.origin);
  await app.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
  app.decorateRequest('user', null);
  app.decorateRequest('userDataVersion', null);
  registerPrivateCaching(app);
  // Who the user is, before the rate limits, which count writes per user.
  await app.register(auth.identify);
  await registerRateLimits(app, config.rateLimits);
  // This file's own folder is the running code: dist/ in production, src/ in development.
  const rendering = [dirname(fileURLToPath(import.meta.url)), resolve(root, 'views'), resolve(root, 'static')];
  const build = buildIdentifier(rendering, appVersion);
  registerRevalidation(app, config.production ? () => build : () => buildIdentifier(rendering, appVersion, { contents: false }), {
    // Pages are kept only where sign-out can clear them from the browser again (no Sign out in proxy mode without a logout URL, no Clear-Site-Data over plain http).
    keepPages: auth.signOut && honoursClearSiteData(config.appBaseUrl),
  });
  const pageLookups = new PageLookups(app.db, config, app.log);
  app.decorate('pageLookups', pageLookups);
  // Added after the database's own hook, so it runs first: icons still being fetched are stored before the database closes.
  app.addHook('onClose', () => pageLookups.settled());
  const searchIndexUpkeep = new SearchIndexUpkeep(app.db, app.log);
  app.decorate('searchIndexUpkeep', searchIndexUpkeep);
  // Imports ask for a merge themselves; the periodic checks run in production (tests ask for runs).
  app.addHook('onReady', async () => {
    if (config.production) searchIndexUpkeep.start();
  });
  // Like the icons: a merge step in progress ends before the database closes.
  app.addHook('onClose', () => searchIndexUpkeep.close());

  const staticRoot = resolve(root, 'static');
  const assets = new AssetVersions({ '/static/': staticRoot, '/vendor/': htmxDist }, config.production);
  await app.register(view, {
    engine: { nunjucks },
    root: resolve(root, 'views'),
    options: {
      noCache: !config.production,
      // Cards are kept only where templates are: in development both reload.
      onConfigure: (env: nunjucks.Environment) => {
        env.addGlobal('bookmarkCards', createCardListRenderer(createCardRenderer(env, config.production ? CARD_CACHE_ENTRIES : 0)));
        env.addGlobal('signOut', auth.signOut);
        env.addGlobal('asset', (path: string) => assets.url(path));
        env.addFilter('countLabel', countLabel);
      },
    },
  });
  // Asked for by the address a page names (asset() in the templates), a file is kept for a year; by its bare address, as set here.
  const versionedCaching = (reply: FastifyReply, file: string, stat: Stats) => {
    const cacheControl = assets.cacheControl(file, stat, (reply.request.query as Record<string, unknown>).v);
    if (cacheControl) reply.header('Cache-Control', cacheControl);
  };
  await app.register(fastifyStatic, { root: staticRoot, prefix: '/static/', maxAge: '1h', setHeaders: versionedCaching });
  await app.register(fastifyStatic, {
    root: htmxDist,
    prefix: '/vendor/',
    decorateReply: false,
    maxAge: '1d',
    allowedPath: (path) => path === '/htmx.min.js',
    setHeaders: versionedCaching,
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (error instanceof DatabaseUnavailableError) request.log.error({ err: error.cause }, 'the database is not answering');
    else if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: error.code, status }, 'request refused');
    if (error instanceof NotFoundError && error.shownAs) return renderGone(request, reply, error.shownAs);
    return renderError(request, reply, status);
  });

  app.addHook('onReady', async () => {
    clientErrorPages = await renderClientErrorPages(app);
  });

  // A path some route has, asked with another method, is a 405 that names the methods it takes.
  app.setNotFoundHandler(async (request, reply) => {
    const allow = methodsAllowedInstead(app, request);
    if (!allow) return renderError(request, reply, 404);
    reply.header('Allow', allow.join(', '));
    return renderError(request, reply, 405);
  });

  const databaseAnswers = sql`SELECT 1 AS ok`;
  app.get('/healthz', async (request, reply) => {
    reply.type('text/plain; charset=utf-8');
    try {
      // A signed-in request has read the database already, in the session check.
      if (request.userDataVersion === null) await app.db.get(databaseAnswers);
    } catch (error) {
      request.log.error({ err: error }, 'health check: the database does not answer');
      return reply.code(503).send('database unavailable');
    }
    return reply.send('ok');
  });

  await app.register(auth.routes);
  await app.register(bookmarkRoutes);
  await app.register(faviconRoutes);
  await app.register(transferRoutes);
  await app.register(tokenRoutes);
  await app.register(apiRoutes, {
    prefix: API_PREFIX,
    perToken: config.rateLimits.apiPerToken,
    failedAuthPerIp: config.rateLimits.apiFailedAuthPerIp,
    windowMs: config.rateLimits.windowMs,
  });
  return app;
}
