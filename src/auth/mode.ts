import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/**
 * One way of knowing who the user is. app.ts registers exactly one: OpenID Connect with
 * a session cookie (oidc-mode.ts), or an authenticating reverse proxy (proxy.ts).
 */
export interface AuthMode {
  /** Whether pages offer "Sign out". */
  signOut: boolean;
  /** Sets request.user for every HTML request (the JSON API has its own tokens). */
  identify: FastifyPluginAsync;
  /** GET / and /auth/*. */
  routes: FastifyPluginAsync;
  /** Answers a request that needs a user and has none (requireUser). */
  refuseAnonymous(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyInstance {
    authMode: AuthMode;
  }
  interface FastifyContextConfig {
    /**
     * A page people reach from elsewhere (a share sheet, a bookmarklet): signed out, the sign-in
     * leads back to it, at `address` (the request's own by default: a page may name what it read
     * of its query), with the query parameters named in `cuttable` shortened, in that order, where
     * the whole address is more than the sign-in can carry (RETURN_TO_MAX_LENGTH).
     */
    returnAfterSignIn?: { cuttable: readonly string[]; address?: (request: FastifyRequest) => string };
  }
}
