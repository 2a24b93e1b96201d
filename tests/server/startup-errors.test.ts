import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalProvider } from '../../src/dev/oidc-provider.js';
import { childProcesses, prepareStack, startServer } from '../../scripts/lib/production.js';

/**
 * Settings that pass loadConfig but do not work once the app starts (a port in use, an
 * address not of this machine, a provider that does not answer): the production server, with
 * two workers, stops with one message naming the setting, where each worker printed a stack
 * trace and the primary started another eleven times over.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let busy: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bookmarks-startup-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const portOf = (server: Server): number => (server.address() as { port: number }).port;

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', WEB_CONCURRENCY: '2', HOST: '127.0.0.1', LOG_LEVEL: 'warn', FETCH_SITES: 'none', DATABASE_PATH: join(dir, 'b.db'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const proxySignIn = { AUTH_MODE: 'proxy', AUTH_PROXY_SECRET: 's'.repeat(40), TRUST_PROXY: '127.0.0.1', APP_BASE_URL: 'http://127.0.0.1:1234' };

describe('a production start that cannot serve', () => {
  it.each([
    ['a PORT in use', async () => ({ ...proxySignIn, PORT: String(portOf(busy)) }), () => `PORT ${portOf(busy)} on HOST 127.0.0.1 is in use by another process`],
    ['a HOST that is not this machine’s', async () => ({ ...proxySignIn, HOST: '192.0.2.1', PORT: '0' }), () => 'HOST 192.0.2.1 is not an address of this machine'],
  ])('stops at once with one message for %s', async (_case, env, message) => {
    const { code, output } = await start(await env());
    expect(code).toBe(1);
    expect(output).toContain(`The app did not start: ${message()}.`);
    expect(output.match(/The app did not start/g)).toHaveLength(1);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('starting another');
    expect(output).not.toContain('listening on');
  }, 70_000);

  it('stops at once, naming AUTH0_DOMAIN, when the OpenID provider does not answer', async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const { code, output } = await start({
      AUTH0_DOMAIN: issuer,
      AUTH0_CLIENT_ID: 'client',
      AUTH0_CLIENT_SECRET: 'secret',
      APP_BASE_URL: 'http://127.0.0.1:1234',
      SESSION_SECRET: 'a'.repeat(64),
      PORT: '0',
    });
    expect(code).toBe(1);
    expect(output).toContain(`The app did not start: The OpenID provider at ${issuer}/ (AUTH0_DOMAIN) did not answer its discovery document: ECONNREFUSED.`);
    expect(output.match(/The app did not start/g)).toHaveLength(1);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('starting another');
  }, 70_000);
});

describe('a worker that cannot start once the app is serving', () => {
  it('is one more death to replace: the other workers serve on, and a new one starts once the provider answers again', async () => {
    // A worker dies while serving (as an out-of-memory kill would) during a short outage of the OpenID provider.
    const stack = await prepareStack();
    const server = await startServer(stack, join(dir, 'serving.db'), { WEB_CONCURRENCY: '2' }, true);
    try {
      const issuerPort = Number(new URL(stack.provider.issuer).port);
      await stack.provider.close();
      const [first, second] = childProcesses(server.child.pid!);
      process.kill(first!, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(server.child.exitCode).toBeNull();
      expect((await fetch(`${stack.baseUrl}/healthz`)).ok).toBe(true);
      const back = await startLocalProvider({ appBaseUrl: stack.baseUrl, port: issuerPort });
      try {
        await expect.poll(() => childProcesses(server.child.pid!).length, { timeout: 20_000 }).toBe(2);
        expect(childProcesses(server.child.pid!)).toContain(second);
        expect(server.log()).toContain('could not start: The OpenID provider at');
        expect(server.log()).not.toMatch(/^\s+at /m);
      } finally {
        await back.close();
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 60_000);
});
