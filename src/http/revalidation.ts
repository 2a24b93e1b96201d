import { createHash, hash as hashOnce } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ownerVersion } from '../bookmarks/queries.js';
import { isFragmentRequest } from './htmx.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A page or fragment whose content follows only from the request, its user's data version
     * and the build: answered 304 when unchanged. A function says so request by request.
     */
    revalidate?: boolean | ((request: FastifyRequest) => boolean);
  }
}

/**
 * The dashboard, searches, cards and edit forms carry an ETag made of the build,
 * the user, their data version (owner_versions, moved by a trigger on every write,
 * by any process) and everything in the request the answer depends on; a matching
 * If-None-Match is answered 304 before the search runs or anything renders.
 * `private, no-cache` lets the browser keep the answer and ask again every time:
 * typing and backspacing, or coming back to the dashboard, is answered from its copy.
 *
 * A kept page comes back on Back without the browser asking, from its HTTP cache or its
 * back/forward cache: sign-out takes steps that empty both (src/auth/sign-out.ts), so pages
 * are kept only where those steps work (see registerRevalidation). A session that ends
 * without them (expiry) leaves them in that browser's history. Everything else stays `no-store`.
 * While signed in, a page shown again from either asks the server at once (static/app.js),
 * so writes made on it in place since are not hidden by the copy.
 */
export const REVALIDATED_CACHE_CONTROL = 'private, no-cache';

/**
 * The request headers a revalidated answer depends on, besides the URL: a fragment or the
 * page, and which fragment (not HX-Current-URL: the page asking changes as the box pushes history).
 */
const VARYING_HEADERS = ['hx-request', 'hx-history-restore-request', 'hx-trigger'] as const;

export function etagFor(build: string, request: FastifyRequest, version: number): string {
  let text = `${build}\0${request.user!.sub}\0${request.user!.name}\0${version}\0${request.method} ${request.url}`;
  for (const name of VARYING_HEADERS) text += `\0${request.headers[name] ?? ''}`;
  // One call into the hash, not fifteen: the same bytes as the parts one after another.
  return `"${hashOnce('sha256', text, 'base64url').slice(0, 27)}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  // Weak comparison (RFC 9110 §13.1.2), as for GET: a W/ prefix does not matter.
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/**
 * An identifier of what renders pages: the running code (dist/ in production,
 * src/ in development), the templates, the static files and the package
 * version. The same in every worker and replica of one build, so a 304 holds
 * across them; another build never matches, whatever it changed.
 */
export function buildIdentifier(folders: readonly string[], version: string, { contents = true } = {}): string {
  const hash = createHash('sha256').update(version);
  for (const folder of folders) {
    const files = (readdirSync(folder, { recursive: true }) as string[]).filter((name) => statSync(join(folder, name)).isFile()).sort();
    for (const name of files) {
      const path = join(folder, name);
      // Development reloads templates as they change: their times are enough, and cheap to read on every request.
      hash.update(`\0${path}\0`).update(contents ? readFileSync(path) : String(statSync(path).mtimeMs));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

declare module 'fastify' {
  interface FastifyReply {
    /** What every template of this answer sees besides its own data (@fastify/view sets it per request, untyped there). */
    locals: Record<string, unknown> | null;
  }
  interface FastifyRequest {
    /** Set by the revalidation check: the ETag a 200 answer to this request carries. */
    etag: string | null;
    /** Set by the revalidation check: the user's data version it read, for the handler to reuse. */
    ownerVersion: number | null;
  }
}

function revalidates(request: FastifyRequest): boolean {
  const { revalidate } = request.routeOptions.config;
  return typeof revalidate === 'function' ? revalidate(request) : revalidate === true;
}

/**
 * Registers the 304 check for routes whose `config.revalidate` is true, or a function that
 * says true for the request. In development, where templates reload without a restart,
 * `build` is asked per request. Pages (not only what htmx fetches) are kept only where
 * sign-out can take them back (`keepPages`): Back shows a kept page without asking the
 * server, htmx's fragments never.
 */
export function registerRevalidation(app: FastifyInstance, build: () => string, { keepPages }: { keepPages: boolean }): void {
  app.decorateRequest('etag', null);
  app.decorateRequest('ownerVersion', null);
  // Callback hooks: every other request passes straight through.
  app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (request.method !== 'GET' || !request.user || !revalidates(request) || (!keepPages && !isFragmentRequest(request))) return done();
    const user = request.user;
    // The session check read it already where there is a session.
    (typeof request.userDataVersion === 'number' ? Promise.resolve(request.userDataVersion) : ownerVersion(app.db, user.sub)).then((version) => {
      const etag = etagFor(build(), request, version);
      if (!matches(request.headers['if-none-match'], etag)) {
        request.etag = etag;
        request.ownerVersion = version;
        // A page names its own ETag: shown again by Back from the HTTP cache, static/app.js asks with it whether it changed.
        if (!isFragmentRequest(request) && reply.locals) reply.locals.pageEtag = etag;
        return done();
      }
      reply.code(304).header('ETag', etag).header('Cache-Control', REVALIDATED_CACHE_CONTROL).send();
    }).catch(done);
  });
  // Only a successful answer is kept and revalidated: an error (a 404, a 503) is asked again in full.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.etag && reply.statusCode === 200) reply.header('ETag', request.etag).header('Cache-Control', REVALIDATED_CACHE_CONTROL);
    done(null, payload);
  });
}
