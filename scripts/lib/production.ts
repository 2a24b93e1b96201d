import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startLocalProvider, type LocalProvider } from '../../src/dev/oidc-provider.js';

/**
 * Runs the production build (dist/server.js, NODE_ENV=production) against the
 * local OpenID provider, on 127.0.0.1 only: shared by the soak, the crash test
 * and the shutdown test.
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The processes a process started (a primary's node:cluster workers), from Linux's /proc; throws once it has exited. */
export function childProcesses(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** `tsc -p tsconfig.build.json` into dist/, as `npm start` does. */
export function buildProduction(): void {
  const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed with ${result.status}`);
}

export interface Stack {
  baseUrl: string;
  port: number;
  provider: LocalProvider;
  sessionSecret: string;
  close(): Promise<void>;
}

/** A port for the app and a provider that knows its callback; the app itself starts with startServer. */
export async function prepareStack(): Promise<Stack> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const provider = await startLocalProvider({ appBaseUrl: baseUrl });
  return { baseUrl, port, provider, sessionSecret: randomBytes(32).toString('hex'), close: () => provider.close() };
}

export interface Server {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  log(): string;
}

/** Starts dist/server.js; `fromSource` runs src/server.ts through tsx instead (same code, no build, for tests). */
export async function startServer(stack: Stack, databasePath: string, env: Record<string, string> = {}, fromSource = false): Promise<Server> {
  let output = '';
  const child = spawn(process.execPath, fromSource ? ['--import', 'tsx', 'src/server.ts'] : ['dist/server.js'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(stack.port),
      APP_BASE_URL: stack.baseUrl,
      AUTH0_DOMAIN: stack.provider.issuer,
      AUTH0_CLIENT_ID: stack.provider.clientId,
      AUTH0_CLIENT_SECRET: stack.provider.clientSecret,
      SESSION_SECRET: stack.sessionSecret,
      DATABASE_PATH: databasePath,
      LOG_LEVEL: 'warn',
      // Test and load traffic stays on 127.0.0.1: the app fetches no page (titles, icons) of the addresses it saves.
      FETCH_SITES: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${stack.baseUrl}/healthz`)).ok) return { child, exited, log: () => output };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become healthy within 20 s:\n${output}`);
}

function cookiesOf(response: Response, jar: Map<string, string>): void {
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const index = pair!.indexOf('=');
    jar.set(pair!.slice(0, index), pair!.slice(index + 1));
  }
}
const cookieHeader = (jar: Map<string, string>): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

/** The real sign-in over HTTP: /auth/login, the provider's form, /auth/callback. Returns the app's session cookie. */
export async function signInOverHttp(baseUrl: string, userName: string): Promise<string> {
  const app = new Map<string, string>();
  const provider = new Map<string, string>();
  const login = await fetch(`${baseUrl}/auth/login`, { redirect: 'manual' });
  if (login.status !== 302) throw new Error(`/auth/login answered ${login.status}`);
  cookiesOf(login, app);
  let next = new URL(login.headers.get('location')!);
  for (let hop = 0; hop < 10; hop++) {
    if (next.href.startsWith(`${baseUrl}/auth/callback`)) {
      const callback = await fetch(next, { redirect: 'manual', headers: { cookie: cookieHeader(app) } });
      if (callback.status !== 303) throw new Error(`callback answered ${callback.status}`);
      cookiesOf(callback, app);
      return `session=${app.get('session')}`;
    }
    let response = await fetch(next, { redirect: 'manual', headers: { cookie: cookieHeader(provider) } });
    cookiesOf(response, provider);
    if (response.status === 200 && /\/interaction\//.test(next.pathname)) {
      response = await fetch(new URL(`${next.pathname}/login`, next), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: cookieHeader(provider), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: userName, password: 'x' }),
      });
      cookiesOf(response, provider);
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`provider answered ${response.status} at ${next.href}`);
    next = new URL(location, next);
  }
  throw new Error('too many redirects during sign-in');
}

/** Headers of an htmx request from our own page. */
export const HTMX_HEADERS = { 'hx-request': 'true', 'sec-fetch-site': 'same-origin' } as const;
export const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;

/** Entries of a Netscape export: HREF and title. */
export function parseExport(body: string): { url: string; title: string }[] {
  const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return [...body.matchAll(/<A HREF="([^"]*)"[^>]*>([^<]*)<\/A>/g)].map((m) => ({ url: unescape(m[1]!), title: unescape(m[2]!) }));
}

/** Card ids by URL in an htmx list fragment. */
export function cardIds(body: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const m of body.matchAll(/<li class="card" id="bookmark-(\d+)">[\s\S]*?<p class="card-url">([^<]*)<\/p>/g)) ids.set(m[2]!.replace(/&amp;/g, '&'), Number(m[1]));
  return ids;
}
