import { buildApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';

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

  let closeProvider: (() => Promise<void>) | undefined;
  // Development without Auth0 (and not behind a sign-in proxy): a local OpenID provider, loaded only here.
  const embeddedProvider = !config.oidc && !config.proxyAuth;
  if (embeddedProvider) {
    const { startLocalProvider } = await import('./dev/oidc-provider.js');
    const provider = await startLocalProvider({ appBaseUrl: config.appBaseUrl.href });
    config = { ...config, oidc: { issuer: new URL(provider.issuer), clientId: provider.clientId, clientSecret: provider.clientSecret } };
    closeProvider = provider.close;
  }

  const app = await buildApp(config);
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
    await closeProvider?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  if (embeddedProvider) {
    console.log(`\n  Bookmarks is running at ${config.appBaseUrl.href}`);
    console.log('  Sign in with any user name on the local OpenID provider (no Auth0 account needed).\n');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
