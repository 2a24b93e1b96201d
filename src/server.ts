import cluster from 'node:cluster';
import { ConfigError, loadConfig, loadDotEnv, StartupError, type Config } from './config.js';
import { migrateDatabase } from './db/client.js';
import { turnOffPretenuring } from './pretenuring.js';
import { workerHeapFlags } from './worker-heap.js';

/*
 * The server. In development (`npm run dev`): one process, with the embedded
 * OpenID provider unless Auth0 or a sign-in proxy is configured, migrating the
 * database first. In production (`npm start`): a primary process migrates the
 * database (under a lock, so replicas starting together take turns), then runs
 * WEB_CONCURRENCY workers with node:cluster, which share the port, replaces
 * any worker that dies, and on SIGTERM or SIGINT lets every worker finish its
 * requests before exiting.
 */

function loadConfigOrExit(): Config {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function migrateOrExit(config: Config): Promise<void> {
  try {
    console.log(await migrateDatabase(config.database));
  } catch (error) {
    console.error(`The database could not be prepared, so the app did not start.\n${(error as Error).message}`);
    process.exit(1);
  }
}

/** Serves until SIGTERM or SIGINT, then stops accepting, lets requests in flight finish (within the grace period) and exits. */
async function serve(config: Config, onClosed: () => Promise<void> = async () => {}): Promise<void> {
  // Loaded only where requests are served: the primary, which migrates and forks, keeps out of its memory what it never runs.
  const { buildApp } = await import('./app.js');
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
    }, config.shutdownGraceSeconds * 1000);
    grace.unref();
    await app.close();
    clearTimeout(grace);
    await onClosed();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    throw new StartupError(listenProblem(error as NodeJS.ErrnoException, config));
  }
}

/** Why the port could not be listened on, naming the setting to change. */
function listenProblem(error: NodeJS.ErrnoException, { host, port }: Config): string {
  if (error.code === 'EADDRINUSE') return `PORT ${port} on HOST ${host} is in use by another process`;
  if (error.code === 'EADDRNOTAVAIL') return `HOST ${host} is not an address of this machine`;
  if (error.code === 'EACCES') return `PORT ${port} needs privileges this process does not have (ports below 1024)`;
  return `could not listen on HOST ${host}, PORT ${port}: ${error.message}`;
}

/**
 * A worker's exit code when it could not start: before any worker has listened, the primary stops
 * rather than start another, which would fail the same way; later, it is replaced as any death is.
 */
const WORKER_COULD_NOT_START = 78;

async function runDevelopment(config: Config): Promise<void> {
  await migrateOrExit(config);
  let closeProvider = async (): Promise<void> => {};
  // Development without Auth0 (and not behind a sign-in proxy): a local OpenID provider, loaded only here.
  const embeddedProvider = !config.oidc && !config.proxyAuth;
  if (embeddedProvider) {
    const { startLocalProvider } = await import('./dev/oidc-provider.js');
    const provider = await startLocalProvider({ appBaseUrl: config.appBaseUrl.href });
    config = { ...config, oidc: { issuer: new URL(provider.issuer), clientId: provider.clientId, clientSecret: provider.clientSecret } };
    closeProvider = provider.close;
  }
  await serve(config, closeProvider);
  if (embeddedProvider) {
    console.log(`\n  Bookmarks is running at ${config.appBaseUrl.href}`);
    console.log('  Sign in with any user name on the local OpenID provider (no Auth0 account needed).\n');
  }
}

/** Deaths within RESTART_WINDOW_MS, per worker, that mean something is wrong at startup: stop rather than loop. */
const RESTARTS_PER_WORKER = 5;
const RESTART_WINDOW_MS = 60_000;

async function runPrimary(config: Config): Promise<void> {
  await migrateOrExit(config);
  let stopping = false;
  const restarts: number[] = [];
  const stopAll = (): void => {
    stopping = true;
    process.exitCode = 1;
    const live = Object.values(cluster.workers ?? {});
    if (live.length === 0) process.exit();
    for (const other of live) other?.process.kill('SIGTERM');
  };
  // Before any worker has listened, one that cannot start says why once, and the app stops: every
  // other would fail the same way. Once serving, a replacement that cannot start (the provider down
  // for a moment) is one more death, replaced within the budget below, while the others serve on.
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === config.webConcurrency) console.log(`Bookmarks: ${listening} worker${listening === 1 ? '' : 's'} listening on ${config.host}:${config.port}`);
  });
  cluster.on('message', (worker, message: { couldNotStart?: string }) => {
    if (stopping || typeof message?.couldNotStart !== 'string') return;
    if (listening > 0) return console.error(`Worker ${worker.process.pid} could not start: ${message.couldNotStart}.`);
    console.error(`The app did not start: ${message.couldNotStart}.`);
    stopAll();
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
      return;
    }
    if (code === WORKER_COULD_NOT_START && listening === 0) {
      console.error(`The app did not start: worker ${worker.process.pid} could not.`);
      return stopAll();
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length > RESTARTS_PER_WORKER * config.webConcurrency) {
      console.error(`Workers died ${restarts.length} times within a minute (the last with ${signal ?? `exit code ${code}`}); stopping.`);
      return stopAll();
    }
    console.error(`Worker ${worker.process.pid} died (${signal ?? `exit code ${code}`}); starting another.`);
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit();
    console.log(`${signal}: stopping ${workers.length} worker${workers.length === 1 ? '' : 's'} after their requests`);
    for (const worker of workers) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Workers inherit the primary's node arguments (--import tsx in tests), plus their heap sizes.
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...workerHeapFlags()] });
  for (let i = 0; i < config.webConcurrency; i++) cluster.fork();
}

async function main(): Promise<void> {
  // First, so that no work of this process (migrations, the embedded provider, requests) runs with V8's default.
  turnOffPretenuring();
  const config = loadConfigOrExit();
  if (!config.production) return runDevelopment(config);
  if (cluster.isPrimary) return runPrimary(config);
  // Production requires the provider's settings or proxy sign-in (config.ts): a worker never starts the embedded provider.
  return serve(config);
}

main().catch((error: unknown) => {
  if (!(error instanceof StartupError)) {
    console.error(error);
    process.exit(1);
  }
  // A worker tells the primary, which says it once; one process says it itself.
  if (cluster.isWorker) process.send!({ couldNotStart: error.message }, () => process.exit(WORKER_COULD_NOT_START));
  else {
    console.error(`The app did not start: ${error.message}.`);
    process.exit(1);
  }
});
