import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalProvider, type LocalProvider } from '../../src/dev/oidc-provider.js';
import { freePort, ROOT } from '../../scripts/lib/production.js';
import { startPostgres, type PostgresServer } from '../../scripts/lib/postgres-server.js';

/**
 * Three app processes on one database, each started exactly as `npm start`
 * starts it (scripts/start.mjs): on PostgreSQL, three replicas on three ports
 * (as behind a load balancer), or on SQLite, one npm start with
 * WEB_CONCURRENCY=3 workers sharing a port on one host. Requests open a new
 * connection each, so the cluster's round-robin spreads them over its workers;
 * which process served a request is read from the JSON request log (its pid).
 */
export interface Deployment {
  engine: 'postgres' | 'sqlite';
  appBaseUrl: string;
  /** Where the i-th request of a rotation goes (one URL per replica, or the one port of the cluster). */
  replica(index: number): string;
  /** The pid of the process that served the request whose URL carried `probe=<marker>`. */
  servedBy(marker: string): Promise<number>;
  /** SIGKILL for one serving process: a whole replica, or one cluster worker (the primary replaces it). */
  killOne(): Promise<number>;
  log(): string;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on a new connection (no keep-alive), so a cluster may hand it to any worker. */
export function send(url: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { connection: 'close', ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url} within 30 s`)));
    req.end(body);
  });
}

interface Started {
  child: ChildProcess;
  log: () => string;
}

function startApp(env: Record<string, string>, workDir: string): Started {
  let output = '';
  // detached: its own process group, so a SIGKILL reaches the primary and its workers together.
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    cwd: workDir,
    detached: true,
    // FETCH_SITES=none: the app fetches no page of the addresses the tests save; traffic stays on 127.0.0.1.
    env: { PATH: process.env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'info', FETCH_SITES: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, log: () => output };
}

async function waitForHealthy(url: string, app: Started): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) throw new Error(`the app exited with ${app.child.exitCode}:\n${app.log()}`);
    try {
      if ((await send(`${url}/healthz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app at ${url} did not become healthy:\n${app.log()}`);
}

/** Until `count` different workers have answered /healthz (each request on its own connection, handed out in turn). */
async function waitForWorkers(url: string, app: Started, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    await send(`${url}/healthz?probe=workers-${attempt}`);
    if (new Set(pidsInLog(app.log(), '')).size >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`fewer than ${count} workers answered:\n${app.log()}`);
}

async function stopApp(app: Started): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  const exited = new Promise((resolve) => app.child.once('exit', resolve));
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => process.kill(-app.child.pid!, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Pids of the request log lines whose URL carries the probe marker. */
function pidsInLog(log: string, marker: string): number[] {
  const pids: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('probe=')) continue;
    try {
      const entry = JSON.parse(line) as { pid?: number; req?: { url?: string } };
      const logged = /[?&]probe=([\w-]+)/.exec(entry.req?.url ?? '')?.[1];
      if (entry.pid && logged !== undefined && (marker === '' || logged === marker)) pids.push(entry.pid);
    } catch {
      // Not a JSON log line.
    }
  }
  return pids;
}

export async function startDeployment(engine: 'postgres' | 'sqlite'): Promise<Deployment> {
  const workDir = mkdtempSync(join(tmpdir(), `bookmarks-replicas-${engine}-`));
  const ports = engine === 'postgres' ? [await freePort(), await freePort(), await freePort()] : [await freePort()];
  const appBaseUrl = `http://127.0.0.1:${ports[0]}`;
  const provider: LocalProvider = await startLocalProvider({ appBaseUrl });
  let postgres: PostgresServer | undefined;
  const apps: Started[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(apps.map(stopApp));
    await provider.close();
    postgres?.destroy();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    // What replicas must share: the session key, the database, the public URL and the provider.
    const shared = {
      AUTH0_DOMAIN: provider.issuer,
      AUTH0_CLIENT_ID: provider.clientId,
      AUTH0_CLIENT_SECRET: provider.clientSecret,
      APP_BASE_URL: appBaseUrl,
      SESSION_SECRET: randomBytes(32).toString('hex'),
    };
    if (engine === 'postgres') {
      postgres = await startPostgres();
      // All three start at once: the migration lock makes them take turns.
      for (const port of ports) apps.push(startApp({ ...shared, DATABASE_URL: postgres.adminUrl, PORT: String(port), WEB_CONCURRENCY: '1' }, workDir));
    } else {
      apps.push(startApp({ ...shared, DATABASE_PATH: join(workDir, 'bookmarks.db'), PORT: String(ports[0]), WEB_CONCURRENCY: '3' }, workDir));
    }
    await Promise.all(ports.map((port, index) => waitForHealthy(`http://127.0.0.1:${port}`, apps[index]!)));
    // One worker answering is not all three listening: node:cluster hands connections only to workers that listen.
    if (engine === 'sqlite') await waitForWorkers(appBaseUrl, apps[0]!, 3);
  } catch (error) {
    await close();
    throw error;
  }
  const log = (): string => apps.map((app) => app.log()).join('\n');
  const workerPids = (): number[] => [...new Set(pidsInLog(log(), ''))];
  return {
    engine,
    appBaseUrl,
    replica: (index) => `http://127.0.0.1:${ports[index % ports.length]}`,
    async servedBy(marker) {
      // The log line may arrive a moment after the response.
      for (let attempt = 0; attempt < 50; attempt++) {
        const [pid] = pidsInLog(log(), marker);
        if (pid) return pid;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no request log line carries probe=${marker}`);
    },
    async killOne() {
      if (engine === 'postgres') {
        const victim = apps[2]!;
        process.kill(-victim.child.pid!, 'SIGKILL');
        return victim.child.pid!;
      }
      // A worker that has served requests (not the primary, which only forwards connections).
      const pids = workerPids().filter((pid) => pid !== apps[0]!.child.pid);
      const victim = pids[pids.length - 1]!;
      process.kill(victim, 'SIGKILL');
      return victim;
    },
    log,
    close,
  };
}

/** The real sign-in over HTTP, starting on one replica and finishing the callback on the next. Returns the session cookie. */
export async function signInAcross(deployment: Deployment, userName: string, first = 0): Promise<string> {
  const login = await send(`${deployment.replica(first)}/auth/login`);
  if (login.status !== 302) throw new Error(`/auth/login answered ${login.status}: ${login.body}`);
  const pending = cookieFrom(login);
  const provider = new Map<string, string>();
  let next = new URL(String(login.headers.location));
  for (let hop = 0; hop < 10; hop++) {
    if (next.href.startsWith(`${deployment.appBaseUrl}/auth/callback`)) {
      const callbackUrl = `${deployment.replica(first + 1)}${next.pathname}${next.search}`;
      const callback = await send(callbackUrl, 'GET', { cookie: pending });
      if (callback.status !== 303) throw new Error(`callback answered ${callback.status}: ${callback.body}`);
      return cookieFrom(callback);
    }
    let response = await fetch(next, { redirect: 'manual', headers: { cookie: [...provider].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const header of response.headers.getSetCookie()) provider.set(header.split(';')[0]!.split('=')[0]!, header.split(';')[0]!.split('=').slice(1).join('='));
    if (response.status === 200 && /\/interaction\//.test(next.pathname)) {
      response = await fetch(new URL(`${next.pathname}/login`, next), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: [...provider].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: userName, password: 'x' }),
      });
      for (const header of response.headers.getSetCookie()) provider.set(header.split(';')[0]!.split('=')[0]!, header.split(';')[0]!.split('=').slice(1).join('='));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`provider answered ${response.status} at ${next.href}`);
    next = new URL(location, next);
  }
  throw new Error('too many redirects during sign-in');
}

function cookieFrom(answer: Answer): string {
  const raw = answer.headers['set-cookie'];
  const headers = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const session = headers.find((header) => header.startsWith('session='));
  if (!session) throw new Error('no session cookie in the answer');
  return session.split(';')[0]!;
}
