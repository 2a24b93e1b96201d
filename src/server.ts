import { buildApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv, type Config, type OidcSettings } from './config.js';

async function main(): Promise<void> {
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  let oidc: OidcSettings;
  let closeProvider = async (): Promise<void> => {};
  if (config.oidc) {
    oidc = config.oidc;
  } else {
    // Development without Auth0: a local OpenID provider, loaded only here.
    const { startLocalProvider } = await import('./dev/oidc-provider.js');
    const provider = await startLocalProvider({ appBaseUrl: config.appBaseUrl.href });
    oidc = { issuer: new URL(provider.issuer), clientId: provider.clientId, clientSecret: provider.clientSecret };
    closeProvider = provider.close;
  }

  const app = await buildApp({ ...config, oidc });
  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // In-flight requests get a grace period; a client that stalls mid-request must not hold the process forever.
    const grace = setTimeout(() => {
      app.log.warn('shutdown: requests still open after the grace period; closing their connections');
      app.server.closeAllConnections();
    }, (config.shutdownGraceSeconds ?? 10) * 1000);
    grace.unref();
    await app.close();
    clearTimeout(grace);
    await closeProvider();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  if (!config.oidc) {
    console.log(`\n  Bookmarks is running at ${config.appBaseUrl.href}`);
    console.log('  Sign in with any user name on the local OpenID provider (no Auth0 account needed).\n');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
