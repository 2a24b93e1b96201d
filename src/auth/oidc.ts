import fp from 'fastify-plugin';
import * as oidc from 'openid-client';
import type { OidcSettings } from '../config.js';
import { isLoopbackHost, StartupError } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    oidc: oidc.Configuration;
  }
}

/** Discovers the provider once at startup; http is allowed only for a loopback provider (dev and tests). */
export async function discoverProvider(settings: OidcSettings): Promise<oidc.Configuration> {
  const insecure = settings.issuer.protocol === 'http:' && isLoopbackHost(settings.issuer.hostname);
  try {
    return await oidc.discovery(
      settings.issuer,
      settings.clientId,
      settings.clientSecret,
      undefined,
      insecure ? { execute: [oidc.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
    );
  } catch (error) {
    // 'fetch failed' says nothing: the cause (ECONNREFUSED, ENOTFOUND, a certificate) does.
    const { message, cause } = error as Error & { cause?: { code?: string; message?: string } };
    const reason = cause?.code ?? cause?.message ?? message;
    throw new StartupError(`The OpenID provider at ${settings.issuer.href} (AUTH0_DOMAIN) did not answer its discovery document: ${reason}`);
  }
}

export const oidcPlugin = fp<{ settings: OidcSettings }>(
  async (app, { settings }) => {
    app.decorate('oidc', await discoverProvider(settings));
  },
  { name: 'oidc' },
);
