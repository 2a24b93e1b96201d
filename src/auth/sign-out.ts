import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PRIVATE_CACHE_CONTROL, SIGN_OUT_CLEAR_SITE_DATA } from '../http/caching.js';
import { redirectToPage } from '../http/htmx.js';
import { claimText } from './session.js';

/** What a sign-in mode does at sign-out; the steps around it are the same in both. */
export interface SignOutSteps {
  /** Ends the session here. Returns the hint the provider's own sign-out takes (its session id), if any. */
  forget(request: FastifyRequest): Promise<string | undefined>;
  /** Where the browser goes last: the provider's or the proxy's sign-out, with that hint. */
  leaveTo(hint: string | undefined): string;
}

const SIGNING_OUT_PATH = '/auth/signing-out';
const LEAVE_PATH = '/auth/signing-out/leave';
/**
 * Left out of the per-IP limit on /auth/* (which slows down sign-in abuse): signing out must
 * always work, and a step refused halfway would leave the page signed out from in the
 * back/forward cache. None asks the provider anything; the post ends at most the caller's own session.
 */
const SIGN_OUT_STEP = { config: { neverRateLimited: true } };

/** The provider's session id travels between the steps in the query (not in the app's log: it logs /auth/ URLs without their query). */
function withHint(path: string, hint: string | undefined): string {
  return hint ? `${path}?${new URLSearchParams({ hint })}` : path;
}

/** The hint is the session's `sid`, so it passes only as the session would have kept it. */
function hintFrom(request: FastifyRequest): string | undefined {
  return claimText((request.query as { hint?: unknown }).hint);
}

/**
 * Sign-out in three steps, so that Back cannot bring back the page signed out from,
 * even though pages are kept by the browser (`private, no-cache`, src/http/revalidation.ts):
 *  1. POST /auth/logout ends the session and clears the browser's cache and storage for
 *     this site (Clear-Site-Data), which drops every page in the back/forward cache.
 *     The page signed out from is not there yet: it enters only when the next page shows.
 *  2. GET /auth/signing-out is that next page. Its meta refresh (no JavaScript needed)
 *     replaces it in the history with
 *  3. GET /auth/signing-out/leave, whose Clear-Site-Data drops the page signed out from,
 *     now in the back/forward cache, and which leads to the provider's or proxy's sign-out.
 * Back from there asks the server for the page signed out from, and gets the sign-in page.
 */
export function signOutRoutes(app: FastifyInstance, steps: SignOutSteps): void {
  // The address typed or followed from elsewhere: a GET must end nothing (a link or an image on
  // another site could sign anyone out), so it asks, and its button is the same POST as the header's.
  app.get('/auth/logout', SIGN_OUT_STEP, async (request, reply) => {
    if (!request.user) return redirectToPage(request, reply, '/');
    reply.header('Cache-Control', PRIVATE_CACHE_CONTROL);
    return reply.viewAsync('pages/sign-out.njk', { user: request.user });
  });

  app.post('/auth/logout', SIGN_OUT_STEP, async (request, reply) => {
    const hint = await steps.forget(request);
    reply.header('Clear-Site-Data', SIGN_OUT_CLEAR_SITE_DATA);
    return redirectToPage(request, reply, withHint(SIGNING_OUT_PATH, hint));
  });

  app.get(SIGNING_OUT_PATH, SIGN_OUT_STEP, async (request, reply) => {
    reply.header('Cache-Control', PRIVATE_CACHE_CONTROL);
    return reply.viewAsync('pages/signing-out.njk', { next: withHint(LEAVE_PATH, hintFrom(request)) });
  });

  // A GET that ends nothing here: linked from elsewhere, it clears this site's cache and opens the provider's sign-out, as a link to that would.
  app.get(LEAVE_PATH, SIGN_OUT_STEP, async (request, reply) => {
    reply.header('Clear-Site-Data', SIGN_OUT_CLEAR_SITE_DATA).header('Cache-Control', PRIVATE_CACHE_CONTROL);
    return redirectToPage(request, reply, steps.leaveTo(hintFrom(request)));
  });
}
