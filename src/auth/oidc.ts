import fp from 'fastify-plugin';
import * as oidc from 'openid-client';
import type { OidcSettings } from '../config.js';
import { isLoopbackHost } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    oidc: oidc.Configuration;
  }
}

/** Discovers the provider once at startup; http is allowed only for a loopback provider (dev and tests). */
export async function discoverProvider(settings: OidcSettings): Promise<oidc.Configuration> {
  const insecure = settings.issuer.protocol === 'http:' && isLoopbackHost(settings.issuer.hostname);
  return oidc.discovery(
    settings.issuer,
    settings.clientId,
    settings.clientSecret,
    undefined,
    insecure ? { execute: [oidc.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
  );
}

export const oidcPlugin = fp<{ settings: OidcSettings }>(
  async (app, { settings }) => {
    app.decorate('oidc', await discoverProvider(settings));
  },
  { name: 'oidc' },
);
