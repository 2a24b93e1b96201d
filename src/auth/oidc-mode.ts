import fp from 'fastify-plugin';
import secureSession from '@fastify/secure-session';
import type { Config, OidcSettings } from '../config.js';
import { isApiRequest } from '../api/scope.js';
import { isFragmentRequest } from '../http/htmx.js';
import { cutToFit } from '../http/return-to.js';
import type { AuthMode } from './mode.js';
import { oidcPlugin } from './oidc.js';
import { authRoutes, RETURN_TO_MAX_LENGTH } from './routes.js';
import { keepDecryptedSessions, loadSessionUser, sessionCookieOptions } from './session.js';

/** Sign-in through an OpenID provider (Auth0 or any other), remembered in an encrypted session cookie. */
export function oidcMode(config: Config, oidc: OidcSettings): AuthMode {
  return {
    signOut: true,
    identify: fp(async (app) => {
      await app.register(oidcPlugin, { settings: oidc });
      await app.register(secureSession, sessionCookieOptions(config.appBaseUrl, config.sessionKeys));
      keepDecryptedSessions(app);
      app.addHook('preHandler', async (request) => {
        // The API takes bearer tokens only: its requests neither read nor refresh the session cookie.
        if (!isApiRequest(request)) request.user = await loadSessionUser(request, app.db);
      });
    }),
    routes: authRoutes,
    // Full pages go to the sign-in page; htmx cannot follow a redirect into a page, so it is told to load it.
    async refuseAnonymous(request, reply) {
      if (isFragmentRequest(request)) return reply.code(401).header('HX-Redirect', '/').send();
      // /auth/login keeps the path only if it is a safe one of ours (safeReturnTo), else it goes to the dashboard.
      const returnAfterSignIn = request.routeOptions.config.returnAfterSignIn;
      // Not for htmx's history restore: its XHR could not follow the provider's redirect (another origin), so it gets the sign-in page.
      if (request.method === 'GET' && returnAfterSignIn && request.headers['hx-request'] !== 'true') {
        const returnTo = cutToFit(returnAfterSignIn.address?.(request) ?? request.url, returnAfterSignIn.cuttable, RETURN_TO_MAX_LENGTH);
        return reply.redirect(`/auth/login?${new URLSearchParams({ returnTo })}`, 303);
      }
      return reply.redirect('/', 303);
    },
  };
}
