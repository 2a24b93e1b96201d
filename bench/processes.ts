/**
 * Child processes for the benchmarks: the app started exactly as `npm start` runs
 * it (scripts/start.mjs, NODE_ENV=production) with a local OpenID provider on
 * 127.0.0.1, and helpers to start and wait for other servers. Children are
 * stopped when the benchmark exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalProvider, type LocalProvider } from '../src/dev/oidc-provider.js';
import { freePort } from '../scripts/lib/production.js';

export { freePort };

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

export interface Started {
  child: ChildProcess;
  /** The last 20 kB of its output, for error reports. */
  output: () => string;
}

export function start(command: string, commandArgs: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command, commandArgs, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output };
}

export async function waitFor(url: string, { child, output }: Started): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}\n${output()}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not come up\n${output()}`);
}

export interface StartedApp extends Started {
  base: string;
  provider: LocalProvider;
  /** SIGTERM, wait for the exit (so --cpu-prof can write its profile), close the provider. */
  stop(): Promise<void>;
}

export interface AppOptions {
  /** Node flags for the app's processes (--cpu-prof). */
  nodeArgs?: string[];
  /** Environment on top of the production one: WEB_CONCURRENCY, DATABASE_URL. */
  env?: Record<string, string>;
}

/** The app on a free loopback port, as `npm start` runs it, signed in through a local provider. */
export async function startApp(databasePath: string, { nodeArgs = [], env = {} }: AppOptions = {}): Promise<StartedApp> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const provider = await startLocalProvider({ appBaseUrl: base });
  const app = start(process.execPath, [...nodeArgs, 'scripts/start.mjs'], {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    APP_BASE_URL: base,
    AUTH0_DOMAIN: provider.issuer,
    AUTH0_CLIENT_ID: provider.clientId,
    AUTH0_CLIENT_SECRET: provider.clientSecret,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'warn',
    // Load stays on 127.0.0.1: the app fetches no page (titles, icons) of the addresses it saves.
    FETCH_SITES: 'none',
    ...env,
  });
  await waitFor(`${base}/healthz`, app);
  return {
    ...app,
    base,
    provider,
    async stop() {
      if (app.child.exitCode === null) {
        const exited = new Promise((done) => app.child.once('exit', done));
        app.child.kill('SIGTERM');
        await exited;
      }
      await provider.close();
    },
  };
}
